"""The items of a batch job's inputs, in chunks: letters (parsed and labelled on the way), item tables and corpus
folders (read as their Parquet parts).

Inputs stream through in chunks of at most ``size`` items, in input order, so
memory stays flat however large they are. Every input ends either in a chunk
or as a :class:`~imrml.records.schema.Reject` with its reason (and row number
for a bad row of a table).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ..letters.batch import iter_parsed
from ..letters.labels import LABEL_FIELDS, label_item, needs_labels
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..records.corpus import is_corpus, part_files
from ..records.schema import CITATION_FIELDS, ItemRecord, Reject, checked_row
from ..records.tables import LETTER_SUFFIXES, TABLE_SUFFIXES, arrow_rows, find_inputs, numbered_rows

LABEL_COLUMNS = ("claims_guideline_family", "claims_guideline_topic")
NOT_ITEMS = "not a table of items: it has neither a case_id nor an item column"


@dataclass
class Chunk:
    """Up to ``size`` items on their way to be scored.

    Either ``rows``, item dicts already checked by the reader, or ``batch``, a
    pyarrow RecordBatch of a Parquet file's rows (only the columns wanted),
    turned into dicts and checked where it is scored: a worker, not the
    reading process, pays for that, and an Arrow batch travels between
    processes as flat buffers. ``origins`` says where each row came from
    (file, row number; for a letter, the item's number), so that a row that
    fails later is rejected by name.
    """

    rows: list[dict[str, Any]] | None = None
    origins: list[tuple[str, int]] = field(default_factory=list)
    batch: Any = None
    source: str = ""
    first_row: int = 1  # the batch's first row number in ``source`` (1-based, as in rejects)

    def columns(self) -> list[str]:
        if self.batch is not None:
            return [*self.batch.schema.names, "source_file"]
        return list(self.rows[0]) if self.rows else []

    def checked_rows(self) -> tuple[list[dict[str, Any]], list[tuple[str, int]], list[Reject]]:
        """The chunk's good rows (labelled) with their origins, and a reject for each bad one."""
        if self.batch is None:
            return self.rows or [], self.origins, []
        rows, origins, rejects = [], [], []
        for row_no, row in enumerate(arrow_rows(self.batch), self.first_row):
            checked = checked_item(row, self.source, row_no, rejects)
            if checked is not None:
                rows.append(checked)
                origins.append((self.source, row_no))
        return rows, origins, rejects


def find_job_inputs(inputs: list[str | Path], rejects: list[Reject]) -> list[Path]:
    """Letter files, item tables and corpus folders (each as its Parquet parts), folders searched, in the order
    given; what a folder holds that cannot be searched goes to ``rejects``."""
    found: list[Path] = []
    for p in inputs:
        if is_corpus(p):
            found.extend(part_files(p))
        else:
            found.extend(find_inputs([p], LETTER_SUFFIXES + TABLE_SUFFIXES, rejects))
    return found


def iter_chunks(
    paths: list[Path],
    rejects: list[Reject],
    keys: frozenset[str] | None,
    size: int,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Chunk]:
    """The items of letters, then of each table, in chunks of at most ``size``, in input order.

    Only the fields in ``keys`` are kept (all when None). Letters are parsed within
    the per-file ``limits``. Unreadable files, letters past a limit and bad rows of
    letters, JSONL and CSV go to ``rejects`` here; a Parquet file's bad rows are
    found where its batches are checked (:meth:`Chunk.checked_rows`).
    """
    letters = [p for p in paths if p.suffix.lower() not in TABLE_SUFFIXES]
    tables = [p for p in paths if p.suffix.lower() in TABLE_SUFFIXES]
    pending: list[dict[str, Any]] = []
    origins: list[tuple[str, int]] = []
    for table in [None, *tables]:
        if table is not None and table.suffix.lower() == ".parquet":
            if pending:  # what came before goes first
                yield Chunk(rows=pending, origins=origins)
                pending, origins = [], []
            yield from _parquet_chunks(table, rejects, keys, size)
            continue
        rows = _letter_rows(letters, rejects, limits) if table is None else _table_rows(table, rejects)
        for origin, row in rows:
            pending.append(_kept(row, keys))
            origins.append(origin)
            if len(pending) >= size:
                yield Chunk(rows=pending, origins=origins)
                pending, origins = [], []
    if pending:
        yield Chunk(rows=pending, origins=origins)


def _parquet_chunks(path: Path, rejects: list[Reject], keys: frozenset[str] | None, size: int) -> Iterator[Chunk]:
    first = 1
    try:
        pf = pq.ParquetFile(path)
        if not is_item_table(pf.schema_arrow.names):
            rejects.append(Reject(str(path), NOT_ITEMS))
            return
        wanted = None if keys is None else [c for c in pf.schema_arrow.names if c in keys]
        for batch in pf.iter_batches(batch_size=size, columns=wanted):
            yield Chunk(batch=batch, source=str(path), first_row=first)
            first += batch.num_rows
    except (OSError, ValueError) as e:  # pyarrow's errors derive from these
        where = f" from row {first} on" if first > 1 else ""
        rejects.append(Reject(str(path), f"cannot read table{where}: {e}"))


def _kept(row: dict[str, Any], keys: frozenset[str] | None) -> dict[str, Any]:
    return row if keys is None or row.keys() <= keys else {k: v for k, v in row.items() if k in keys}


def _letter_rows(
    letters: list[Path], rejects: list[Reject], limits: Limits
) -> Iterator[tuple[tuple[str, int], dict[str, Any]]]:
    for out in iter_parsed(letters, limits=limits):
        if isinstance(out, Reject):
            rejects.append(out)
        else:
            for rec in out.items:  # labelled by the parser
                yield (out.source_file, rec.item_index), rec.to_dict()


def is_item_table(columns) -> bool:
    """A CSV or Parquet file without both identifying columns is some other table (a manifest, a report)."""
    return "case_id" in columns or "item" in columns


def _table_rows(table: Path, rejects: list[Reject]) -> Iterator[tuple[tuple[str, int], dict[str, Any]]]:
    source = str(table)
    row_no = 0
    try:
        for row_no, row in numbered_rows(table, rejects):
            if row_no == 1 and table.suffix.lower() == ".csv" and not is_item_table(row):  # the header's names
                rejects.append(Reject(source, NOT_ITEMS))
                return
            checked = checked_item(row, source, row_no, rejects)
            if checked is not None:
                yield (source, row_no), checked
    except (ValueError, OSError) as e:
        where = f" after row {row_no}" if row_no else ""
        rejects.append(Reject(source, f"cannot read table{where}: {e}"))


def checked_item(row: Any, source: str, row_no: int, rejects: list[Reject]) -> dict[str, Any] | None:
    """The row, checked against the record schema and labelled, or None with its reject added to ``rejects``."""
    if not isinstance(row, dict):
        rejects.append(Reject(source, "row is not a record (object)", row_no))
        return None
    try:
        row = checked_row(row)
        problem = missing_id(row)
        if problem is None:
            row = with_labels(row)
            row.setdefault("source_file", source)
            return row
    except ValueError as e:
        problem = str(e)
    rejects.append(Reject(source, problem, row_no))
    return None


def missing_id(row: dict[str, Any]) -> str | None:
    """Which identifying field a checked row lacks (it is scored by its case and item), or None."""
    for key in ("case_id", "item"):
        if not (row.get(key) or "").strip():
            return f"missing {key}"
    return None


def with_labels(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its labels filled from its citations when it was never labelled (labelled once)."""
    if not needs_labels(row):
        return row
    rec = label_item(ItemRecord.from_dict({"source_file": "", "template": "", **row})).to_dict()
    filled = (*LABEL_FIELDS, *CITATION_FIELDS)  # the citations too: read from the paragraphs if the row had none
    return {**row, **{c: rec[c] for c in filled}}
