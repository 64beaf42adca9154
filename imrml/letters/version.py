"""The parser's version: what a corpus compares to know which letters to parse again.

It changes whenever anything that shapes a record may have changed: imrml's version, the code and data
tables of the letters layer, the record schema, and the PDFium build that extracts the text. A digest of
the files rather than a number bumped by hand, so that nobody has to remember; the price is that any edit
to those files (a comment too) makes a corpus parse everything again, and the corpus says so.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from .. import __version__

LETTERS = Path(__file__).resolve().parent
# modules of this layer that run the parser but do not shape its records
NOT_SHAPING = {"batch.py", "pool.py", "worker.py", "label_summary.py", "version.py"}


def shaping_files() -> list[Path]:
    """The source and data files a record depends on, in a fixed order."""
    code = [p for p in sorted(LETTERS.glob("*.py")) if p.name not in NOT_SHAPING]
    data = sorted(p for p in (LETTERS / "data").glob("*") if p.is_file())
    return [*code, *data, LETTERS.parent / "records" / "schema.py"]


@cache
def parser_version() -> str:
    """``<imrml version>+<12 hex digits>``: the same string for the same parser, PDFium included."""
    from pypdfium2.version import PDFIUM_INFO, PYPDFIUM_INFO

    digest = hashlib.sha256(f"pypdfium2 {PYPDFIUM_INFO} pdfium {PDFIUM_INFO}".encode())
    for path in shaping_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"
