"""Per-file limits: how much one letter file may cost before it is rejected with the limit named.

Defaults are far above every real letter. Measured on the 120 real letters of
../shared/data/dwc-letters (largest): 50,914 bytes, 10 pages, 27,262 characters,
21 items, 12 ms to extract, 24 MB peak RSS for the whole batch.

Where each limit is checked, cheapest first: ``max_bytes`` on ``stat()`` before
the file is read; ``max_pages`` on the page count (the page tree only) before a
page is loaded; ``max_chars`` on each page's character count before its text is
copied (a text file: its byte size first, then its length); ``max_items`` on the
item blocks before any record is built. ``max_seconds`` and ``max_memory_mb``
need a worker process (:mod:`imrml.letters.pool`): PDFium's page load inflates a
whole content stream in one call that Python cannot interrupt or size, so the
worker runs with its address space capped and the parent kills it at the deadline.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from .errors import LimitExceeded

# limit -> what a file past it is: the first clause of its reject reason
_WORDING = {
    "max_bytes": "file larger than the {:,}-byte limit",
    "max_pages": "PDF has more than the {:,}-page limit",
    "max_chars": "text longer than the {:,}-character limit",
    "max_items": "letter has more than the {:,}-item limit",
    "max_seconds": "took longer than the {:g}-second limit",
    "max_memory_mb": "needed more than the {:,} MB memory limit",
}


@dataclass(frozen=True)
class Limits:
    """What one letter file may cost; past a limit the file is a reject naming it (and its flag)."""

    max_bytes: int = 50_000_000  # ~1,000x the largest real letter: an OCR'd 10-page scan is 5-20 MB
    max_pages: int = 200  # 20x
    max_chars: int = 2_000_000  # 73x; PDFium's text page costs ~120 bytes a character, so this fits max_memory_mb
    max_items: int = 1_000  # 48x
    max_seconds: float = 30.0  # the whole file, extraction and parsing: 2,500x the slowest real letter
    max_memory_mb: int = 512  # a worker's address space above its size at start: ~20x

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name) > 0:
                raise ValueError(f"{f.name} must be positive, not {getattr(self, f.name)!r}")

    def reason(self, name: str, detail: str = "") -> str:
        """The reject reason for limit ``name``: what the file is, then the flag to raise and what was measured."""
        what = _WORDING[name]
        flag = "--" + name.replace("_", "-")
        return f"{what.format(getattr(self, name))} ({flag}{'; ' + detail if detail else ''})"

    def exceeded(self, name: str, detail: str = "") -> LimitExceeded:
        return LimitExceeded(self.reason(name, detail), name)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Limits:
        return cls(**json.loads(text))


DEFAULT_LIMITS = Limits()
LIMIT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Limits))
