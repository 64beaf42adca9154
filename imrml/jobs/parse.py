"""The parse job (``imrml parse``): letters -> an items file and a rejects report, or into a corpus.

Records stream to the output as letters are parsed (memory stays flat however many letters), in input order
whatever the number of workers. The output and the rejects report are checked writable before any letter is
parsed; a write that fails later (a full disk) is one line naming the output, and nothing is left under its
name.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..letters.batch import iter_parsed
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..records.arrow import record_schema
from ..records.schema import Reject
from ..records.tables import TableWriter, find_inputs
from .preflight import preflight
from .rejects import write_rejects

# Items written at a time (a Parquet row group of a few MB): a chunk is what memory holds beyond the parser's
# own, so a small one keeps the peak flat from a few hundred letters on (5,000 items peaked 1.32x higher at
# 10,000 letters than at 1,000: make bench-parse).
CHUNK_ITEMS = 1_000


@dataclass
class FileRun:
    letters: int = 0
    items: int = 0
    disagreeing: int = 0  # items whose rationale contradicts the stated decision
    rejects: list[Reject] = field(default_factory=list)


def parse_to_file(
    files: list[Path],
    output: str | Path,
    jobs: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: bool = True,
) -> FileRun:
    """Stream the items of ``files`` into ``output``."""
    run, chunk = FileRun(), []
    with TableWriter(output, schema=record_schema()) as writer:  # a failed write: one line naming the output
        for out in iter_parsed(files, progress=progress, jobs=jobs, limits=limits):
            if isinstance(out, Reject):
                run.rejects.append(out)
                continue
            run.letters += 1
            run.disagreeing += sum(bool(r.verdict_disagrees) for r in out.items)
            chunk.extend(r.to_dict() for r in out.items)
            if len(chunk) >= CHUNK_ITEMS:
                writer.write(chunk)
                chunk = []
        writer.write(chunk)
    run.items = writer.rows
    return run


def parse_command(
    letters: list[str],
    output: str | None,
    rejects: str | None = None,
    allow_rejects: bool = False,
    progress: bool = True,
    jobs: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """Write the items and the rejects report; exit status 1 if any file was rejected (unless allowed)."""
    t0 = time.perf_counter()
    report = preflight(letters, output, rejects)
    unsearchable: list[Reject] = []  # what a folder holds that cannot be searched: a reject each
    files = find_inputs(letters, rejects=unsearchable)
    run = parse_to_file(files, output, jobs, limits, progress)
    run.rejects[:0] = unsearchable
    write_rejects(run.rejects, report)
    print(
        f"{len(files) + len(unsearchable)} files: {run.letters} letters parsed into {run.items} items, "
        f"{len(run.rejects)} rejected ({time.perf_counter() - t0:.1f} s); {run.disagreeing} items whose "
        f"rationale contradicts the stated decision (verdict_disagrees); items -> {output}; rejects -> {report}"
    )
    if not files:
        print("warning: no .pdf or .txt letters found in the given paths", file=sys.stderr)
    return 1 if run.rejects and not allow_rejects else 0
