"""The ledger's schema and its migrations: the tables of a new ledger, and the columns a ledger
written by an earlier version lacks, added when it is opened. The version is the database's
``PRAGMA user_version`` (0: a ledger written before versions, with these same tables); other
tables are left alone, for they may hold data of other parts of brief.

The database is handed in open (sqlite3 is imported by :mod:`brief.distribute.ledger` alone),
and every statement runs inside the transaction the ledger opened for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brief.errors import PublishError

# 2: copies.message_sha256; 3: copies.edition, variant, language, sent_at; 4: copies.supersedes
VERSION = 4
# Columns a ledger of an earlier version lacks, added when it is opened (each NULL in old rows).
ADDED = ("message_sha256", "edition", "variant", "language", "sent_at", "supersedes")
TABLES = (
    """CREATE TABLE IF NOT EXISTS distributions (
  id TEXT PRIMARY KEY, brief TEXT NOT NULL, created TEXT NOT NULL, recipients TEXT NOT NULL,
  marking TEXT NOT NULL, total INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS copies (
  distribution TEXT NOT NULL REFERENCES distributions(id), email TEXT NOT NULL, line INTEGER NOT NULL,
  name TEXT NOT NULL, organisation TEXT NOT NULL, audience TEXT NOT NULL, copy_no INTEGER NOT NULL,
  copy_id TEXT NOT NULL UNIQUE, message_id TEXT NOT NULL, folder TEXT NOT NULL, marking TEXT NOT NULL,
  sha256 TEXT, state TEXT NOT NULL CHECK (state IN ('planned','stamped','sending','accepted','refused')),
  reply TEXT, attempts INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL, message_sha256 TEXT,
  edition TEXT, variant TEXT, language TEXT, sent_at TEXT, supersedes TEXT,
  PRIMARY KEY (distribution, email))""",
)
# Made on every open: a ledger of an earlier version gains them with its columns.
INDEXES = ("CREATE INDEX IF NOT EXISTS copies_by_edition ON copies (edition, state)",)
DISTRIBUTION_COLUMNS = ("id", "brief", "created", "recipients", "marking", "total")


def migrate(db: Any, path: Path, columns: tuple[str, ...], hint: str) -> None:
    """Create the tables of a new ledger in *db*, or bring one of an earlier version up to
    :data:`VERSION` (*columns*: the copies table's, as this version has them); a ledger of a
    later version or of another schema is a :class:`PublishError` naming *path*."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > VERSION:
        raise PublishError(
            f"the ledger is of schema version {version}, and this brief knows versions up to {VERSION}",
            path,
            hint="use the brief that wrote it, or " + hint,
        )
    tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version == 0 and not tables & {"distributions", "copies"}:
        for statement in TABLES:
            db.execute(statement)
    found: set[str] = set()
    for table, wanted in (("distributions", DISTRIBUTION_COLUMNS), ("copies", columns)):
        found = {str(c[1]) for c in db.execute(f"PRAGMA table_info({table})")}
        missing = [c for c in wanted if c not in found and c not in ADDED]
        if missing:
            what = f"table {table} lacks {', '.join(missing)}" if found else f"it has no table {table}"
            raise PublishError(f"the ledger is not of a schema brief knows: {what}", path, hint=hint)
    for column in (c for c in ADDED if c not in found):  # a ledger of an earlier version
        db.execute(f"ALTER TABLE copies ADD COLUMN {column} TEXT")
    for statement in INDEXES:
        db.execute(statement)
    db.execute(f"PRAGMA user_version = {VERSION}")
