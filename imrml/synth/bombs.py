"""Hostile letter files for testing the parser's per-file limits: small on disk, huge once read.

* ``spaces``: pages whose Flate-compressed content inflates to ``size`` bytes of spaces (2 GiB is about 2 MB
  on disk). PDFium inflates and scans all of it while loading the page.
* ``textops``: ``BT /F1 12 Tf 72 720 Td (word word) Tj ET`` repeated to ``size`` bytes: every repeat is a text
  object PDFium keeps (about 500 bytes each), all at one spot, so the page yields only a few characters.
* ``lines``: one text object showing ``size`` bytes of words line after line: every byte is a character, so
  it tests the character limit rather than the page load.
* :func:`write_text_bomb`: a text letter whose item blocks repeat until the file is ``size`` bytes.

Everything is written in 1 MB pieces through a zlib compressor, so building a 2 GiB bomb takes a few MB of
memory. Write them to a temporary folder and delete them after use; never commit them.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

PDF_KINDS = ("spaces", "textops", "lines")
_TEXT_OP = b"BT /F1 12 Tf 72 720 Td (word word) Tj ET\n"
_LINE_OP = b"(" + b"word " * 15 + b") '\n"
_PIECE = 1 << 20  # plain bytes compressed at a time
_ITEM_HEADING = re.compile(r"^.+:\s*(?:Upheld|Overturned)\s*$", re.M)


def _content(kind: str, size: int):
    """The plain content stream of ``size`` bytes (whole operators), in pieces."""
    head, tail = (b"BT /F1 10 Tf 12 TL 72 720 Td\n", b"ET\n") if kind == "lines" else (b"", b"")
    yield head
    op = {"spaces": b" ", "textops": _TEXT_OP, "lines": _LINE_OP}[kind]
    piece = op * (_PIECE // len(op))
    left = size - len(head) - len(tail)
    while left >= len(op):  # whole operators only: at most one operator short of ``size``
        part = piece if left >= len(piece) else op * (left // len(op))
        yield part
        left -= len(part)
    yield tail


def _compressed(kind: str, size: int):
    comp = zlib.compressobj(9)
    for part in _content(kind, size):
        yield comp.compress(part)
    yield comp.flush()


def write_pdf_bomb(path: str | Path, kind: str, size: int, pages: int = 1) -> Path:
    """A valid PDF whose ``pages`` content streams inflate to ``size`` bytes of ``kind`` in all.

    Objects: 1 catalog, 2 page tree, 3 font, then per page its page, its content stream and the stream's
    /Length (an indirect object written after the stream, once it is known).
    """
    if kind not in PDF_KINDS:
        raise ValueError(f"unknown bomb kind {kind!r}; one of {', '.join(PDF_KINDS)}")
    path = Path(path)
    offsets: dict[int, int] = {}
    page_ids = [4 + 3 * i for i in range(pages)]
    with open(path, "wb") as fh:

        def obj(num: int, body: bytes) -> None:
            offsets[num] = fh.tell()
            fh.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")

        fh.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % p for p in page_ids)
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
        obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        for pid in page_ids:
            obj(
                pid,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pid + 1),
            )
            offsets[pid + 1] = fh.tell()
            fh.write(b"%d 0 obj\n<< /Length %d 0 R /Filter /FlateDecode >>\nstream\n" % (pid + 1, pid + 2))
            length = 0
            for out in _compressed(kind, size // pages):
                fh.write(out)
                length += len(out)
            fh.write(b"\nendstream\nendobj\n")
            obj(pid + 2, b"%d" % length)
        n = 4 + 3 * pages
        xref = fh.tell()
        fh.write(b"xref\n0 %d\n0000000000 65535 f \n" % n)
        fh.writelines(b"%010d 00000 n \n" % offsets[i] for i in range(1, n))
        fh.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xref))
    return path


def write_text_bomb(path: str | Path, letter_text: str, size: int) -> Path:
    """A text letter of about ``size`` bytes: ``letter_text``'s header, then its item blocks again and again."""
    first = _ITEM_HEADING.search(letter_text)
    if first is None:
        raise ValueError("the letter has no item heading ('X: Upheld' or 'X: Overturned')")
    head = letter_text[: first.start()].encode()
    items = (letter_text[first.start() :].rstrip() + "\n\n").encode()
    with open(path, "wb") as fh:
        fh.write(head)
        for _ in range(max(1, (size - len(head)) // len(items))):
            fh.write(items)
    return Path(path)
