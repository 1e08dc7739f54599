"""Per-recipient copies: the already-typeset PDF with a stamp drawn over every page.

pikepdf is imported here and nowhere else. The stamp is a line at the foot of each page
("copy ID … · Prepared for NAME, ORGANISATION · copy n of N · DATE", in the edition's
language), marked as a pagination
artifact so the copy keeps its tag tree and stays PDF/UA, in font subsets made once per
distribution and embedded in every copy. The copy ID is also in the document information
(``/BriefCopyId``); :func:`read_copy` reports both, and the stamp only where brief draws it.

The stamp stays inside the printable area: at least 0.4in from the paper's edge, shrunk to
fit and, when the smallest size is still too wide, split into the copy ID's line and the
recipient's line, the name cut short with "…" rather than run off the paper. A copy is made
byte for byte the same each time (fixed resource names, the font's own timestamp kept).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from brief.errors import DataError
from brief.model.language import caption, shipped

COPY_ID_KEY = "/BriefCopyId"
_GREY = 0.3
EDGE = 28.8  # points: printers clip near the paper's edge; keep 0.4in clear below the stamp
SIDE = 36.0  # points left and right of the stamp
MAX_SIZE, MIN_SIZE, LEADING, DESCENT = 7.0, 5.0, 1.2, 0.35  # descent: below the baseline, in ems
ELLIPSIS = "…"
# What a leaked copy may cost to read: it is by nature an adversary's file.
MAX_PDF_BYTES = 256 * 1024 * 1024
MAX_PAGES = 2000
MAX_STREAM = 64 * 1024 * 1024  # one stream, decoded
MAX_DECODED = 256 * 1024 * 1024  # every stream the pages use, decoded
MAX_OBJECTS = 200_000
_IMAGE_FILTERS = {"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode"}  # never decoded to read text
_GROWTH = {"/ASCIIHexDecode": 1, "/ASCII85Decode": 4, "/RunLengthDecode": 64, "/LZWDecode": 3000}


@dataclass(frozen=True)
class StampText:
    """What a copy's stamp says: its copy ID first, then who it was prepared for, then the rest."""

    copy_id: str
    who: str  # "Prepared for NAME, ORGANISATION"
    rest: str  # "copy n of N · DATE"
    label: str = "copy ID"  # in the edition's language: "Exemplar-ID" in German

    def head(self) -> str:
        """The copy ID's part of the stamp: its label and the ID."""
        return f"{self.label} {self.copy_id}"

    def line(self) -> str:
        """The stamp on one line."""
        return f"{self.head()} · {self.who} · {self.rest}"

    def characters(self) -> str:
        """Every character the stamp may print (the font subsets need them)."""
        return self.line() + ELLIPSIS


def id_labels() -> list[str]:
    """The copy ID's label in every language brief writes stamps in ("copy ID", "Exemplar-ID"):
    a stamp is read back whatever the language of its edition."""
    return sorted({caption("copy ID", language) for language in shipped()})


@dataclass(frozen=True)
class Face:
    """One font subset of the stamp, and its metrics."""

    data: bytes
    name: str
    gids: dict[str, int]
    widths: dict[int, int]  # glyph ID → advance in 1/1000 em
    ascent: int
    descent: int


@dataclass(frozen=True)
class StampFont:
    """The stamp's font subsets: the theme's font first, then fallbacks for the characters it lacks."""

    faces: tuple[Face, ...]

    def missing(self, text: str) -> str:
        """The characters of *text* no face has, once each, in order."""
        return "".join(dict.fromkeys(c for c in text if self._face(c) is None))

    def runs(self, text: str) -> list[tuple[int, str]]:
        """*text* cut into runs of one face each: ``(face index, text)``."""
        runs: list[tuple[int, str]] = []
        for c in text:
            face = self._face(c)
            if face is None:
                raise DataError(f"the stamp's fonts have no {c!r}", hint="add a font that has it to templates/fonts/")
            if runs and runs[-1][0] == face:
                runs[-1] = (face, runs[-1][1] + c)
            else:
                runs.append((face, c))
        return runs

    def width(self, text: str, size: float) -> float:
        """The width of *text* at *size* points."""
        return sum(sum(self.faces[f].widths[self.faces[f].gids[c]] for c in run) for f, run in self.runs(text)) * (
            size / 1000
        )

    def _face(self, c: str) -> int | None:
        return next((i for i, face in enumerate(self.faces) if c in face.gids), None)


def _face(path: Path, chars: list[str], cmap: dict[int, str], tag: str) -> Face:
    from fontTools import subset  # 0.3 s to import: only when copies are stamped
    from fontTools.ttLib import TTFont

    # recalcTimestamp=False: the subset keeps the font's own date, so a copy made again is the same bytes.
    font = TTFont(path, recalcTimestamp=False, fontNumber=0)
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
    name = tag + "+" + re.sub(r"[^A-Za-z0-9-]", "", font["name"].getDebugName(6) or "Stamp")
    return Face(out.getvalue(), name, gids, widths, ascent, descent)


