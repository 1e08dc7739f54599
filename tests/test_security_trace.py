"""Security review, section 3: tracing a leaked copy (H1, M11, M12), the stamp on the page
(M4, L16) and a copy made again byte for byte (H3's stamping part).

Every case runs the real command on real stamped copies of the mini workspace, edited with
pikepdf the way the review's attacker edited them."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from click.testing import CliRunner, Result

from brief.cli import cli
from brief.distribute import copies
from helpers import distribution_workspace

DISTRIBUTION = """
distribution:
  tlp: AMBER
  banner: CONTROLLED // FOR OFFICIAL USE
  domains: [example.org]
"""
PEOPLE = (
    "name,email,organisation,audience\nAlex Rivera,alex@example.org,Org,policy\nSam Okafor,sam@example.org,Org,policy\n"
)
INCH = 72.0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini workspace with a distribution: block and email templates, its policy edition built."""
    return distribution_workspace(tmp_path_factory.mktemp("trace") / "ws", DISTRIBUTION)


@pytest.fixture
def ws(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built workspace, distributed (dry run) to Alex and Sam."""
    root = tmp_path / "ws"
    shutil.copytree(built, root)
    (root / "recipients.csv").write_text(PEOPLE, encoding="utf-8")
    monkeypatch.chdir(root)
    assert distribute(root, "recipients.csv").exit_code == 0
    return root


def distribute(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "distribute", *args])


def trace(root: Path, pdf: Path) -> Result:
    return distribute(root, "trace", str(pdf))


def copy_of(root: Path, folder: str) -> Path:
    (pdf,) = (root / "out" / "distribution" / folder).glob("*.pdf")
    return pdf


def copy_ids(root: Path) -> dict[str, str]:
    with sqlite3.connect(root / "out" / "distribution.sqlite") as db:
        return dict(db.execute("SELECT email, copy_id FROM copies").fetchall())


def draw(pdf: pikepdf.Pdf, page: pikepdf.Page, text: str, x: float, y: float, size: float, first: bool) -> None:
    """Draw *text* in Helvetica on *page*, before (*first*) or after its own content."""
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica,
                                                Encoding=pikepdf.Name.WinAnsiEncoding))  # fmt: skip
    page.obj.Resources.Font["/Forged"] = font
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"q BT /Forged {size} Tf 1 0 0 1 {x} {y} Tm ({escaped}) Tj ET Q\n".encode("latin-1")
    page.contents_add(pdf.make_stream(content), prepend=first)


def strip(pdf: pikepdf.Pdf) -> None:
    """What ``qpdf --empty --pages`` leaves: no document information, no XMP."""
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    if "/Metadata" in pdf.Root:
        del pdf.Root["/Metadata"]


def not_named(result: Result, *people: str) -> None:
    assert result.exit_code != 0, result.output
    assert "no recipient is named" in result.output
    for person in people:
        assert person not in result.output


# H1 ---------------------------------------------------------------------------------------


def test_h1_forged_metadata_does_not_name_someone_else(ws: Path, tmp_path: Path) -> None:
    """Review H1 (T01): Alex writes Sam's copy ID into his own copy's /BriefCopyId. The trace
    reports both IDs, says inconsistent and names nobody."""
    sam = copy_ids(ws)["sam@example.org"]
    leaked = tmp_path / "leaked.pdf"
    with pikepdf.open(copy_of(ws, "alex-rivera")) as pdf:
        pdf.docinfo["/BriefCopyId"] = sam
        pdf.save(leaked)
    result = trace(ws, leaked)
    not_named(result, "Sam Okafor", "sam@example.org", "Alex Rivera")
    assert "inconsistent" in result.output
    assert f"document information: copy ID {sam}" in result.output
    assert f"page 1: copy ID {copy_ids(ws)['alex@example.org']}" in result.output


def test_h1_copy_ids_cannot_be_computed_from_a_message_id(ws: Path) -> None:
    """Review H1: the copy ID was sha256(distribution ID ‖ address) and the distribution ID is
    in every Message-ID. Now it is keyed with a secret that only the ledger database holds."""
    (eml,) = (ws / "out" / "distribution" / "alex-rivera").glob("*.eml")
    dist = re.search(r"Message-ID: <[0-9a-f]{12}\.([0-9a-f]{16})@", eml.read_text(encoding="utf-8"))
    assert dist is not None
    guessed = hashlib.sha256(f"{dist.group(1)}\0sam@example.org".encode()).hexdigest()[:12]
    assert copy_ids(ws)["sam@example.org"] != guessed
    with sqlite3.connect(ws / "out" / "distribution.sqlite") as db:
        (key,) = db.execute("SELECT key FROM copy_key").fetchone()
    assert len(key) == 32
    for path in ws.rglob("*"):  # the key is in no file of the workspace but the ledger
        if path.is_file() and path.name != "distribution.sqlite":
            data = path.read_bytes()
            assert key not in data and key.hex().encode() not in data, path


def test_h1_a_line_drawn_above_the_stamp_is_not_a_stamp(ws: Path, tmp_path: Path) -> None:
    """Review H1 (T08): metadata stripped, and "Prepared for Sam Okafor copy ID <Sam's ID>"
    drawn just above the real stamp. The stamp is read only where brief draws it: Alex."""
    sam = copy_ids(ws)["sam@example.org"]
    leaked = tmp_path / "leaked.pdf"
    with pikepdf.open(copy_of(ws, "alex-rivera")) as pdf:
        strip(pdf)
        for page in pdf.pages:
            draw(pdf, page, f"copy ID {sam} · Prepared for Sam Okafor", 150, 52, 7, first=True)
        pdf.save(leaked)
    result = trace(ws, leaked)
    assert result.exit_code == 0, result.output
    assert "prepared for Alex Rivera <alex@example.org>" in result.output
    assert "Sam Okafor" not in result.output and "not the copy recorded" in result.output


def test_h1_a_template_writing_copy_id_in_the_body_is_not_a_stamp(ws: Path, tmp_path: Path) -> None:
    """Review H1 (T09): an untrusted template writes "Reference: copy ID <an earlier ID>" into
    a section; a stripped copy was traced to that earlier recipient. Text in the body is not
    a stamp, so the copy is traced by its real stamp."""
    earlier = copy_ids(ws)["sam@example.org"]
    leaked = tmp_path / "leaked.pdf"
    with pikepdf.open(copy_of(ws, "alex-rivera")) as pdf:
        strip(pdf)
        draw(pdf, pdf.pages[0], f"copy ID {earlier}", 72, 500, 7, first=True)
        draw(pdf, pdf.pages[0], f"Reference: copy ID {earlier}", 72, 480, 10, first=True)
        pdf.save(leaked)
    result = trace(ws, leaked)
    assert result.exit_code == 0, result.output
    assert "prepared for Alex Rivera" in result.output and "Sam" not in result.output


def test_h1_own_payload_metadata_of_another_distribution(ws: Path, tmp_path: Path) -> None:
    """Own payload (H1): the document information carries a real copy ID of another
    distribution (Alex's own copy of an earlier one). The IDs disagree: nobody is named."""
    (ws / "more.csv").write_text(PEOPLE + "Eve Park,eve@example.org,Org,policy\n", encoding="utf-8")
    assert distribute(ws, "more.csv").exit_code == 0
    with sqlite3.connect(ws / "out" / "distribution.sqlite") as db:
        ids = [r[0] for r in db.execute("SELECT copy_id FROM copies WHERE email = 'alex@example.org'")]
    assert len(ids) == 2
    leaked = tmp_path / "leaked.pdf"
    source = next(p for p in (ws / "out" / "distribution" / "alex-rivera").glob("*.pdf"))
    with pikepdf.open(source) as pdf:
        on_pages = str(pdf.docinfo["/BriefCopyId"])
        pdf.docinfo["/BriefCopyId"] = next(i for i in ids if i != on_pages)
        pdf.save(leaked)
    result = trace(ws, leaked)
    not_named(result, "Alex Rivera", "alex@example.org")
    assert "inconsistent" in result.output
    assert all(f"copy ID {i}: copy" in result.output for i in ids)  # both are reported, with their distributions


def test_h1_own_payload_stamp_like_lines_at_another_size_or_the_same_place(ws: Path, tmp_path: Path) -> None:
    """Own payload (H1): a stamp-like line with Sam's ID drawn at the stamp's height but at
    another size is not a stamp (Alex is named); one drawn at the stamp's very place and
    size makes two stamps on a page: inconsistent, nobody named."""
    ids = copy_ids(ws)
    sam = ids["sam@example.org"]
    other_size, same_place = tmp_path / "size.pdf", tmp_path / "place.pdf"
    for target, size in ((other_size, 9.0), (same_place, 7.0)):
        with pikepdf.open(copy_of(ws, "alex-rivera")) as pdf:
            strip(pdf)
            for page in pdf.pages:
                bottom = float(page.mediabox[1])
                draw(pdf, page, f"copy ID {sam} · Prepared for Sam Okafor", 40, bottom + 0.4 * INCH + 0.35 * size,
                     size, first=True)  # fmt: skip
            pdf.save(target)
    result = trace(ws, other_size)
    assert result.exit_code == 0 and "prepared for Alex Rivera" in result.output, result.output
    assert "Sam" not in result.output
    result = trace(ws, same_place)
    not_named(result, "Alex Rivera", "Sam Okafor")
    assert "several stamps on one page" in result.output and "inconsistent" in result.output


def test_h1_the_sent_copy_is_named_as_byte_identical(ws: Path) -> None:
    """Review H1: the trace says whether the file is byte for byte the copy the ledger recorded."""
    result = trace(ws, copy_of(ws, "sam-okafor"))
    assert result.exit_code == 0, result.output
    assert "byte for byte the copy recorded in the ledger" in result.output
    assert "prepared for Sam Okafor <sam@example.org>" in result.output


# M11 --------------------------------------------------------------------------------------


def test_m11_merged_copies_are_several_copies(ws: Path, tmp_path: Path) -> None:
    """Review M11 (T03): Alex's and Sam's pages merged into one file, with Sam's document
    information. The trace reports both IDs by page, says several copies, names nobody."""
    ids = copy_ids(ws)
    merged = tmp_path / "merged.pdf"
    with pikepdf.open(copy_of(ws, "sam-okafor")) as sam, pikepdf.open(copy_of(ws, "alex-rivera")) as alex:
        pages = len(alex.pages)
        alex.add_pages_from(sam)
        alex.docinfo["/BriefCopyId"] = ids["sam@example.org"]
        alex.save(merged)
    result = trace(ws, merged)
    not_named(result, "Alex Rivera", "Sam Okafor")
    assert "several copies" in result.output
    assert f"copy ID {ids['alex@example.org']}" in result.output
    span = "page 1" if pages == 1 else f"pages 1-{pages}"
    assert f"{span}: copy ID {ids['alex@example.org']}" in result.output


# M12 --------------------------------------------------------------------------------------


def _zeros(megabytes: int, head: bytes = b"") -> bytes:
    """Flate data of *head* and then *megabytes* of zeros (about 1 KB a megabyte). Each
    megabyte is compressed once, after a full flush, so the blocks repeat exactly; the
    checksum at the end is wrong, and never reached."""
    encoder = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    first = encoder.compress(head) + encoder.flush(zlib.Z_FULL_FLUSH)
    encoder.compress(zeros)
    block = encoder.flush(zlib.Z_FULL_FLUSH)
    return first + block * megabytes + encoder.flush()


def _content_bomb(path: Path) -> None:
    """A one-page PDF whose content stream inflates to 1 GB of zeros."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, _zeros(1024))
    stream.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
    pdf.save(path, compress_streams=False)


def _object_stream_bomb(path: Path) -> None:
    """A PDF whose page tree lies in an object stream that inflates to 1 GB: qpdf inflates it
    whole when it opens the file, before any page is looked at."""
    head = b"2 0 3 50 " + b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".ljust(50)
    data = _zeros(1024, head + b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> ")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    at = {1: len(out)}
    out += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    at[4] = len(out)
    out += b"4 0 obj\n<< /Type /ObjStm /N 2 /First 9 /Filter /FlateDecode /Length %d >>\nstream\n" % len(data)
    out += data + b"\nendstream\nendobj\n"
    at[5] = len(out)
    rows = [(0, 0, 65535), (1, at[1], 0), (2, 4, 0), (2, 4, 1), (1, at[4], 0), (1, at[5], 0)]
    xref = b"".join(bytes([kind]) + n.to_bytes(4, "big") + i.to_bytes(2, "big") for kind, n, i in rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(xref)
    out += xref + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % at[5]
    path.write_bytes(bytes(out))


@pytest.mark.parametrize("make", [_content_bomb, _object_stream_bomb], ids=["content-stream", "object-stream"])
def test_m12_a_decompression_bomb_is_one_error_line(ws: Path, tmp_path: Path, make: Callable[[Path], None]) -> None:
    """Review M12 (T12): a small PDF whose content stream inflates to 1 GB; and (our own
    variant) one whose object stream does. The trace refuses it in one line, quickly, and its
    memory stays far below the inflated size."""
    bomb = tmp_path / "bomb.pdf"
    make(bomb)
    assert bomb.stat().st_size < 2 << 20
    # A fresh interpreter whose only child is brief: its RUSAGE_CHILDREN is brief's own peak.
    probe = (
        "import resource, subprocess, sys, time; t = time.monotonic(); "
        "r = subprocess.run([sys.executable, '-m', 'brief', '-C', sys.argv[1], 'distribute', 'trace', sys.argv[2]], "
        "capture_output=True, text=True); "
        "print(r.returncode, round(time.monotonic() - t, 1), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "print(r.stdout + r.stderr, end='')"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", probe, str(ws), str(bomb)], capture_output=True, text=True, env=env,
                         timeout=120).stdout  # fmt: skip
    head, *lines = out.splitlines()
    code, seconds, peak_kb = head.split()
    assert code == "1" and len(lines) == 1 and "inflates past" in lines[0], out
    assert float(seconds) < 10 and int(peak_kb) < 400 * 1024, out


def test_m12_a_fifo_is_refused_before_reading(ws: Path, tmp_path: Path) -> None:
    """Review M12: the leaked file is checked like workspace inputs (type and size first): a
    FIFO is refused at once instead of blocking."""
    fifo = tmp_path / "leak.pdf"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "brief", "-C", str(ws), "distribute", "trace", str(fifo)],
                          capture_output=True, text=True, env=env, timeout=10)  # fmt: skip
    assert done.returncode == 1 and "FIFO" in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


# M4 ---------------------------------------------------------------------------------------


LONG = (
    "name,email,organisation,audience\n"
    'Maria Alejandra Fernández-Castillo de la Vega,maria@example.org,"Directorate-General for Communications '
    'Networks, Content and Technology, European Commission",policy\n'
    f"{'Bartholomew ' * 16}Long,bart@example.org,{'Organisation ' * 15}End,policy\n"
)


def _stamp_chars(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """Every character drawn below 1in on each page, with its box."""
    found = []
    document = pypdfium2.PdfDocument(str(pdf))
    for page in document:
        text = page.get_textpage()
        for i in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(i)
            if top < INCH and text.get_text_range(i, 1).strip():
                found.append((text.get_text_range(i, 1), left, bottom, right, top))
    document.close()
    return found


def test_m4_the_stamp_stays_inside_the_printable_area(ws: Path) -> None:
    """Review M4 (D15): a long name and organisation ran the stamp from x = -8 pt to 620 pt on a
    612 pt page. Now the copy ID comes first and every character of the stamp lies at least
    0.4in from the paper's edge; a 200-character name is cut short, never the copy ID."""
    (ws / "long.csv").write_text(LONG, encoding="utf-8")
    assert distribute(ws, "long.csv").exit_code == 0
    ids = copy_ids(ws)
    for folder, email in (("maria-alejandra-fernandez-castillo-de-la-vega", "maria"), ("bartholomew-", "bart")):
        (pdf,) = [p for p in (ws / "out" / "distribution").glob(f"{folder}*/*.pdf")]
        chars = _stamp_chars(pdf)
        with pikepdf.open(pdf) as doc:
            width = float(doc.pages[0].mediabox[2])
        assert chars
        for c, left, bottom, right, _ in chars:
            assert left >= 0.4 * INCH and right <= width - 0.4 * INCH and bottom >= 0.4 * INCH, (c, left, right)
        text = pypdfium2.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
        assert f"copy ID {ids[email + '@example.org']}" in text
        result = trace(ws, pdf)
        assert result.exit_code == 0 and f"{email}@example.org" in result.output, result.output


# L16 --------------------------------------------------------------------------------------

CJK = "name,email,organisation,audience\n王小明,wang@example.org,李小龍,policy\n"


def _cjk_font(path: Path, chars: str) -> None:
    """A TrueType font with a box glyph for each of *chars* (and the space)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef", "space", *(f"uni{ord(c):04X}" for c in chars)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({32: "space", **{ord(c): f"uni{ord(c):04X}" for c in chars}})
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        if name != "space":
            pen.moveTo((100, 0)), pen.lineTo((100, 700)), pen.lineTo((900, 700)), pen.lineTo((900, 0))
            pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({n: (1000 if n != "space" else 250, 100) for n in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Test CJK", "styleName": "Regular", "psName": "TestCJK-Regular"})
    builder.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(str(path))


def test_l16_a_name_no_font_can_print_is_refused(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review L16 (D18): recipients 王小明 and 李小龍 were stamped "Prepared for ???, ???" without a
    word. With no font that has the characters, the row is refused, naming its line."""
    monkeypatch.setattr(copies, "SYSTEM_FONTS", (), raising=False)  # only the workspace's and the theme's fonts
    (ws / "cjk.csv").write_text(CJK, encoding="utf-8")
    result = distribute(ws, "cjk.csv")
    assert result.exit_code == 1, result.output
    assert "recipients line 2 (wang@example.org): the stamp cannot print '王小明李龍'" in result.output
    assert not list((ws / "out" / "distribution").glob("recipient*/*.pdf"))


@pytest.mark.parametrize("suffix", [".ttf", ".ttc"])
def test_l16_a_fallback_font_prints_the_name(ws: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """Review L16: with a font that has the characters among the fonts (a TrueType font or
    collection), the stamp prints the name in it (the rest stays in the theme's font)."""
    fonts = ws.parent / "fonts"  # the system's fonts: a font in templates/fonts/ would call for a new build
    fonts.mkdir()
    _cjk_font(fonts / "TestCJK.ttf", "王小明李龍")
    if suffix == ".ttc":
        from fontTools.ttLib import TTCollection, TTFont

        collection = TTCollection()
        collection.fonts = [TTFont(fonts / "TestCJK.ttf")]
        collection.save(str(fonts / "TestCJK.ttc"))
        (fonts / "TestCJK.ttf").unlink()
    monkeypatch.setattr(copies, "SYSTEM_FONTS", (str(fonts),), raising=False)
    (ws / "cjk.csv").write_text(CJK, encoding="utf-8")
    result = distribute(ws, "cjk.csv")
    assert result.exit_code == 0, result.output
    (pdf,) = (ws / "out" / "distribution" / "recipient").glob("*.pdf")
    text = pypdfium2.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "Prepared for 王小明, 李小龍 · copy 1 of 1" in text and "?" not in text.splitlines()[-1]
    with pikepdf.open(pdf) as doc:
        fonts = [str(f.BaseFont) for k, f in doc.pages[0].Resources.Font.items() if k.startswith("/BriefStamp")]
    assert len(fonts) == 2 and any("TestCJK" in f for f in fonts), fonts


# H3 ---------------------------------------------------------------------------------------


def test_h3_a_copy_made_again_is_the_same_bytes(ws: Path) -> None:
    """Review H3: a lost ``stamped`` has the copy made again, and it must be byte for byte the
    same (fontTools stamped the subset's head.modified, add_resource() picked a random name)."""
    pdf = copy_of(ws, "alex-rivera")
    first = pdf.read_bytes()
    for made in (ws / "out" / "distribution").glob("*/*"):
        made.unlink()
    time.sleep(1.1)  # the font's timestamp is in seconds
    assert distribute(ws, "recipients.csv").exit_code == 0
    assert pdf.read_bytes() == first
