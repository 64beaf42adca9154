"""Where a job's items come from: an items table, a corpus, a folder of letters, or the default generated corpus.

Every item is labelled once, when it is read: letters are labelled as they
are parsed; a table's rows are labelled only if they carry no labels.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..letters.batch import parse_paths
from ..letters.labels import label_item, needs_labels
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..mlops.tracking import project_home
from ..records.corpus import is_corpus, read_records
from ..records.errors import UserError
from ..records.schema import ItemRecord, Reject
from ..records.tables import LETTER_SUFFIXES, TABLE_SUFFIXES, find_inputs, iter_table
from ..synth.corpus import write_corpus
from .rejects import SHOWN

log = logging.getLogger(__name__)


def resolve(path: str | Path) -> Path:
    """``path`` as given when it exists, else relative to the project folder (IMRML_HOME)."""
    p = Path(path).expanduser()
    if p.exists() or p.is_absolute():
        return p
    return project_home() / p


def is_items_table(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in TABLE_SUFFIXES


def read_labelled_items(path: str | Path) -> list[ItemRecord]:
    """The records of an items table (.jsonl, .parquet, .csv), labelled where they carry no labels."""
    records = []
    for row_no, row in enumerate(iter_table(path), 1):
        try:
            rec = ItemRecord.from_dict(row)
        except (KeyError, TypeError, ValueError) as e:
            raise UserError(f"{path}: row {row_no}: not an item record ({type(e).__name__}: {e})") from None
        if needs_labels(row):
            label_item(rec)
        records.append(rec)
    return records


def parse_letters_folder(folder: str | Path, limits: Limits = DEFAULT_LIMITS) -> list[ItemRecord]:
    """The labelled items of every letter under ``folder``, each parsed within the per-file ``limits``; the
    rejected letters are counted in the log, the first SHOWN with their reasons."""
    unsearched: list[Reject] = []
    paths = find_inputs([folder], LETTER_SUFFIXES, unsearched)
    for reject in unsearched:
        log.warning("not read: %s", reject)
    if not paths:
        raise UserError(f"{folder}: no letters (.pdf, .txt) found")
    result = parse_paths(paths, limits=limits)
    for reject in result.rejects[:SHOWN]:
        log.warning("rejected: %s", reject)
    if result.rejects:
        log.warning("%d of %d letters in %s rejected by the parser", len(result.rejects), len(paths), folder)
    if not result.records:
        first = result.rejects[0].reason if result.rejects else "none"
        raise UserError(f"{folder}: no items parsed from {len(paths)} file(s) (first reason: {first})")
    return result.records


def generated_corpus(n: int, seed: int) -> Path:
    """The default data: ``data/generated/train-n<N>-s<seed>/truth.jsonl``, generated if missing."""
    out = project_home() / "data" / "generated" / f"train-n{n}-s{seed}"
    truth = out / "truth.jsonl"
    if not truth.exists():
        log.warning("generating %d letters into %s (seed %d)", n, out, seed)
        write_corpus(out, n=n, seed=seed, fmt="txt")
    return truth


def read_corpus(folder: str | Path) -> list[ItemRecord]:
    """The items of a corpus folder (``imrml parse``'s, or the Spark parse's), labelled when they were parsed."""
    records = read_records(folder)
    if not records:
        raise UserError(f"{folder}: the corpus holds no items yet; parse letters into it first (imrml parse)")
    return records


def load_items(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> tuple[list[ItemRecord], str]:
    """Labelled items from an items table, a corpus or a letters folder (each letter parsed within the per-file
    ``limits``), and a description of where they came from."""
    p = resolve(path)
    if not p.exists():
        raise UserError(f"{path}: no such items file, corpus or letters folder")
    if is_items_table(p):
        return read_labelled_items(p), str(p)
    if is_corpus(p):
        return read_corpus(p), str(p)
    return parse_letters_folder(p, limits), str(p)
