"""Reading and writing item records: JSON Lines, Parquet and CSV, always atomically.

Output goes to a temporary file beside the target and is renamed over it only
when complete, so an interrupted run never leaves a half-written file under the
output name.

pyarrow is imported inside the functions that read or write Parquet: the letter batch imports this module to
find its inputs, and a run over text letters or JSON Lines need not load pyarrow (0.13 s here).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import platform
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import UserError
from .schema import ItemRecord, Reject

TABLE_SUFFIXES = (".jsonl", ".parquet", ".csv")
LETTER_SUFFIXES = (".pdf", ".txt")

# ---------------------------------------------------------------- atomic writes
#
# A temporary file ``.<name>.<host>-<pid>.<random>.part`` is written beside the target and renamed over it when
# complete. The host and process id in its name let a later run remove the parts that a killed run left behind
# (its own output's only, and only those whose process is gone).

# What a failed write reports: the output named, never the hidden temporary file.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}
_HOST = re.sub(r"[^A-Za-z0-9]+", "-", platform.node()) or "host"


def write_error(target: str | os.PathLike, e: OSError) -> UserError:
    """The one-line error for ``target`` that could not be written (read-only folder, full disk, ...)."""
    reason = os.strerror(e.errno) if e.errno else (str(e).splitlines() or [type(e).__name__])[0]
    return UserError(f"{target}: cannot write: {reason}")


def _is_write_error(e: BaseException, tmp: str) -> bool:
    """An error of the output itself (not of an input read while writing, which names its own file)."""
    return isinstance(e, OSError) and e.filename in (None, tmp) and e.errno in _WRITE_ERRNOS


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


_STALE_PART = re.compile(r"\.(?P<name>.+)\." + re.escape(_HOST) + r"-(?P<pid>\d+)\..*\.part")
_folders_cleaned: set[Path] = set()  # each folder is looked at once per process: writing many files into one
# folder (a generated corpus, a report's charts) must not list it again for every file


def remove_stale_parts(target: Path) -> list[Path]:
    """Remove the temporary files left in ``target``'s folder by runs on this host that were killed (the first
    time this process writes there); return them."""
    folder = target.parent
    if folder in _folders_cleaned:
        return []
    removed = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            m = _STALE_PART.fullmatch(entry.name)
            if m and not _process_alive(int(m["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    _folders_cleaned.add(folder)
    return removed


def _temp_beside(target: Path, suffix: str = "") -> str:
    """A new temporary file in ``target``'s folder (created if needed); UserError naming ``target`` if it cannot be."""
    if target.is_dir():
        raise UserError(f"{target}: cannot write: it is a folder")
    existing = next((p for p in target.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise UserError(f"{target}: cannot write: {existing} is not a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(target)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.{_HOST}-{os.getpid()}.", suffix=suffix + ".part", dir=target.parent
        )
    except OSError as e:
        raise write_error(target, e) from None
    os.close(fd)
    return tmp


def _mode_for(target: Path) -> int:
    """The permissions ``target`` gets: those of the file it replaces, else what the user's umask gives a new file
    (a temporary file is private, 0600, which would hide a report or a scored table from the user's colleagues)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_writable(target: str | os.PathLike) -> None:
    """Raise now, before any work, the error that writing ``target`` would meet at the end (missing or
    read-only folder, a folder under that name)."""
    os.unlink(_temp_beside(Path(target)))


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path beside ``target``; rename it over ``target`` on success. A write that fails
    (read-only folder, full disk) is a UserError naming ``target``; on any failure the temporary file goes."""
    target = Path(target)
    tmp = _temp_beside(target, suffix)
    try:
        yield Path(tmp)
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if _is_write_error(e, tmp):
            raise write_error(target, e) from None
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


# ---------------------------------------------------------------- CSV cells
#
# A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return before one) as a formula:
# "=HYPERLINK(...)" in an item's text would become a link, "+cmd|..." a command. Following OWASP's advice on CSV
# injection, such a text cell is written with a leading apostrophe, which spreadsheets show as text; a cell that
# itself starts with an apostrophe before one of them gets a second, so reading the file back (_csv_value) gives
# every text exactly. Only CSV: JSONL and Parquet are not opened as spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_escaped(text: str) -> bool:
    return text[:1] == "'" and (text[1:2] in FORMULA_START or (text[1:2] == "'" and text[2:3] in FORMULA_START))


def neutralized(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in FORMULA_START or _is_escaped(text) else text


def _csv_cell(v: Any) -> Any:
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, default=_json_default)
    return neutralized(v) if isinstance(v, str) and v else v


def _csv_value(v: str | None) -> Any:
    if v is None or v == "":
        return None
    if _is_escaped(v):
        return v[1:]
    if v[:1] in "[{":
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return v
    return v


# ---------------------------------------------------------------- reading


def arrow_rows(batch) -> list[dict[str, Any]]:
    """The rows of a pyarrow RecordBatch as dicts. A text column with bytes that are not UTF-8 gives those
    values as bytes (the row check rejects them by row) instead of failing the whole batch."""
    columns = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        try:
            columns[name] = column.to_pylist()
        except UnicodeDecodeError:
            import pyarrow as pa

            raw = column.cast(pa.large_binary() if column.type == pa.large_string() else pa.binary()).to_pylist()
            columns[name] = [None if b is None else _decoded_or_bytes(b) for b in raw]
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)] if names else []


