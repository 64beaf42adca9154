"""File -> letter text, for .pdf and .txt letters, within the per-file limits, with a one-line reason for every
failure.

PDF text comes from pypdfium2 (PDFium, Apache-2.0/BSD). Measured on the 120
real letters in ../shared it is the fastest of pypdfium2, PyMuPDF, pypdf and
pdfminer.six, and it keeps each header label beside its value in the two-column
header block (see README, "Why pypdfium2"). Published letters are AES-encrypted
with an empty user password and a copy restriction: PDFium opens them with no
password and ignores the restriction, as a reader does.

The cheap limits are checked before the work they bound (:mod:`imrml.letters.limits`):
the byte size before reading, the page count before loading a page, each
page's character count before copying its text. Loading a page is the one step
that cannot be bounded from here; :mod:`imrml.letters.pool` runs it in a worker.
"""

from __future__ import annotations

import time
from pathlib import Path

from .errors import LetterError
from .limits import DEFAULT_LIMITS, Limits

PAGE_BREAK = "\f"
MIN_TEXT_CHARS = 40  # below this a PDF page set is taken to have no text layer
UTF8_MAX_BYTES = 4  # a UTF-8 character takes at most 4 bytes


def text_of_text_file(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """A text letter's bytes decoded, or a LetterError naming why they are not a letter's text."""
    if not data.strip():
        raise LetterError("empty file")
    head = data[:4096]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > 0.05 * len(head):
        raise LetterError("binary data, not a text letter")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LetterError(f"not UTF-8 text (invalid byte at offset {e.start}); re-save it as UTF-8") from None
    if len(text) > limits.max_chars:
        raise limits.exceeded("max_chars", f"{len(text):,} characters")
    return text


def text_of_pdf(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """A PDF's text, pages separated by form feeds: page count checked before any page loads, each page's
    character count before its text is copied, the time between pages."""
    import pypdfium2 as pdfium

    started = time.monotonic()
    if not data.strip():
        raise LetterError("empty file")
    if not data.lstrip()[:5] == b"%PDF-":
        raise LetterError("not a PDF (no %PDF- signature)")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise LetterError("PDF needs a user password; published letters open without one") from None
        raise LetterError(f"corrupt or truncated PDF ({e})") from None
    try:
        n_pages = len(doc)  # the page tree only: no page is loaded yet
        if n_pages > limits.max_pages:
            raise limits.exceeded("max_pages", f"{n_pages:,} pages")
        pages = []
        chars_left = limits.max_chars
        for i in range(n_pages):
            if time.monotonic() - started > limits.max_seconds:
                raise limits.exceeded("max_seconds", f"stopped before page {i + 1} of {n_pages}")
            page = doc[i]
            textpage = page.get_textpage()
            try:
                n = textpage.count_chars()
                if n > chars_left:
                    total = limits.max_chars - chars_left + n
                    raise limits.exceeded("max_chars", f"over {total:,} characters by page {i + 1} of {n_pages}")
                # get_text_bounded, not get_text_range: it keeps PDFium's soft-hyphen marker as the parser
                # expects it (get_text_range changed 37 of the 120 real letters' text)
                pages.append(textpage.get_text_bounded())
                chars_left -= n
            finally:
                textpage.close()
                page.close()
    except pdfium.PdfiumError as e:
        raise LetterError(f"corrupt or truncated PDF ({e})") from None
    finally:
        doc.close()
    if not pages:
        raise LetterError("PDF has no pages")
    text = PAGE_BREAK.join(pages)
    if len("".join(text.split())) < MIN_TEXT_CHARS:
        raise LetterError(f"PDF has no text layer ({len(pages)} page(s), scanned image?); run OCR first")
    return text


def is_pdf(name: str, head: bytes) -> bool:
    """A letter is read as a PDF when its name says so or its first bytes do."""
    return name.lower().endswith(".pdf") or head[:5] == b"%PDF-"


def letter_text_of_bytes(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """The text of a letter file's contents (``name`` says whether it is a PDF): for letters that are not
    files here, such as Spark's binaryFile rows."""
    if len(data) > limits.max_bytes:
        raise limits.exceeded("max_bytes", f"{len(data):,} bytes")
    if is_pdf(name, data[:5]):
        return text_of_pdf(data, limits)
    return text_of_text_file(data, limits)


def letter_text(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """Read a letter file's text (.pdf, or anything else read as UTF-8 text) within ``limits``; a file too
    large for them is rejected before it is read."""
    path = Path(path)
    if not path.exists():
        raise LetterError("file not found")
    if path.is_dir():
        raise LetterError("is a folder, not a letter file")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise limits.exceeded("max_bytes", f"{size:,} bytes")
    with open(path, "rb") as fh:
        head = fh.read(5)
    pdf = is_pdf(path.name, head)
    if not pdf and size > UTF8_MAX_BYTES * limits.max_chars:  # cannot hold max_chars characters or fewer
        raise limits.exceeded("max_chars", f"{size:,} bytes of text")
    data = path.read_bytes()
    return text_of_pdf(data, limits) if pdf else text_of_text_file(data, limits)
