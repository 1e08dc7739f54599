"""Reading a stamp back: the copy IDs drawn where brief draws them, found with pdfium's text
positions (never text elsewhere on the page), and the bounded inflater :mod:`stamp` uses to
weigh a hostile file's streams before qpdf or pdfium reads them."""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from brief.distribute.stamp import MAX_SIZE, MIN_SIZE, id_baselines, id_labels
from brief.errors import DataError


def inflate(chunks: Iterator[bytes], stages: int) -> Iterator[bytes]:
    """*chunks* through *stages* Flate decoders, a megabyte at a time (damaged data ends it)."""
    if stages > 1:
        chunks = inflate(chunks, stages - 1)
    decoder = zlib.decompressobj()
    for chunk in chunks:
        while chunk and not decoder.eof:
            try:
                out = decoder.decompress(chunk, 1 << 20)
            except zlib.error:
                return
            chunk = decoder.unconsumed_tail
            yield out
        if decoder.eof:
            return


def prescan(data: bytes, path: Path, each: int, total: int) -> None:
    """Refuse *data* when any of its streams inflates past *each* bytes, or all of them past
    *total*, before a PDF library opens it: qpdf inflates an object stream whole as soon as
    it needs one object in it (the page tree, at open). Every ``stream`` keyword's data is
    tried as Flate, 64 KB at a time; what is not Flate stops at once."""
    view = memoryview(data)
    spent = 0
    for match in _STREAM.finditer(data):
        chunks = (bytes(view[at : at + 65536]) for at in range(match.end(), len(data), 65536))
        size = 0
        for out in inflate(chunks, 1):
            size += len(out)
            if size > each or spent + size > total:
                raise DataError(
                    f"a stream of the PDF inflates past {min(each, total - spent) >> 20} MB",
                    path,
                    hint="this is not a brief copy",
                )
        spent += size


_STREAM = re.compile(rb"stream\r?\n")


def stamps(data: bytes, path: Path) -> list[list[str]]:
    """The copy IDs of the stamps on each page: text objects at the place and size brief draws
    the copy ID's line that start ``copy ID`` (text elsewhere on the page is not a stamp)."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise DataError(f"not a readable PDF ({exc})", path) from None
    found = []
    x, y = ctypes.c_double(), ctypes.c_double()
    try:
        for page in document:
            bottom = page.get_mediabox()[1]
            text = page.get_textpage()
            drawn: dict[int, str] = {}  # text object → its characters at the stamp's place
            for i in range(text.count_chars()):
                size = pdfium.FPDFText_GetFontSize(text.raw, i)
                if not MIN_SIZE - 0.01 <= size <= MAX_SIZE + 0.01 or not pdfium.FPDFText_GetCharOrigin(
                    text.raw, i, x, y
                ):
                    continue
                if any(abs(y.value - at) < 0.05 for at in id_baselines(bottom, size)):
                    key = ctypes.addressof(pdfium.FPDFText_GetTextObject(text.raw, i).contents)
                    drawn[key] = drawn.get(key, "") + chr(pdfium.FPDFText_GetUnicode(text.raw, i))
            found.append([m.group(1) for line in drawn.values() if (m := _id_line().match(line))])
    finally:
        document.close()
    return found


@functools.cache
def _id_line() -> re.Pattern[str]:
    labels = "|".join(re.escape(label) for label in id_labels())
    return re.compile(rf"(?:{labels}) ([0-9a-f]{{12}})(?: ·|$)")


def copy_ids(path: Path) -> list[str]:
    """Every copy ID the PDF at *path* carries (its document information's, then its pages'
    stamps), once each; none when it is no PDF brief can read (an HTML edition, say)."""
    from brief.distribute.stamp import read_copy

    try:
        evidence = read_copy(path)
    except DataError:
        return []
    found = [evidence.metadata] if evidence.metadata and re.fullmatch(r"[0-9a-f]{12}", evidence.metadata) else []
    return list(dict.fromkeys([*found, *(copy_id for page in evidence.pages for copy_id in page)]))
