"""The labels job: label items, print the labels summary, write the labelled items (``imrml labels``)."""

from __future__ import annotations

from pathlib import Path

from ..letters.label_summary import format_summary, summarize_labels
from ..letters.labels import label_items
from ..records.corpus import is_corpus
from ..records.errors import UserError
from ..records.tables import read_items, write_table
from .data import read_corpus


def labels_command(items: str, output: str | None = None) -> int:
    """Label (again, with today's tables) every item of ``items`` (an items file or a corpus folder); print the
    summary; write them to ``output``."""
    path = Path(items)
    if is_corpus(path):
        records = read_corpus(path)
    elif not path.is_file():
        raise UserError(f"{path}: no such file (an items file or a corpus folder)")
    else:
        records = _read_items_file(path)
    labelled = label_items(records)
    print(format_summary(summarize_labels(labelled)))
    if output is not None:
        n = write_table((r.to_dict() for r in labelled), output)
        print(f"\nwrote {n} labelled items to {output}")
    return 0


def _read_items_file(path: Path) -> list:
    try:
        return read_items(path)
    except (KeyError, TypeError, ValueError) as e:
        msg = str(e) if str(path) in str(e) else f"{path}: not a readable items file ({type(e).__name__}: {e})"
        raise UserError(msg.splitlines()[0]) from None