def stamp_font(paths: Iterable[Path], text: str) -> StampFont:
    """Subsets of the TrueType fonts at *paths* with the characters of *text*: each character
    from the first font that has it (glyph IDs kept, so a stamp's codes are the font's own).
    Fonts are read only while characters are left; what none has is :meth:`StampFont.missing`."""
    from fontTools.ttLib import TTFont, TTLibError

    wanted = list(dict.fromkeys(text))
    faces: list[Face] = []
    for n, path in enumerate(paths):
        if not wanted:
            break
        try:
            with TTFont(path, lazy=True, fontNumber=0) as probe:
                cmap = probe.getBestCmap() or {}
                truetype = "glyf" in probe
        except (OSError, TTLibError, AssertionError, KeyError, ValueError, IndexError, struct.error) as exc:
            if n == 0:
                raise DataError(f"cannot read the stamp's font ({exc})", path) from None
            continue  # a fallback that cannot be read is no fallback
        has = [c for c in wanted if ord(c) in cmap]
        if has and truetype:
            faces.append(_face(path, has, cmap, "BRFST" + "PQRSTUVWXYZ"[min(len(faces), 10)]))
            wanted = [c for c in wanted if c not in has]
    return StampFont(tuple(faces))


def layout(text: StampText, font: StampFont, width: float) -> tuple[float, list[str]]:
    """The size and lines of the stamp on a page *width* points wide: one line, shrunk to fit
    between the side margins; else the copy ID's line over the recipient's, the name cut
    short with "…" when even that is too wide."""
    room = width - 2 * SIDE
    size = MAX_SIZE
    while size >= MIN_SIZE:
        if font.width(text.line(), size) <= room:
            return size, [text.line()]
        size -= 0.5
    first, who = f"{text.head()} · {text.rest}", text.who
    if font.width(who, MIN_SIZE) > room:
        short, long = 0, len(who)  # the longest start of the name that fits with "…"
        while short < long:
            mid = (short + long + 1) // 2
            short, long = (mid, long) if font.width(who[:mid] + ELLIPSIS, MIN_SIZE) <= room else (short, mid - 1)
        who = who[:short].rstrip() + ELLIPSIS
    return MIN_SIZE, [first, who]


def id_baselines(bottom: float, size: float) -> tuple[float, float]:
    """Where the copy ID's line sits (its baseline) on a one-line and on a two-line stamp."""
    low = bottom + EDGE + DESCENT * size
    return low, low + LEADING * size


def _font_object(pdf: pikepdf.Pdf, face: Face) -> pikepdf.Object:
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/" + face.name),
        Flags=32,
        FontBBox=[-500, face.descent, 1500, face.ascent],
        ItalicAngle=0,
        Ascent=face.ascent,
        Descent=face.descent,
        CapHeight=face.ascent,
        StemV=80,
        FontFile2=pdf.make_stream(face.data),
    )
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/" + face.name),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        CIDToGIDMap=pikepdf.Name.Identity,
        W=pikepdf.Array([x for g in sorted(face.widths) for x in (g, pikepdf.Array([face.widths[g]]))]),
    )
    pairs = "\n".join(f"<{g:04X}> <{c.encode('utf-16-be').hex().upper()}>" for c, g in sorted(face.gids.items()))
    to_unicode = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(face.gids)} beginbfchar\n{pairs}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode("ascii")
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=pikepdf.Name("/" + face.name),
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=[pdf.make_indirect(cid_font)],
            ToUnicode=pdf.make_stream(to_unicode),
        )
    )


def _resource_names(page: pikepdf.Page, fonts: list[pikepdf.Object]) -> list[str]:
    # Named by hand, not with add_resource()'s random suffix: the same copy is the same bytes.
    resources = page.obj.get("/Resources")
    if resources is None:
        page.obj.Resources = resources = pikepdf.Dictionary()
    if "/Font" not in resources:
        resources.Font = pikepdf.Dictionary()
    taken = set(resources.Font.keys())
    names, n = [], 0
    for font in fonts:
        while f"/BriefStamp{n}" in taken:
            n += 1
        resources.Font[f"/BriefStamp{n}"] = font
        names.append(f"/BriefStamp{n}")
        n += 1
    return names


def _drawn(font: StampFont, names: list[str], line: str, size: float, x: float, y: float) -> str:
    shown = " ".join(f"{names[f]} {size:g} Tf <{_glyphs(font.faces[f], run)}> Tj" for f, run in font.runs(line))
    return f"BT 1 0 0 1 {x:.2f} {y:.2f} Tm {shown} ET"


def _glyphs(face: Face, text: str) -> str:
    return b"".join(face.gids[c].to_bytes(2, "big") for c in text).hex().upper()


