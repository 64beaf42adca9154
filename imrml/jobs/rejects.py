"""The rejects report every batch job writes: one JSON line per input that produced nothing, and why."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..records.errors import UserError
from ..records.schema import Reject
from ..records.tables import rejects_path_for, write_jsonl

SHOWN = 20  # rejects printed to the terminal; the rest are in the report


def rejects_path(output: str | Path, rejects: str | Path | None) -> Path:
    """The rejects report for ``output`` (``rejects`` if given), refusing one that would overwrite the output."""
    path = Path(rejects) if rejects else rejects_path_for(output)
    if path.resolve() == Path(output).resolve():
        raise UserError(
            f"{output}: the output and the rejects report would be the same file; "
            f"name the output differently or give --rejects"
        )
    return path


def write_rejects(rejects: Sequence[Reject], path: Path) -> None:
    """Write the report (empty when nothing was rejected) and print the first rejects to stderr."""
    write_jsonl((r.to_dict() for r in rejects), path)
    for r in rejects[:SHOWN]:
        print(f"rejected: {r}", file=sys.stderr)
    if len(rejects) > SHOWN:
        print(f"... and {len(rejects) - SHOWN} more in {path}", file=sys.stderr)
