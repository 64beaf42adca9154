"""Reading and writing item records: JSON Lines, Parquet and CSV, always atomically.

Output goes to a temporary file beside the target and is renamed over it only
when complete, so an interrupted run never leaves a half-written file under the
output name.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .schema import ItemRecord

TABLE_SUFFIXES = (".jsonl", ".parquet", ".csv")
LETTER_SUFFIXES = (".pdf", ".txt")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix + ".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | os.PathLike) -> int:
    """Write dict rows as JSON Lines, atomically; return the count written."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=_json_default))
            fh.write("\n")
            n += 1
    return n


def write_table(rows: Iterable[dict[str, Any]], path: str | os.PathLike) -> int:
    """Write dict rows to JSONL, Parquet or CSV, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = list(rows)
        table = pa.Table.from_pylist(rows)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return len(rows)
    if suffix == ".csv":
        rows = list(rows)
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_cell(v) for k, v in row.items()})
        return len(rows)
    return write_jsonl(rows, path)


def _csv_cell(v: Any) -> Any:
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, default=_json_default)
    return v


def iter_table(path: str | os.PathLike) -> Iterator[dict[str, Any]]:
    """Yield the rows of a JSONL, Parquet or CSV file as dicts.

    A JSONL line that is not valid JSON raises ValueError naming the file and line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=10_000):
            yield from batch.to_pylist()
    elif suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                yield {k: _csv_value(v) for k, v in row.items()}
    else:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None


def _csv_value(v: str | None) -> Any:
    if v is None or v == "":
        return None
    if v[:1] in "[{":
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return v
    return v


def rejects_path_for(output: str | os.PathLike) -> Path:
    """The default rejects report beside ``output``: ``items.v2.jsonl`` -> ``items.v2.rejects.jsonl``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.rejects.jsonl")


def read_items(path: str | os.PathLike) -> list[ItemRecord]:
    """Read parsed item records from a JSONL, Parquet or CSV file."""
    return [ItemRecord.from_dict(row) for row in iter_table(path)]


def find_inputs(paths: Iterable[str | os.PathLike], suffixes: tuple[str, ...] = LETTER_SUFFIXES) -> list[Path]:
    """Expand files and folders (searched recursively) into a sorted list of files.

    Files named explicitly are kept whatever their suffix (so a bad file named on
    the command line is reported, not silently skipped); inside folders only
    ``suffixes`` are taken.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in suffixes))
        else:
            found.append(p)
    return found


class TableWriter:
    """Write dict rows in chunks to JSONL, CSV or Parquet (by suffix), atomically.

    Memory stays flat: each chunk is written and dropped. The file appears under
    its name only when :meth:`close` succeeds; on error nothing is left behind.
    The first chunk fixes the columns (CSV header, Parquet schema).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._fh = None
        self._writer = None
        self._columns: list[str] | None = None
        self.rows = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._columns is None:
            self._columns = list(rows[0])
        if self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(rows)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self._tmp, table.schema)
            self._writer.write_table(table.cast(self._writer.schema))
        elif self.suffix == ".csv":
            if self._fh is None:
                self._fh = open(self._tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115  open across writes; close() ends it
                self._writer = csv.DictWriter(self._fh, fieldnames=self._columns, extrasaction="ignore")
                self._writer.writeheader()
            self._writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)
        else:
            if self._fh is None:
                self._fh = open(self._tmp, "w", encoding="utf-8")  # noqa: SIM115  open across writes
            for row in rows:
                self._fh.write(json.dumps(row, ensure_ascii=False, default=_json_default))
                self._fh.write("\n")
        self.rows += len(rows)

    def close(self) -> None:
        if self.suffix == ".parquet" and self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()
        if self.rows == 0 and not self._tmp.stat().st_size and self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({}), self._tmp)
        self._ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        if self._writer is not None and self.suffix == ".parquet":
            with contextlib.suppress(Exception):
                self._writer.close()
        if self._fh is not None:
            self._fh.close()
        with contextlib.suppress(BaseException):
            self._ctx.__exit__(type(exc), exc, exc.__traceback__)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.close()
        else:
            self.abort(exc)


def count_rows(path: str | os.PathLike) -> int | None:
    """Rows in a table file, cheaply (for progress ETA); None if unknown."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        with open(path, "rb") as fh:
            n = sum(1 for line in fh if line.strip())
        return n - 1 if suffix == ".csv" else n
    except OSError:
        return None