def stamp_copy(source: bytes, font: StampFont, text: StampText, copy_id: str) -> bytes:
    """*source* with *text* stamped at the foot of every page, as an artifact, and *copy_id*
    in its document information."""
    with pikepdf.open(io.BytesIO(source)) as pdf:
        fonts = [_font_object(pdf, face) for face in font.faces]
        saved = pdf.make_stream(b"q\n")
        layouts: dict[float, tuple[float, list[str]]] = {}  # by page width: most pages share one
        for page in pdf.pages:
            left, bottom, right, _ = (float(v) for v in page.mediabox)
            names = _resource_names(page, fonts)
            if right - left not in layouts:
                layouts[right - left] = layout(text, font, right - left)
            size, lines = layouts[right - left]
            y = id_baselines(bottom, size)[len(lines) - 1]
            drawn = []
            for n, line in enumerate(lines):
                x = left + (right - left - font.width(line, size)) / 2
                drawn.append(_drawn(font, names, line, size, x, y - n * LEADING * size))
            content = (
                f"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq {_GREY} g "
                + "\n".join(drawn)
                + " Q\nEMC\n"
            )
            # The page's own content runs inside q … Q, so whatever state it leaves cannot move the stamp.
            page.contents_add(saved, prepend=True)
            page.contents_add(pdf.make_stream(content.encode("ascii")))
        pdf.docinfo[pikepdf.Name(COPY_ID_KEY)] = copy_id
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


@dataclass(frozen=True)
class Evidence:
    """What a PDF says about whose copy it is: the document information's copy ID (as found,
    even when malformed), the copy IDs of the stamps at the stamp's place on each page, and
    the file's sha256."""

    metadata: str | None
    pages: list[list[str]] = field(default_factory=list)
    sha256: str = ""


def read_copy(path: Path) -> Evidence:
    """The :class:`Evidence` in the PDF at *path*, read within bounds (file size, pages,
    decoded stream sizes) so that a hostile file is refused in one line, not inflated."""
    from brief.distribute.stampread import prescan, stamps
    from brief.workspace.files import read_input

    data = read_input(path, None, MAX_PDF_BYTES)
    prescan(data, path, MAX_STREAM, MAX_DECODED)
    hint = "trace a PDF that brief distribute stamped"
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            # Object streams first: qpdf inflates one whole to read any object in it.
            packed = {e.obj_stream_number or 0 for e in pdf.get_xref_table().values() if e.type == 2}
            total = sum(_decoded_size(pdf.get_object((n, 0)), path) for n in sorted(packed)[:MAX_OBJECTS])
            if total > MAX_DECODED:
                raise DataError(f"the PDF's object streams inflate past {MAX_DECODED >> 20} MB", path)
            if len(pdf.pages) > MAX_PAGES:
                raise DataError(f"the PDF has {len(pdf.pages)} pages, over the {MAX_PAGES} a trace reads", path)
            _check_streams(pdf, path, total)
            found = pdf.docinfo.get(pikepdf.Name(COPY_ID_KEY))
            metadata = None if found is None else str(found)[:100]
    except (pikepdf.PdfError, RecursionError, ValueError) as exc:
        raise DataError(f"not a readable PDF ({str(exc)[:200]})", path, hint=hint) from None
    return Evidence(metadata, stamps(data, path), hashlib.sha256(data).hexdigest())


def _check_streams(pdf: pikepdf.Pdf, path: Path, total: int) -> None:
    """Refuse the file when the streams its pages use would inflate past the bounds (*total*
    bytes are inflated already)."""
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        todo: list[pikepdf.Object] = [page.obj]
        parent = page.obj.get("/Parent")
        for _ in range(64):  # resources inherited from the page tree
            if not isinstance(parent, pikepdf.Dictionary):
                break
            todo += [parent.Resources] if "/Resources" in parent else []
            parent = parent.get("/Parent")
        while todo:
            obj = todo.pop()
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
                if len(seen) > MAX_OBJECTS:
                    raise DataError(f"the PDF's pages use over {MAX_OBJECTS} objects", path)
            if isinstance(obj, pikepdf.Stream):
                total += _decoded_size(obj, path)
                if total > MAX_DECODED:
                    raise DataError(f"the PDF's streams inflate past {MAX_DECODED >> 20} MB", path)
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                todo += [v for k, v in obj.items() if k != "/Parent" and isinstance(v, _CONTAINERS)]
            elif isinstance(obj, pikepdf.Array):
                todo += [v for v in obj if isinstance(v, _CONTAINERS)]


_CONTAINERS = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)


def _decoded_size(stream: pikepdf.Object, path: Path) -> int:
    """The size of *stream* decoded as far as reading text decodes it, refused past MAX_STREAM."""
    filters = stream.get("/Filter")
    names = [str(f) for f in (filters if isinstance(filters, pikepdf.Array) else [filters] if filters else [])]
    raw = stream.read_raw_bytes()
    bound = len(raw)
    for name in names:
        if name in _IMAGE_FILTERS:
            break
        bound *= _GROWTH.get(name, 1100)  # deflate's most
    if bound <= MAX_STREAM:
        return bound
    if names and all(n == "/FlateDecode" for n in names):
        from brief.distribute.stampread import inflate

        size = 0
        for chunk in inflate(iter([raw]), len(names)):
            size += len(chunk)
            if size > MAX_STREAM:
                break
        else:
            return size
    raise DataError(f"a stream of the PDF inflates past {MAX_STREAM >> 20} MB", path, hint="this is not a brief copy")
