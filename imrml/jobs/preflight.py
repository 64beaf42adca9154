"""What a batch job checks before any work starts, so that a mistake in the command line costs nothing: the
inputs exist, the output's name gives its format, the output and its rejects report are two files and both can
be written where they go. One wording for every command (``imrml parse -o``, ``score``, ``precedents``; a
corpus update checks its inputs only).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..records.errors import UserError
from ..records.tables import TABLE_SUFFIXES, check_writable
from .rejects import rejects_path


def check_inputs(inputs: Sequence[str | Path]) -> None:
    """Raise naming every input that does not exist."""
    missing = [str(p) for p in inputs if not Path(p).exists()]
    if missing:
        raise UserError(f"no such file or folder: {', '.join(missing)}")


def _either(names: Sequence[str]) -> str:
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


def preflight(inputs: Sequence[str | Path], output: str | Path, rejects: str | Path | None = None) -> Path:
    """Check ``inputs`` and an item table ``output`` before any work, and return its rejects report (``rejects``
    if given, else beside the output): the output's suffix must be a table's, the report must not be the output,
    and both must be writable."""
    check_inputs(inputs)
    if Path(output).suffix.lower() not in TABLE_SUFFIXES:
        raise UserError(f"output {output}: use a {_either(TABLE_SUFFIXES)} name")
    report = rejects_path(output, rejects)
    for target in (output, report):
        check_writable(target)
    return report
