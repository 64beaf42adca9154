"""Extraction within the limits: the cheap ones are checked before the work they bound."""

import pytest

from imrml.letters.errors import LetterError, LimitExceeded
from imrml.letters.extract import PAGE_BREAK, letter_text
from imrml.letters.limits import Limits
from imrml.synth.bombs import write_pdf_bomb


def _pdf_pages(path, pages):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for n in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 5, f"Page {n + 1} of an IMR letter with enough words to count as a text layer. " * 3)
    pdf.output(str(path))
    return path


def test_a_file_over_max_bytes_is_rejected_naming_its_size(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("x" * 2_000)
    with pytest.raises(LimitExceeded, match=r"1,000-byte limit \(--max-bytes; 2,000 bytes\)") as err:
        letter_text(big, Limits(max_bytes=1_000))
    assert err.value.limit == "max_bytes"


def test_text_is_held_to_max_chars_unread_when_its_bytes_cannot_fit(tmp_path):
    text = tmp_path / "long.txt"
    text.write_text("é" * 300)  # 300 characters, 600 bytes
    assert len(letter_text(text, Limits(max_chars=300))) == 300
    with pytest.raises(LimitExceeded, match=r"299-character limit \(--max-chars; 300 characters\)"):
        letter_text(text, Limits(max_chars=299))
    with pytest.raises(LimitExceeded, match=r"100-character limit \(--max-chars; 600 bytes of text\)"):
        letter_text(text, Limits(max_chars=100))  # 600 bytes > 4 x 100: no need to read it


def test_pdf_pages_are_counted_before_any_page_loads(tmp_path):
    pdf = _pdf_pages(tmp_path / "three.pdf", 3)
    assert letter_text(pdf, Limits(max_pages=3)).count(PAGE_BREAK) == 2
    with pytest.raises(LimitExceeded, match=r"2-page limit \(--max-pages; 3 pages\)"):
        letter_text(pdf, Limits(max_pages=2))


def test_pdf_characters_are_counted_before_the_text_is_copied(tmp_path):
    bomb = write_pdf_bomb(tmp_path / "lines.pdf", "lines", 1 << 20)  # 4 KB on disk, about a million characters
    with pytest.raises(LimitExceeded, match=r"100,000-character limit \(--max-chars; over [\d,]+ characters by page 1"):
        letter_text(bomb, Limits(max_chars=100_000))


def test_a_file_that_is_not_a_letter_still_says_why(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(LetterError, match="empty file"):
        letter_text(tmp_path / "empty.pdf")


@pytest.mark.shared
def test_every_real_letter_passes_the_default_limits_with_the_text_pdfium_gives(dwc_dir):
    import pypdfium2 as pdfium

    for f in sorted(dwc_dir.glob("*.pdf")):
        doc = pdfium.PdfDocument(str(f))
        bare = PAGE_BREAK.join(doc[i].get_textpage().get_text_bounded() for i in range(len(doc)))
        doc.close()
        assert letter_text(f) == bare, f.name
