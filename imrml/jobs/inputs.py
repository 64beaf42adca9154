"""The items of a batch job's inputs, in chunks: letters (parsed and labelled on the way) and item tables.

Inputs stream through in chunks of at most ``size`` items, in input order, so
memory stays flat however large they are. Every input ends either in a chunk
or as a :class:`~imrml.records.schema.Reject` with its reason (and row number
for a bad row of a table).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ..letters.labels import label_item
from ..letters.parse import iter_parsed
from ..records.schema import ItemRecord, Reject
from ..records.tables import TABLE_SUFFIXES, iter_table

LABEL_COLUMNS = ("claims_guideline_family", "claims_guideline_topic")
NOT_ITEMS = "not a table of items: it has neither a case_id nor an item column"


@dataclass
class Chunk:
    """Up to ``size`` items on their way to be scored.

    Either ``rows``, item dicts already checked by the reader, or ``batch``, a
    pyarrow RecordBatch of a Parquet file's rows (only the columns wanted),
    turned into dicts and checked where it is scored: a worker, not the
    reading process, pays for that, and an Arrow batch travels between
    processes as flat buffers.
    """

    rows: list[dict[str, Any]] | None = None
    batch: Any = None
    source: str = ""
    first_row: int = 1  # the batch's first row number in ``source`` (1-based, as in rejects)

    def columns(self) -> list[str]:
        if self.batch is not None:
            return [*self.batch.schema.names, "source_file"]
        return list(self.rows[0]) if self.rows else []

    def checked_rows(self) -> tuple[list[dict[str, Any]], list[Reject]]:
        """The chunk's good rows (labelled) and a reject for each bad one."""
        if self.batch is None:
            return self.rows or [], []
        rows, rejects = [], []
        for row_no, row in enumerate(self.batch.to_pylist(), self.first_row):
            problem = row_problem(row)
            if problem:
                rejects.append(Reject(self.source, problem, row_no))
            else:
                row.setdefault("source_file", self.source)
                rows.append(with_labels(row))
        return rows, rejects


def iter_chunks(paths: list[Path], rejects: list[Reject], keys: frozenset[str] | None, size: int) -> Iterator[Chunk]:
    """The items of letters, then of each table, in chunks of at most ``size``, in input order.

    Only the fields in ``keys`` are kept (all when None). Unreadable files and bad
    rows of letters, JSONL and CSV go to ``rejects`` here; a Parquet file's bad rows
    are found where its batches are checked (:meth:`Chunk.checked_rows`).
    """
    letters = [p for p in paths if p.suffix.lower() not in TABLE_SUFFIXES]
    tables = [p for p in paths if p.suffix.lower() in TABLE_SUFFIXES]
    pending: list[dict[str, Any]] = []
    for table in [None, *tables]:
        if table is not None and table.suffix.lower() == ".parquet":
            if pending:  # what came before goes first
                yield Chunk(rows=pending)
                pending = []
            yield from _parquet_chunks(table, rejects, keys, size)
            continue
        rows = _letter_rows(letters, rejects, keys) if table is None else _table_rows(table, rejects, keys)
        for row in rows:
            pending.append(row)
            if len(pending) >= size:
                yield Chunk(rows=pending)
                pending = []
    if pending:
        yield Chunk(rows=pending)


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
        rejects.append(Reject(str(path), f"cannot read table: {e}"))


def _kept(row: dict[str, Any], keys: frozenset[str] | None) -> dict[str, Any]:
    return row if keys is None or row.keys() <= keys else {k: v for k, v in row.items() if k in keys}


def _letter_rows(letters: list[Path], rejects: list[Reject], keys: frozenset[str] | None) -> Iterator[dict[str, Any]]:
    for out in iter_parsed(letters):
        if isinstance(out, Reject):
            rejects.append(out)
        else:
            for rec in out.items:  # labelled by the parser
                yield _kept(rec.to_dict(), keys)


def is_item_table(columns) -> bool:
    """A CSV or Parquet file without both identifying columns is some other table (a manifest, a report)."""
    return "case_id" in columns or "item" in columns


def _table_rows(table: Path, rejects: list[Reject], keys: frozenset[str] | None) -> Iterator[dict[str, Any]]:
    try:
        for row_no, row in enumerate(iter_table(table), 1):
            if row_no == 1 and table.suffix.lower() == ".csv" and not is_item_table(row):  # the header's names
                rejects.append(Reject(str(table), NOT_ITEMS))
                return
            if not isinstance(row, dict):
                rejects.append(Reject(str(table), "row is not a record (object)", row_no))
                continue
            problem = row_problem(row)
            if problem:
                rejects.append(Reject(str(table), problem, row_no))
                continue
            row.setdefault("source_file", str(table))
            yield _kept(with_labels(row), keys)
    except (ValueError, OSError) as e:
        rejects.append(Reject(str(table), f"cannot read table: {e}"))


def row_problem(row: dict[str, Any]) -> str | None:
    """Why a table row cannot be scored, or None. Cheap: it runs for every row."""
    if not str(row.get("case_id") or "").strip():
        return "missing case_id"
    if not str(row.get("item") or "").strip():
        return "missing item"
    for key in ("claims_guideline", "reviewer_guideline"):
        value = row.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(c, dict) and "source" in c for c in value)
        ):
            return f"malformed {key}: expected a list of citations"
    age = row.get("patient_age")
    if age is not None and not isinstance(age, (int, float)):
        try:
            float(age)
        except (TypeError, ValueError):
            return f"patient_age is not a number: {age!r}"
    return None


def with_labels(row: dict[str, Any]) -> dict[str, Any]:
    """The row with the claims administrator's labels filled from its citations when it has none (labelled once)."""
    if all(row.get(c) is not None for c in LABEL_COLUMNS) or not row.get("claims_guideline"):
        return row
    rec = label_item(ItemRecord.from_dict({"source_file": "", "template": "", **row}))
    return {**row, **{c: getattr(rec, c) for c in LABEL_COLUMNS}}
