"""The parse job: letters -> an items table and a rejects report (``imrml parse``)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..letters.parse import parse_paths
from ..records.errors import UserError
from ..records.tables import write_table
from .rejects import rejects_path, write_rejects


def parse_command(
    letters: list[str], output: str, rejects: str | None = None, allow_rejects: bool = False, progress: bool = True
) -> int:
    """Write the items and the rejects report; exit status 1 if any file was rejected (unless allowed)."""
    missing = [p for p in letters if not Path(p).exists()]
    if missing:
        raise UserError(f"no such file or folder: {', '.join(missing)}")
    report = rejects_path(output, rejects)
    result = parse_paths(letters, progress=progress)
    write_table((r.to_dict() for r in result.records), output)
    write_rejects(result.rejects, report)
    disagreeing = sum(r.verdict_disagrees for r in result.records)
    print(
        f"{result.summary()}; {disagreeing} items whose rationale contradicts the stated decision "
        f"(verdict_disagrees); items -> {output}; rejects -> {report}"
    )
    if result.n_files == 0:
        print("warning: no .pdf or .txt letters found in the given paths", file=sys.stderr)
    return 1 if result.rejects and not allow_rejects else 0
