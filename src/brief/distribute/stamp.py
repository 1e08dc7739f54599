"""Per-recipient copies: the already-typeset PDF with a stamp drawn over every page.

pikepdf is imported here and nowhere else. The stamp is one line at the foot of each page
("Prepared for NAME, ORGANISATION · copy n of N · DATE · copy ID"), marked as a pagination
artifact so the copy keeps its tag tree and stays PDF/UA, in a font subset made once per
distribution and embedded in every copy. The copy ID is also in the document information
(``/BriefCopyId``), and :func:`copy_id_of` finds it in either place.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from brief.errors import DataError

COPY_ID_KEY = "/BriefCopyId"
COPY_ID = re.compile(r"copy ID ([0-9a-f]{12})\b")
_SIZE = 7.0  # points: small, and legible when printed
_GREY = 0.3


@dataclass(frozen=True)
class StampFont:
    """A font subset with every character the distribution's stamps use, and its metrics."""

    data: bytes
    name: str
    gids: dict[str, int]
    widths: dict[int, int]  # glyph ID → advance in 1/1000 em
    ascent: int
    descent: int

    def encode(self, text: str) -> bytes:
        """*text* as glyph IDs (Identity-H); a character the font lacks becomes '?'."""
        return b"".join(self.gids.get(c, self.gids["?"]).to_bytes(2, "big") for c in text)

    def width(self, text: str, size: float) -> float:
        """The width of *text* at *size* points."""
        return sum(self.widths[self.gids.get(c, self.gids["?"])] for c in text) * size / 1000


def stamp_font(path: Path, text: str) -> StampFont:
    """The font at *path* cut down to the characters of *text* (glyph IDs kept, so a stamp's
    codes are the font's own glyph IDs)."""
    from fontTools import subset  # 0.3 s to import: only when copies are stamped
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path)
    except OSError as exc:
        raise DataError(f"cannot read the stamp's font ({exc})", path) from None
    cmap = font.getBestCmap()
    chars = sorted({c for c in text + "?" if ord(c) in cmap})
    options = subset.Options()
    options.retain_gids = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    gids = {c: font.getGlyphID(cmap[ord(c)]) for c in chars}
    scale = 1000 / font["head"].unitsPerEm
    widths = {g: round(font["hmtx"][font.getGlyphName(g)][0] * scale) for g in gids.values()}
    ascent, descent = round(font["hhea"].ascent * scale), round(font["hhea"].descent * scale)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    name = "BRFSTP+" + re.sub(r"[^A-Za-z0-9-]", "", font["name"].getDebugName(6) or "Stamp")
    return StampFont(out.getvalue(), name, gids, widths, ascent, descent)


def _to_unicode(font: StampFont) -> bytes:
    pairs = "\n".join(f"<{g:04X}> <{c.encode('utf-16-be').hex().upper()}>" for c, g in sorted(font.gids.items()))
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(font.gids)} beginbfchar\n{pairs}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode("ascii")


def _font_object(pdf: pikepdf.Pdf, font: StampFont) -> pikepdf.Object:
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/" + font.name),
        Flags=32,
        FontBBox=[-500, font.descent, 1500, font.ascent],
        ItalicAngle=0,
        Ascent=font.ascent,
        Descent=font.descent,
        CapHeight=font.ascent,
        StemV=80,
        FontFile2=pdf.make_stream(font.data),
    )
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/" + font.name),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        CIDToGIDMap=pikepdf.Name.Identity,
        W=pikepdf.Array([x for g in sorted(font.widths) for x in (g, pikepdf.Array([font.widths[g]]))]),
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=pikepdf.Name("/" + font.name),
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=[pdf.make_indirect(cid_font)],
            ToUnicode=pdf.make_stream(_to_unicode(font)),
        )
    )


def stamp_copy(source: bytes, font: StampFont, line: str, copy_id: str) -> bytes:
    """*source* with *line* drawn at the foot of every page, as an artifact, and *copy_id*
    in its document information."""
    with pikepdf.open(io.BytesIO(source)) as pdf:
        font_ref = _font_object(pdf, font)
        saved = pdf.make_stream(b"q\n")
        for page in pdf.pages:
            left, bottom, right, _ = (float(v) for v in page.mediabox)
            name = page.add_resource(font_ref, pikepdf.Name.Font, prefix="BriefStamp")
            x = left + (right - left - font.width(line, _SIZE)) / 2
            text = font.encode(line).hex().upper()
            content = (
                f"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq {_GREY} g BT {name} {_SIZE} Tf "
                f"1 0 0 1 {x:.2f} {bottom + 16:.2f} Tm <{text}> Tj ET Q\nEMC\n"
            )
            # The page's own content runs inside q … Q, so whatever state it leaves cannot move the stamp.
            page.contents_add(saved, prepend=True)
            page.contents_add(pdf.make_stream(content.encode("ascii")))
        pdf.docinfo[pikepdf.Name(COPY_ID_KEY)] = copy_id
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def copy_id_of(path: Path) -> str | None:
    """The copy ID of a stamped PDF: from its document information, else from the stamp
    drawn on its pages (when the information was stripped); None when it has neither."""
    try:
        with pikepdf.open(path) as pdf:
            found = pdf.docinfo.get(pikepdf.Name(COPY_ID_KEY))
            if found is not None and re.fullmatch(r"[0-9a-f]{12}", str(found)):
                return str(found)
    except (pikepdf.PdfError, OSError) as exc:
        raise DataError(f"not a readable PDF ({exc})", path, hint="trace a PDF that brief distribute stamped") from None
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        for page in document:
            match = COPY_ID.search(page.get_textpage().get_text_range())
            if match:
                return match.group(1)
    finally:
        document.close()
    return None
