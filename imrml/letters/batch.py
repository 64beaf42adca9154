"""Many letters: each file's Letter or Reject, in input order, parsed in worker processes or, for a small
input of text files, in this process.

PDF files always go to workers (:mod:`imrml.letters.pool`): only a worker holds the time and memory limits
for PDFium's page load. How many workers: ``jobs`` (default: every core this process may use), but no more
than the input pays for; a worker costs about 0.1 s to start (measured in ``make bench-parse``).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..records.schema import ItemRecord, Letter, Reject
from ..records.tables import find_inputs
from .extract import is_pdf
from .limits import DEFAULT_LIMITS, Limits
from .pool import ParsePool
from .worker import Outcome, Task, outcome

# Measured in `make bench-parse` (2 cores): below these a worker costs more than it saves.
FILES_PER_WORKER = 25  # PDF letters that pay for starting one more worker (~0.1 s = ~12 letters of work)
TEXT_IN_PROCESS = 200  # text letters parsed in this process below this (~1,300 letters/s here)


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def needs_pdfium(path: Path) -> bool:
    """True for a file read as a PDF (by its name or its first bytes): only a worker bounds its page loads."""
    try:
        with open(path, "rb") as fh:
            return is_pdf(path.name, fh.read(5))
    except OSError:
        return False  # rejected as unreadable, in process


def workers_for(files: list[Path], jobs: int | None) -> int:
    """How many workers ``files`` are worth: 0 (in this process) for ``jobs`` 0 or a few text files, else one
    per FILES_PER_WORKER files, at least one and at most ``jobs``."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 0:
        return 0
    if len(files) < TEXT_IN_PROCESS and not any(needs_pdfium(f) for f in files):
        return 0
    return max(1, min(jobs, math.ceil(len(files) / FILES_PER_WORKER)))


def iter_outcomes(
    files: list[Path], jobs: int | None = None, limits: Limits = DEFAULT_LIMITS, progress: bool = False
) -> Iterator[tuple[Path, Outcome]]:
    """Each file with its outcome, in input order (``jobs``: None = every core, 0 = in this process); a
    progress bar on a terminal when ``progress``."""
    tasks = [Task(str(f), str(f)) for f in files]
    workers = workers_for(files, jobs)
    with contextlib.ExitStack() as stack:
        if workers:
            outcomes = stack.enter_context(ParsePool(limits, workers)).parse(tasks)
        else:
            outcomes = (outcome(task, limits) for task in tasks)
        bar = None
        if progress and sys.stderr.isatty():
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(total=len(files), unit="letter", desc="parse", file=sys.stderr))
        for f, result in zip(files, outcomes, strict=True):
            yield f, result
            if bar is not None:
                bar.update(1)


def iter_parsed(
    paths: Iterable[Path], progress: bool = False, jobs: int | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Letter | Reject]:
    """Yield a Letter or a Reject for each file, in order."""
    for f, result in iter_outcomes([Path(p) for p in paths], jobs, limits, progress):
        yield result.value if result.kind == "ok" else Reject(str(f), result.value)


@dataclass
class ParseResult:
    records: list[ItemRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    n_files: int = 0
    n_letters: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.n_files} files: {self.n_letters} letters parsed into {len(self.records)} items, "
            f"{len(self.rejects)} rejected ({self.seconds:.1f} s)"
        )


def parse_paths(
    paths: Iterable[str | Path], progress: bool = False, jobs: int | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParseResult:
    """Parse letter files and folders (searched recursively for .pdf/.txt), every record held in memory (a
    large batch streams instead: :func:`iter_parsed`)."""
    t0 = time.perf_counter()
    rejects: list[Reject] = []  # what a folder holds that cannot be searched: a reject each, counted as a file
    files = find_inputs(paths, rejects=rejects)
    result = ParseResult(n_files=len(files) + len(rejects), rejects=rejects)
    for out in iter_parsed(files, progress=progress, jobs=jobs, limits=limits):
        if isinstance(out, Reject):
            result.rejects.append(out)
        else:
            result.n_letters += 1
            result.records.extend(out.items)
    result.seconds = time.perf_counter() - t0
    return result
