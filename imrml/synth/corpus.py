"""A corpus of generated letters: :func:`generate_letters` in memory, :func:`write_corpus` to files.

Real letters cannot ship with the project, so the demo, the tests and the scale
benchmarks use letters made here. Each letter looks to the parser like a real one
of one of the three letter generations ("2016" with a header block, "2014" as older
PDF text extraction left it, "2013" the MAXIMUS letter to the parties) and comes
with the records the parser should read back from it. One ``random.Random(seed)``
makes every draw, so the same arguments give byte-identical letters and truth.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..letters.labels import label_item
from ..records.schema import OVERTURNED
from ..records.tables import atomic_path, write_jsonl
from .letter import GeneratedLetter
from .pdf import letter_pdf
from .plan import TEMPLATES, decide, intercept_for, plan_letter
from .render import render_letter


def generate_letters(n: int, seed: int, overturn_rate: float = 0.10) -> Iterator[GeneratedLetter]:
    """Yield ``n`` generated letters; the same arguments always yield the same letters."""
    if n < 0:
        raise ValueError(f"number of letters must be >= 0, not {n}")
    intercept = intercept_for(round(float(overturn_rate), 6))
    rng = random.Random(seed)
    used: set[str] = set()
    for _ in range(n):
        plan = plan_letter(rng, used)
        decide(rng, plan, intercept)
        yield render_letter(rng, plan)


@dataclass
class CorpusInfo:
    """What :func:`write_corpus` wrote."""

    out_dir: Path
    letters_dir: Path
    truth_path: Path
    n_letters: int
    n_items: int
    n_overturned: int
    templates: dict[str, int]
    fmt: str
    seconds: float

    @property
    def overturn_rate(self) -> float:
        return self.n_overturned / self.n_items if self.n_items else 0.0


def write_corpus(
    out_dir, n: int, seed: int, fmt: str = "txt", overturn_rate: float = 0.10, progress: bool = False
) -> CorpusInfo:
    """Write ``n`` letters to ``out_dir/letters/<case_id>.<fmt>`` and their true items to ``out_dir/truth.jsonl``."""
    if fmt not in ("txt", "pdf"):
        raise ValueError(f"format must be txt or pdf, not {fmt!r}")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    letters_dir = out_dir / "letters"
    letters_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    templates = dict.fromkeys(TEMPLATES, 0)
    n_over = 0
    letters = generate_letters(n, seed, overturn_rate)
    if progress:
        letters = tqdm(letters, total=n, unit="letter", desc="synth")
    for letter in letters:
        name = f"{letter.case_id}.{fmt}"
        with atomic_path(letters_dir / name) as tmp:
            if fmt == "txt":
                tmp.write_text(letter.text, encoding="utf-8")
            else:
                tmp.write_bytes(letter_pdf(letter))
        templates[letter.template] += 1
        for rec in letter.items:
            rec.source_file = name
            label_item(rec)
            n_over += rec.decision == OVERTURNED
            rows.append(rec.to_dict())
    truth = out_dir / "truth.jsonl"
    write_jsonl(rows, truth)
    return CorpusInfo(out_dir, letters_dir, truth, n, len(rows), n_over, templates, fmt, time.perf_counter() - t0)