def _decoded_or_bytes(b: bytes) -> str | bytes:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b


def numbered_rows(path: str | os.PathLike, rejects: list[Reject] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield (row number, row) for each row of a JSONL, Parquet or CSV file.

    Row numbers count from 1: lines for JSONL, data rows for CSV and Parquet. A row that cannot be read (a JSONL
    line that is not JSON or not UTF-8, a CSV row the csv module refuses) is added to ``rejects`` with its
    number and reason, and reading goes on; without ``rejects`` it raises ValueError naming the file and row.
    """
    path = Path(path)

    def bad(row_no: int, reason: str) -> None:
        if rejects is None:
            raise ValueError(f"{path}:{row_no}: {reason}")
        rejects.append(Reject(str(path), reason, row_no))

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        row_no = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            for row in arrow_rows(batch):
                row_no += 1
                yield row_no, row
    elif suffix == ".csv":
        # undecodable bytes come through as lone surrogates, which the row check rejects by row
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
            reader = csv.DictReader(fh)
            row_no = 0
            while True:
                row_no += 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    bad(row_no, f"not a CSV row ({e})")
                    continue
                yield row_no, {k: _csv_value(v) for k, v in row.items()}
    else:
        with open(path, "rb") as fh:
            for row_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield row_no, json.loads(line.decode("utf-8"))
                except UnicodeDecodeError:
                    bad(row_no, "not UTF-8 text")
                except json.JSONDecodeError as e:
                    bad(row_no, f"not valid JSON ({e.msg})")


def iter_table(path: str | os.PathLike) -> Iterator[dict[str, Any]]:
    """Yield the rows of a JSONL, Parquet or CSV file as dicts; a row that cannot be read raises ValueError
    naming the file and row (:func:`numbered_rows` reads on past it instead)."""
    for _, row in numbered_rows(path):
        yield row


def rejects_path_for(output: str | os.PathLike) -> Path:
    """The default rejects report beside ``output``: ``items.v2.jsonl`` -> ``items.v2.rejects.jsonl``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.rejects.jsonl")


def read_items(path: str | os.PathLike) -> list[ItemRecord]:
    """Read parsed item records from a JSONL, Parquet or CSV file."""
    return [ItemRecord.from_dict(row) for row in iter_table(path)]


# ---------------------------------------------------------------- finding inputs


def find_inputs(
    paths: Iterable[str | os.PathLike],
    suffixes: tuple[str, ...] = LETTER_SUFFIXES,
    rejects: list[Reject] | None = None,
) -> list[Path]:
    """Expand files and folders (searched recursively, following links) into a sorted list of files.

    Files named explicitly are kept whatever their suffix (so a bad file named on the command line is
    reported, not silently skipped); inside folders only ``suffixes`` are taken. What a folder holds that
    cannot be searched (a folder it may not read, a dangling link, a link loop) and a special file, named or
    found (a named pipe, a socket, a device: reading one could wait for ever or never end), are added to
    ``rejects`` with their reason, found by ``stat`` alone, never opened; without ``rejects`` the first such
    problem raises UserError. Nothing is skipped without a word.
    """
    found: list[Path] = []
    problems: list[Reject] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(_files_under(p, suffixes, problems, frozenset()))
        elif (special := _special_named(p)) is not None:
            problems.append(Reject(str(p), special))
        else:
            found.append(p)
    if problems and rejects is None:
        raise UserError(str(problems[0]))
    if rejects is not None:
        rejects.extend(problems)
    return found


def _not_regular(mode: int) -> str:
    """The reject reason of a file that is neither a regular file nor a folder, by its ``stat`` mode."""
    if stat.S_ISFIFO(mode):
        kind = "a named pipe"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "neither a file nor a folder"
    return f"not a regular file ({kind})"


def _special_named(path: Path) -> str | None:
    """The reject reason of a file named explicitly that is a special file (a pipe, a socket, a device), else
    None (a file that cannot be looked at is left for its parse to report, with its reason)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else _not_regular(mode)


def _link_problem(path: Path) -> str:
    """Why a link leads to no file or folder."""
    try:
        st = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "link loop: the link leads back to itself"
        if e.errno == errno.ENOENT:
            return f"dangling link: its target {os.readlink(path)} does not exist"
        return f"cannot read: {e.strerror}"
    return _not_regular(st.st_mode)


def _files_under(folder: Path, suffixes: tuple[str, ...], problems: list[Reject], ancestors: frozenset) -> list[Path]:
    try:
        st = folder.stat()
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        problems.append(Reject(str(folder), f"cannot read folder: {e.strerror}"))
        return []
    ancestors = ancestors | {(st.st_dev, st.st_ino)}
    out: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_dir():  # a link to a folder is followed
                target = entry.stat()
                if (target.st_dev, target.st_ino) in ancestors:
                    problems.append(Reject(str(path), "link loop: a link to a folder that contains it"))
                else:
                    out.extend(_files_under(path, suffixes, problems, ancestors))
            elif path.suffix.lower() not in suffixes:
                continue
            elif entry.is_file():
                out.append(path)
            elif entry.is_symlink():
                problems.append(Reject(str(path), _link_problem(path)))
            else:  # a named pipe, a socket, a device: stat only, never opened (a pipe would wait for a writer)
                problems.append(Reject(str(path), _not_regular(entry.stat(follow_symlinks=False).st_mode)))
        except OSError as e:
            problems.append(
                Reject(str(path), _link_problem(path) if entry.is_symlink() else f"cannot read: {e.strerror}")
            )
    return out


# ---------------------------------------------------------------- streaming writes

# The Arrow type of each Python type a column may be declared with (TableWriter's ``columns``).
_ARROW_TYPES = {str: "string", int: "int64", float: "float64", bool: "bool_"}


class TableWriter:
    """Write dict rows in chunks to JSONL, CSV or Parquet (by suffix), atomically.

    Memory stays flat: each chunk is written and dropped. The file appears under
    its name only when :meth:`close` succeeds; on error nothing is left behind,
    and a write that fails (full disk, read-only folder) is a UserError naming
    the output. ``columns`` ({name: str | int | float | bool}) fixes the CSV header
    and the Parquet schema before the first row, so a column that is empty in the
    first chunk and filled later keeps its type; without it the first chunk fixes them.
    ``schema`` (a pyarrow schema, nested types too) does the same for a Parquet file.
    """

    def __init__(self, path: str | os.PathLike, columns: dict[str, type] | None = None, schema: Any = None):
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._fh = None
        self._writer = None
        self._columns: list[str] | None = list(columns) if columns else None
        self._schema = _arrow_schema(columns) if columns and self.suffix == ".parquet" else None
        if schema is not None:
            self._columns, self._schema = list(schema.names), schema if self.suffix == ".parquet" else None
        self.rows = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._columns is None:
            self._columns = list(rows[0])
        if self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._schema is None:
                self._schema = _nulls_as_text(pa.Table.from_pylist(rows).schema)
            table = pa.Table.from_pylist(rows, schema=self._schema)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self._tmp, self._schema)
            self._writer.write_table(table)
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
        try:
            if self.suffix == ".parquet" and self._writer is not None:
                self._writer.close()
            if self._fh is not None:
                self._fh.close()
            if self.rows == 0 and self.suffix in (".parquet", ".csv"):
                self._write_empty()
        except BaseException as e:
            self.abort(e)
            raise
        self._ctx.__exit__(None, None, None)

    def _write_empty(self) -> None:
        """No rows: a table with the columns and no rows (a Parquet file needs a schema to be one)."""
        if self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({}) if self._schema is None else self._schema.empty_table(), self._tmp)
        elif self._columns:
            with open(self._tmp, "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerow(self._columns)

    def abort(self, exc: BaseException) -> None:
        if self._writer is not None and self.suffix == ".parquet":
            with contextlib.suppress(Exception):
                self._writer.close()
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
        with contextlib.suppress(BaseException):
            self._ctx.__exit__(type(exc), exc, exc.__traceback__)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            try:
                self.close()
            except OSError as e:
                if _is_write_error(e, str(self._tmp)):
                    raise write_error(self.path, e) from None
                raise
        else:
            self.abort(exc)
            if _is_write_error(exc, str(self._tmp)):
                raise write_error(self.path, exc) from None


def _arrow_schema(columns: dict[str, type]):
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, _ARROW_TYPES[kind])()) for name, kind in columns.items()])


def _nulls_as_text(schema):
    """A schema inferred from rows, with the columns that were all empty typed as text (not Arrow's null)."""
    import pyarrow as pa

    return pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in schema])


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
