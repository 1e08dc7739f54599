"""Copy IDs that nobody outside the sending workspace can compute.

A copy ID names the recipient a leaked copy was made for, so it must not be derivable from
what a recipient sees: the distribution ID is in every Message-ID and every address is known
to someone. Each ID is therefore an HMAC of the distribution and the address under a secret
key made with :mod:`secrets` the first time a workspace plans a distribution, and kept only
in the ledger database (never in the workspace's files nor in a message). Without the key a
recipient can forge only IDs they have seen, never a colleague's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from brief.distribute.ledger import Ledger

_TABLE = "CREATE TABLE IF NOT EXISTS copy_key (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL)"


def secret(ledger: Ledger) -> bytes:
    """The workspace's copy-ID key, made and stored in the ledger on first use. Two runs that
    start at once both read the key the first of them stored (``INSERT OR IGNORE``)."""
    ledger.db.execute(_TABLE)
    ledger.db.execute("INSERT OR IGNORE INTO copy_key (id, key) VALUES (1, ?)", (secrets.token_bytes(32),))
    (key,) = ledger.db.execute("SELECT key FROM copy_key WHERE id = 1").fetchone()
    return bytes(key)


def copy_id(key: bytes, distribution: str, email: str) -> str:
    """The copy ID of *email*'s copy in *distribution*: 12 hex digits, keyed with *key*."""
    message = f"{distribution}\0{email.lower()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:12]
