"""The letters layer's data tables: CSV files in ``imrml/letters/data`` whose ``#`` header lines say their source."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_data_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a data table as dicts (cells stripped); ``path`` is a file name in DATA_DIR or a path."""
    path = Path(path)
    if not path.is_absolute():
        path = DATA_DIR / path
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if line.strip() and not line.startswith("#"))
        return [{k: (v or "").strip() for k, v in row.items()} for row in rows]
