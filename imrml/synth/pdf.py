"""A generated letter as a PDF with a text layer, for the PDF path of the parser."""

from __future__ import annotations

import datetime as _dt

from ..records.errors import UserError
from .letter import GeneratedLetter

# a fixed creation date (and producer) keeps the same letter's PDF byte-identical from run to run
PDF_EPOCH = _dt.datetime(2016, 1, 1, tzinfo=_dt.UTC)


def require_fpdf():
    """fpdf2's ``FPDF`` class; a UserError saying how to install it when it is missing (an optional extra)."""
    try:
        from fpdf import FPDF
    except ImportError:
        raise UserError(
            "--format pdf: PDF letters need fpdf2: pip install 'imrml[pdf]' (or use --format txt)"
        ) from None
    return FPDF


def letter_pdf(letter: GeneratedLetter) -> bytes:
    """The letter as a PDF with a text layer (fpdf2, core Helvetica font), byte-identical for the same letter."""
    FPDF = require_fpdf()
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_creation_date(PDF_EPOCH)
    pdf.set_producer("imrml synth")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    for page in letter.pages:
        pdf.add_page()
        y = 60.0
        for line in page:
            if line.strip():
                pdf.text(54, y, line)
            y += 14.0
    return bytes(pdf.output())
