"""File -> letter text, for .pdf and .txt letters, with a one-line reason for every failure.

PDF text comes from pypdfium2 (PDFium, Apache-2.0/BSD). Measured on the 120
real letters in ../shared it is the fastest of pypdfium2, PyMuPDF, pypdf and
pdfminer.six, and it keeps each header label beside its value in the two-column
header block (see README, "Why pypdfium2"). Published letters are AES-encrypted
with an empty user password and a copy restriction: PDFium opens them with no
password and ignores the restriction, as a reader does.
"""

from __future__ import annotations

from pathlib import Path

PAGE_BREAK = "\f"
MIN_TEXT_CHARS = 40  # below this a PDF page set is taken to have no text layer


class LetterError(Exception):
    """A file that yields no items. ``str(err)`` is the one-line reason."""


def read_text_file(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise LetterError("empty file")
    head = data[:4096]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > 0.05 * len(head):
        raise LetterError("binary data, not a text letter")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LetterError(f"not UTF-8 text (invalid byte at offset {e.start}); re-save it as UTF-8") from None


def read_pdf_file(path: Path) -> str:
    """Return the PDF's text, pages separated by form feeds."""
    import pypdfium2 as pdfium

    data = path.read_bytes()
    if not data.strip():
        raise LetterError("empty file")
    if not data.lstrip()[:5] == b"%PDF-":
        raise LetterError("not a PDF (no %PDF- signature)")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e).lower()
        if "password" in msg:
            raise LetterError("PDF needs a user password; published letters open without one") from None
        raise LetterError(f"corrupt or truncated PDF ({e})") from None
    try:
        pages = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded())
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


def letter_text(path: str | Path) -> str:
    """Read a letter file's text (.pdf, or anything else read as UTF-8 text)."""
    path = Path(path)
    if not path.exists():
        raise LetterError("file not found")
    if path.is_dir():
        raise LetterError("is a folder, not a letter file")
    with open(path, "rb") as fh:
        head = fh.read(5)
    if path.suffix.lower() == ".pdf" or head == b"%PDF-":
        return read_pdf_file(path)
    return read_text_file(path)
