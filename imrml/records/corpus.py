"""The corpus store: a folder holding the items of many letters as a partitioned Parquet dataset, and an index
of every input file.

    data/corpus/
      items/decision_year=2016/decision_month=12/part-<time>-<random>.parquet
      items/decision_year=unknown/decision_month=unknown/...   (letters with no decision date)
      index.sqlite       files: path, size, mtime, sha256, parser version, status, reason, ...; parts: the manifest
      rejects.jsonl      every file of the corpus that stands rejected, and what the last run could not search, and why

The items are Hive-partitioned by the decision's year and month (Spark, pandas, DuckDB and pyarrow read the
folder as one dataset); their columns are the record's (:func:`imrml.records.arrow.record_schema`) plus
``letter_sha256``, the content hash of the letter they came from. The index (SQLite: transactions) says
which files are in the corpus, as what, and which part files hold the items: a part is written under a hidden
temporary name, listed in the index in the same transaction as its letters, then renamed. Opening the store
finishes or undoes whatever a killed run left (a listed part still under its temporary name is renamed, a
file no transaction listed is deleted), so a rerun parses exactly the letters that were not committed:
none lost, none twice.

One process updates a corpus at a time (a lock file); reading needs no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .arrow import record_schema
from .errors import UserError
from .schema import ItemRecord
from .tables import write_error

ITEMS = "items"
INDEX = "index.sqlite"
LOCK = ".lock"
HASH_COLUMN = "letter_sha256"
# a letter with no decision date: not Hive's __HIVE_DEFAULT_PARTITION__, which pandas cannot read back
NULL_PARTITION = "unknown"
PARSED, REJECTED, DUPLICATE, PENDING = "parsed", "rejected", "duplicate", "pending"


@cache
def corpus_schema() -> pa.Schema:
    """The columns of a part file: the record's, then the letter's content hash."""
    return record_schema().append(pa.field(HASH_COLUMN, pa.string()))


def is_corpus(path: str | os.PathLike) -> bool:
    """A folder written by ``imrml parse`` (an index) or by the Spark parse (an ``items`` dataset)."""
    path = Path(path)
    return path.is_dir() and ((path / INDEX).is_file() or (path / ITEMS).is_dir())


def partition_of(decision_date: str | None) -> str:
    """The partition folder of a letter decided on ``decision_date`` (ISO), e.g. ``decision_year=2016/
    decision_month=12`` (month without a leading zero, as Spark writes an integer)."""
    if not decision_date or len(decision_date) < 7:
        return f"decision_year={NULL_PARTITION}/decision_month={NULL_PARTITION}"
    return f"decision_year={int(decision_date[:4])}/decision_month={int(decision_date[5:7])}"


def partition_order(partition: str) -> tuple:
    """Partitions in time order; the undated last."""
    values = [p.split("=", 1)[1] for p in partition.split("/")]
    return tuple((1, 0) if v == NULL_PARTITION else (0, int(v)) for v in values)


@dataclass
class Entry:
    """One input file as the index knows it."""

    path: str  # relative to the corpus folder: the key, the same from any working folder
    source_file: str  # as it was named when parsed: what its items carry
    size: int
    mtime_ns: int
    sha256: str
    parser_version: str
    status: str  # parsed | rejected | duplicate | pending (its items were removed; it is parsed again next)
    reason: str | None = None  # a reject's reason
    limit_name: str | None = None  # the per-file limit a reject passed
    limits: str | None = None  # the limits (JSON) a reject was judged by
    duplicate_of: str | None = None  # path of the entry whose letter this one repeats
    items: int = 0
    part: str | None = None  # the part file holding its items, relative to items/

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


_ENTRY_COLUMNS = [f.name for f in fields(Entry)]
_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, source_file TEXT, size INTEGER, mtime_ns INTEGER, sha256 TEXT, parser_version TEXT,
    status TEXT, reason TEXT, limit_name TEXT, limits TEXT, duplicate_of TEXT, items INTEGER, part TEXT,
    updated REAL
);
CREATE INDEX IF NOT EXISTS files_sha ON files (sha256);
CREATE INDEX IF NOT EXISTS files_part ON files (part);
CREATE TABLE IF NOT EXISTS parts (name TEXT PRIMARY KEY, rows INTEGER, created REAL);
"""


@dataclass
class PartWrite:
    """A part file written under its temporary name, waiting for its transaction."""

    name: str  # relative to items/
    rows: int


