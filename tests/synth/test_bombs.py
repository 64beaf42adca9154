"""Hostile test files: small on disk, the stated size once inflated, and valid enough for PDFium to open."""

import re
import zlib

import pypdfium2 as pdfium

from imrml.synth.bombs import write_pdf_bomb, write_text_bomb


def test_a_pdf_bomb_inflates_to_its_size(tmp_path):
    size = 3 << 20
    for kind in ("spaces", "textops", "lines"):
        bomb = write_pdf_bomb(tmp_path / f"{kind}.pdf", kind, size, pages=2)
        data = bomb.read_bytes()
        streams = re.findall(rb"stream\n(.*?)\nendstream", data, re.S)
        inflated = sum(len(zlib.decompress(s)) for s in streams)
        assert len(streams) == 2 and size - 200 <= inflated <= size, kind
        assert len(data) < size // 20, kind
        assert len(pdfium.PdfDocument(str(bomb))) == 2


def test_a_text_bomb_repeats_the_items(tmp_path, fixtures_dir):
    letter = (fixtures_dir / "letter_2016.txt").read_text()
    bomb = write_text_bomb(tmp_path / "bomb.txt", letter, 200_000)
    text = bomb.read_text()
    assert 150_000 < len(text) <= 200_000
    assert text.count("Upheld") + text.count("Overturned") > 10 * (letter.count("Upheld") + letter.count("Overturned"))
