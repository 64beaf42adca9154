"""Parsing speed on the real letters of ../shared/data/dwc-letters (one core).

* text: letters/s parsing letter text already in memory (the parser alone);
* pdf: letters/s for parse_letter on the PDF files (extraction + parsing);
* reference: pypdfium2's bare text extraction of the same PDF files.
Targets (issue 2): text >= 500 letters/s; PDF time <= 1.5 x bare extraction time.
"""

import sys

import pypdfium2 as pdfium
from _common import SHARED, best_of, save

from imrml.letters.extract import letter_text
from imrml.letters.parse import parse_letter, parse_text


def bare_extract(files):
    for f in files:
        doc = pdfium.PdfDocument(str(f))
        for i in range(len(doc)):
            doc[i].get_textpage().get_text_bounded()
        doc.close()


def main():
    folder = SHARED / "data" / "dwc-letters"
    files = sorted(folder.glob("*.pdf"))
    if not files:
        sys.exit(f"bench-parse needs the real letters in {folder}")
    texts = [(letter_text(f), f.name) for f in files]
    rounds = 10  # the text corpus is small: parse it several times per measurement
    t_text, _ = best_of(lambda: [parse_text(t, n) for _ in range(rounds) for t, n in texts])
    t_pdf, letters = best_of(lambda: [parse_letter(f) for f in files])
    t_bare, _ = best_of(lambda: bare_extract(files))
    n = len(files)
    result = {
        "data": f"{n} real letters, {folder}",
        "text_letters_per_s": round(n * rounds / t_text, 1),
        "pdf_letters_per_s": round(n / t_pdf, 1),
        "bare_extraction_letters_per_s": round(n / t_bare, 1),
        "pdf_time_over_bare_extraction": round(t_pdf / t_bare, 2),
        "items": sum(len(L.items) for L in letters),
        "targets": {"text_letters_per_s": ">= 500", "pdf_time_over_bare_extraction": "<= 1.5"},
    }
    result["meets_targets"] = result["text_letters_per_s"] >= 500 and result["pdf_time_over_bare_extraction"] <= 1.5
    save("parse", result)


if __name__ == "__main__":
    main()