class Corpus:
    """A corpus folder opened for updating: locked, reconciled with its index. Use as a context manager."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.items_dir = self.root / ITEMS
        try:
            self.items_dir.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.root / LOCK, "a+")  # noqa: SIM115  held until close()
        except OSError as e:
            raise write_error(self.root, e) from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise UserError(f"{self.root}: another imrml run is updating this corpus; wait for it to finish") from None
        self.db = sqlite3.connect(self.root / INDEX, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA_SQL)
        self.lost_parts = self.reconcile()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()
        self._lock.close()

    # ------------------------------------------------------------ what a killed run left

    def reconcile(self) -> int:
        """Make the items folder match the index: finish the renames of committed parts, delete files no
        transaction listed; a listed part that is gone entirely sends its letters back to be parsed. Returns
        how many parts were lost that way."""
        listed = {r["name"] for r in self.db.execute("SELECT name FROM parts")}
        lost = []
        for name in listed:
            final, temp = self.items_dir / name, self._temp_of(name)
            if not final.exists():
                if temp.exists():
                    os.replace(temp, final)
                else:
                    lost.append(name)
        keep = {self.items_dir / n for n in listed}
        for f in self.items_dir.rglob("*"):
            if f.is_file() and f not in keep:
                f.unlink()
        self._remove_empty_folders()
        if lost:
            with self.transaction():
                for name in lost:
                    self.db.execute("DELETE FROM parts WHERE name = ?", (name,))
                    self.db.execute(
                        "UPDATE files SET status = ?, part = NULL, items = 0 WHERE part = ?", (PENDING, name)
                    )
        return len(lost)

    def _remove_empty_folders(self) -> None:
        for d in sorted((p for p in self.items_dir.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                d.rmdir()

    def _temp_of(self, name: str) -> Path:
        return temp_name(self.items_dir / name)

    # ------------------------------------------------------------ the index

    @contextlib.contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def entries(self) -> dict[str, Entry]:
        return {r["path"]: Entry.from_row(r) for r in self.db.execute("SELECT * FROM files")}

    def put(self, entries: Iterable[Entry]) -> None:
        """Insert or replace index rows (inside a transaction)."""
        placeholders = ", ".join("?" for _ in range(len(_ENTRY_COLUMNS) + 1))
        now = time.time()
        self.db.executemany(
            f"INSERT OR REPLACE INTO files ({', '.join(_ENTRY_COLUMNS)}, updated) VALUES ({placeholders})",
            [(*asdict(e).values(), now) for e in entries],
        )

    def forget(self, paths: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def counts(self) -> dict[str, int]:
        """Files by status, and the items of the parsed ones."""
        out = dict.fromkeys((PARSED, REJECTED, DUPLICATE, PENDING), 0)
        for r in self.db.execute("SELECT status, COUNT(*) AS n FROM files GROUP BY status"):
            out[r["status"]] = r["n"]
        out["items"] = self.db.execute("SELECT COALESCE(SUM(rows), 0) FROM parts").fetchone()[0]
        return out

    # ------------------------------------------------------------ parts

    def write_parts(self, rows_by_partition: dict[str, list[dict[str, Any]]]) -> dict[str, PartWrite]:
        """Write each partition's rows as one new part, under its temporary name (invisible to readers, and
        deleted by :meth:`reconcile` unless :meth:`publish` lists it); partition -> the part written."""
        return {
            partition: self._write_part(partition, pa.Table.from_pylist(rows, schema=corpus_schema()))
            for partition, rows in sorted(rows_by_partition.items())
            if rows
        }

    def _write_part(self, partition: str, table: pa.Table) -> PartWrite:
        # named in the order written (time), unique across runs and processes (random)
        name = f"{partition}/part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
        temp = self._temp_of(name)
        temp.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, temp)
        return PartWrite(name, table.num_rows)

    def publish(self, written: list[PartWrite], entries: list[Entry], dropped: Iterable[str] = ()) -> None:
        """One transaction: list the new parts, record the entries, unlist the ``dropped`` parts; then give
        the new parts their names and delete the dropped files. A crash anywhere leaves either the old state
        or the new one (:meth:`reconcile` finishes the renames)."""
        dropped = list(dropped)
        with self.transaction():
            self.db.executemany(
                "INSERT INTO parts (name, rows, created) VALUES (?, ?, ?)",
                [(w.name, w.rows, time.time()) for w in written],
            )
            self.db.executemany("DELETE FROM parts WHERE name = ?", [(d,) for d in dropped])
            self.put(entries)
        for w in written:
            os.replace(self._temp_of(w.name), self.items_dir / w.name)
        for d in dropped:
            with contextlib.suppress(FileNotFoundError):
                (self.items_dir / d).unlink()

    def remove_letters(self, hashes: set[str], requeue: list[str], forget: list[str]) -> int:
        """Take the items of the letters ``hashes`` out of their parts (rewriting each part they were in), and
        in the same transaction mark ``requeue`` entries to be parsed again and drop ``forget`` entries.
        Returns the items removed."""
        if not hashes and not requeue and not forget:
            return 0
        placeholders = ",".join("?" for _ in hashes)
        parts = (
            sorted(
                {
                    r["part"]
                    for r in self.db.execute(
                        f"SELECT part FROM files WHERE sha256 IN ({placeholders}) AND part IS NOT NULL", list(hashes)
                    )
                }
            )
            if hashes
            else []
        )
        written, moved, removed = [], {}, 0
        wanted = pa.array(sorted(hashes), pa.string())
        for name in parts:
            table = pq.read_table(self.items_dir / name, schema=corpus_schema())
            kept = table.filter(pc.invert(pc.is_in(table[HASH_COLUMN], value_set=wanted)))
            removed += table.num_rows - kept.num_rows
            if kept.num_rows:
                new = self._write_part(name.rsplit("/", 1)[0], kept)
                written.append(new)
                moved[name] = new.name
        with self.transaction():
            for old, new in moved.items():
                self.db.execute("UPDATE files SET part = ? WHERE part = ?", (new, old))
            self.db.executemany(
                "UPDATE files SET status = ?, part = NULL, items = 0 WHERE path = ?", [(PENDING, p) for p in requeue]
            )
            self.forget(forget)
            self.db.executemany(
                "INSERT INTO parts (name, rows, created) VALUES (?, ?, ?)",
                [(w.name, w.rows, time.time()) for w in written],
            )
            self.db.executemany("DELETE FROM parts WHERE name = ?", [(p,) for p in parts])
        for w in written:
            os.replace(self._temp_of(w.name), self.items_dir / w.name)
        for name in parts:
            with contextlib.suppress(FileNotFoundError):
                (self.items_dir / name).unlink()
        self._remove_empty_folders()
        return removed

    def compact(self, partitions: Iterable[str], max_parts: int) -> int:
        """Merge the parts of each partition that has more than ``max_parts`` into one; returns how many
        partitions were merged. Incremental runs add small parts; this keeps their number bounded."""
        merged = 0
        for partition in sorted(set(partitions)):
            names = [
                r["name"]
                for r in self.db.execute("SELECT name FROM parts WHERE name LIKE ? ORDER BY name", (partition + "/%",))
            ]
            if len(names) <= max_parts:
                continue
            table = pa.concat_tables(pq.read_table(self.items_dir / n, schema=corpus_schema()) for n in names)
            new = self._write_part(partition, table)
            with self.transaction():
                for n in names:
                    self.db.execute("UPDATE files SET part = ? WHERE part = ?", (new.name, n))
                self.db.execute(
                    "INSERT INTO parts (name, rows, created) VALUES (?, ?, ?)", (new.name, new.rows, time.time())
                )
                self.db.executemany("DELETE FROM parts WHERE name = ?", [(n,) for n in names])
            os.replace(self._temp_of(new.name), self.items_dir / new.name)
            for n in names:
                (self.items_dir / n).unlink()
            merged += 1
        return merged


# ---------------------------------------------------------------- reading


def temp_name(final: Path) -> Path:
    """Where a part is written before its transaction lists it: hidden from readers of the folder."""
    return final.with_name(f".{final.name}.tmp")


def committed_file(final: Path) -> Path:
    """The file holding a listed part: its final name, or its temporary one between the transaction and the
    rename (a run killed there leaves it so until the next run finishes the rename)."""
    temp = temp_name(final)
    return temp if not final.exists() and temp.exists() else final


def part_files(root: str | os.PathLike) -> list[Path]:
    """The corpus's part files in reading order (partitions in time order, then parts by name): those its index
    lists, or for a corpus without an index (written by Spark) every visible Parquet file under ``items/``."""
    root = Path(root)
    items = root / ITEMS
    if (root / INDEX).is_file():
        with contextlib.closing(sqlite3.connect(f"file:{root / INDEX}?mode=ro", uri=True)) as db:
            names = [r[0] for r in db.execute("SELECT name FROM parts")]
        files = [committed_file(items / n) for n in names]
    else:
        files = [
            f for f in items.rglob("*.parquet") if not any(p.startswith((".", "_")) for p in f.relative_to(items).parts)
        ]
    return sorted(files, key=lambda f: (partition_order(str(f.parent.relative_to(items))), f.name))


def iter_rows(root: str | os.PathLike, batch_size: int = 10_000) -> Iterator[dict[str, Any]]:
    """Every item row of the corpus as a dict, part by part (memory flat)."""
    for f in part_files(root):
        for batch in pq.ParquetFile(f).iter_batches(batch_size=batch_size):
            yield from batch.to_pylist()


def read_records(root: str | os.PathLike) -> list[ItemRecord]:
    """Every item of the corpus as a record, in the order of their letters' paths (whatever order the parts
    were written in, so that a corpus built in one run or in many reads the same)."""
    records = [ItemRecord.from_dict(row) for row in iter_rows(root)]
    records.sort(key=lambda r: (r.source_file, r.item_index))
    return records


def write_report(rows: Iterable[dict[str, Any]], path: Path) -> None:
    """A small JSON Lines report beside the items (rejects, duplicates), replaced whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
