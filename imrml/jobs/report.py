"""The report job (``imrml report``): read letters or parsed items, build the report, write its files.

INPUT is letters (PDF or text files, or folders of them: parsed and labelled on the way), item tables
(JSONL, Parquet, CSV, as ``imrml parse`` writes them), a corpus (``imrml parse --corpus``: its part files and
its rejects) or a folder of item tables (a Parquet dataset). Only the
columns the report reads are read, straight into Arrow. Writes, into REPORT_DIR:

- ``report.html``: the page, self-contained;
- ``tables/<name>.csv``: every table (long form: with ``--by``, the group is the first column);
- ``charts/<name>.svg``: every chart;
- ``rejects.jsonl``: the inputs (files, rows) that gave no item, and why.

Every file is written atomically. ``--mlflow`` logs the folder as a run's artifacts with the headline
numbers as metrics.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pj
import pyarrow.parquet as pq

from ..letters.batch import parse_paths
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..mlops.reports import log_report
from ..records.corpus import is_corpus, part_files
from ..records.errors import UserError
from ..records.schema import Reject
from ..records.tables import LETTER_SUFFIXES, TABLE_SUFFIXES, atomic_path, find_inputs, rejects_path_for, write_jsonl
from ..report.frame import COLUMNS, DICTIONARY, OPTIONAL_COLUMNS, conform, report_frame, within_dates
from ..report.page import render
from ..report.sections import Report, build
from .inputs import NOT_ITEMS, is_item_table

log = logging.getLogger(__name__)

DEFAULT_MIN_COUNT = 20
MAX_GROUPS = 12  # --by groups side by side; more would not fit a page
NOT_LABELLED = "the items carry no guideline labels (guideline_family ...): run 'imrml labels ITEMS -o OUT' first"


@dataclass
class ReportInput:
    """The items read (one Arrow table), the rejects, and what was read."""

    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    described: str = ""


def read_input(paths: list[str | Path], limits: Limits = DEFAULT_LIMITS) -> ReportInput:
    """Letters (each parsed within the per-file ``limits``) and item tables named (or found in folders) as one
    Arrow table of the report's columns."""
    letters, tables, corpus_rejects, unsearchable = [], [], [], []
    for p in map(Path, paths):
        if not p.exists():
            raise UserError(f"{p}: no such file or folder")
        if is_corpus(p):
            tables += part_files(p)
            corpus_rejects.append(p / "rejects.jsonl")
        elif p.is_dir():
            found = find_inputs([p], LETTER_SUFFIXES, rejects=unsearchable)
            # a folder of letters is read as letters (tables beside them, e.g. a parse output, are not read twice)
            if found:
                letters += found
            else:
                tables += [
                    f
                    for f in find_inputs([p], TABLE_SUFFIXES, rejects=unsearchable)
                    if not f.name.endswith(".rejects.jsonl")
                ]
        elif p.suffix.lower() in TABLE_SUFFIXES:
            tables.append(p)
        else:
            letters.append(p)
    if not letters and not tables:
        raise UserError(
            f"{', '.join(map(str, paths))}: no letters (.pdf, .txt) or item tables (.jsonl, .parquet, .csv) found"
        )
    parts, rejects = [], [*unsearchable]
    for path in corpus_rejects:
        rejects += _read_rejects(path)
    if letters:
        result = parse_paths(letters, progress=True, limits=limits)
        rejects += result.rejects
        rows = [r.to_dict() for r in result.records]
        parts.append(pa.Table.from_pylist(rows, schema=_schema(rows[0].keys() if rows else ())))
    for t in tables:
        table = _read_table(t, rejects)
        if table is not None:
            parts.append(_checked_rows(table, t, rejects))
            beside = rejects_path_for(t)
            rejects += _read_rejects(beside) if beside != t else []
    parts = [conform(p) for p in parts]
    optional = {c for p in parts for c in p.column_names if c in OPTIONAL_COLUMNS}
    parts = [p if optional <= set(p.column_names) else _with_nulls(p, optional) for p in parts]
    table = pa.concat_tables(parts) if parts else conform(pa.table({}))
    described = ", ".join(str(p) for p in paths)
    return ReportInput(table, rejects, described)


def _schema(columns) -> pa.Schema:
    present = set(columns)
    return pa.schema([*COLUMNS.items(), *((k, v) for k, v in OPTIONAL_COLUMNS.items() if k in present)])


def _with_nulls(table: pa.Table, columns: set[str]) -> pa.Table:
    for c in sorted(columns - set(table.column_names)):
        table = table.append_column(c, pa.nulls(table.num_rows, OPTIONAL_COLUMNS[c]))
    return table


def _read_table(path: Path, rejects: list[Reject]) -> pa.Table | None:
    """The report's columns of one item table, or None (and a reject) when it is not one."""
    try:
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            names = pq.read_schema(path).names
            if not is_item_table(names):
                rejects.append(Reject(str(path), NOT_ITEMS))
                return None
            table = pq.read_table(
                path,
                columns=[c for c in (*COLUMNS, *OPTIONAL_COLUMNS) if c in names],
                read_dictionary=[c for c in DICTIONARY if c in names],
            )
        elif suffix == ".csv":
            table = _read_csv(path)
            if table is None:
                rejects.append(Reject(str(path), NOT_ITEMS))
                return None
        else:
            table = _read_jsonl(path)
            if table is None:
                rejects.append(Reject(str(path), NOT_ITEMS))
                return None
    except (OSError, ValueError, pa.ArrowException) as e:
        rejects.append(Reject(str(path), f"cannot read table: {str(e).splitlines()[0]}"))
        return None
    if table.num_rows and not any(c in table.column_names for c in ("guideline_family", "claims_guideline_family")):
        raise UserError(f"{path}: {NOT_LABELLED}")
    return table


def _read_jsonl(path: Path) -> pa.Table | None:
    with open(path, encoding="utf-8") as fh:
        first = next((line for line in fh if line.strip()), "")
    if not first:
        return pa.Table.from_pylist([], schema=_schema(()))
    keys = json.loads(first).keys()
    if not is_item_table(keys):
        return None
    schema = _schema(keys)
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    table = pj.read_json(path, parse_options=options, read_options=pj.ReadOptions(block_size=1 << 24))
    return (
        table
        if "guideline_family" in keys or "claims_guideline_family" in keys
        else table.drop_columns([c for c in ("guideline_family", "claims_guideline_family") if c in table.column_names])
    )


def _read_csv(path: Path) -> pa.Table | None:
    """A CSV as ``imrml parse`` writes it: lists and citations as JSON in their cells."""
    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), [])
    if not is_item_table(header):
        return None
    schema = _schema(header)
    wanted = [c for c in schema.names if c in header]
    table = pcsv.read_csv(
        path,
        convert_options=pcsv.ConvertOptions(
            include_columns=wanted, column_types={c: pa.string() for c in wanted}, strings_can_be_null=True
        ),
    )
    arrays = {}
    for name in wanted:
        typ = schema.field(name).type
        col = table.column(name)
        if pa.types.is_list(typ):
            arrays[name] = pa.array([json.loads(v) if v else [] for v in col.to_pylist()], type=typ)
        elif typ == pa.float64():
            arrays[name] = pc.cast(col, typ)
        else:
            arrays[name] = col
    return pa.table(arrays)


def _checked_rows(table: pa.Table, path: Path, rejects: list[Reject]) -> pa.Table:
    """The rows with a case id and an item; a reject (with its row number) for each other row."""
    bad = pa.array(np.zeros(table.num_rows, dtype=bool))
    reasons = []
    for column in ("case_id", "item"):
        if column in table.column_names:
            values = pc.utf8_trim_whitespace(pc.cast(table.column(column), pa.string()))
            missing = pc.fill_null(pc.equal(values, ""), True)
        else:
            missing = pa.array(np.ones(table.num_rows, dtype=bool))
        reasons.append((column, missing))
        bad = pc.or_(bad, missing)
    if not pc.any(bad).as_py():
        return table
    for row in pc.indices_nonzero(bad).to_pylist():
        column = next(c for c, m in reasons if m[row].as_py())
        rejects.append(Reject(str(path), f"missing {column}", row + 1))
    return table.filter(pc.invert(bad))


def _read_rejects(path: Path) -> list[Reject]:
    """The rejects a parse wrote (``items.rejects.jsonl`` beside its output, a corpus's ``rejects.jsonl``), if any."""
    if not path.is_file():
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append(Reject(d.get("source", str(path)), d.get("reason", "rejected"), d.get("row")))
    return out


def rejects_by_reason(rejects: list[Reject]) -> pd.DataFrame:
    counts = pd.Series([r.reason for r in rejects], dtype=object).value_counts()
    return (
        pd.DataFrame({"reason": counts.index.astype(str), "count": counts.to_numpy()})
        if len(counts)
        else pd.DataFrame({"reason": pd.Series([], dtype=object), "count": pd.Series([], dtype="int64")})
    )


def check_by(df: pd.DataFrame, by: str | None) -> None:
    """A ``--by`` column must be a categorical column of the report frame with at most MAX_GROUPS values."""
    if by is None:
        return
    choices = sorted(
        c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype) and c not in ("case_id", "item")
    )
    if by not in choices:
        raise UserError(f"--by {by}: not a column to group by; choose one of: {', '.join(choices)}")
    n = df[by].nunique()
    if n > MAX_GROUPS:
        raise UserError(
            f"--by {by}: {n} groups, more than {MAX_GROUPS} fit side by side; choose a column with "
            "fewer values (year, template, priority, treatment_category, ...)"
        )


def check_date(value: str | None, flag: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UserError(f"{flag} {value}: not a date (YYYY-MM-DD)") from None


def write_report(report: Report, out: Path, source: str, rejects: list[Reject]) -> Path:
    """Every table as CSV, every chart as SVG, the rejects, then the page; returns the page's path."""
    files = {}
    for table in report.tables():
        for name, data in {table.name: table.data, **table.also}.items():
            path = out / "tables" / f"{name}.csv"
            with atomic_path(path) as tmp:
                data.to_csv(tmp, index=False, float_format="%.6g")
            files.setdefault(f"table:{table.name}", path.relative_to(out).as_posix())
    for chart in report.charts():
        path = out / "charts" / f"{chart.name}.svg"
        with atomic_path(path) as tmp:
            tmp.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + chart.svg, encoding="utf-8")
        files[f"chart:{chart.name}"] = path.relative_to(out).as_posix()
    write_jsonl((r.to_dict() for r in rejects), out / "rejects.jsonl")
    page = out / "report.html"
    html = render(
        report,
        "IMR decisions: what was decided, and on which guideline",
        source,
        datetime.now().strftime("%Y-%m-%d %H:%M"),
        files,
    )
    with atomic_path(page) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return page


def make_report(
    inputs: list[str],
    out: str | Path,
    by: str | None = None,
    since: str | None = None,
    until: str | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Report, Path, ReportInput]:
    """Read (letters within the per-file ``limits``), build and write the report; returns it, its page and what
    was read."""
    since, until = check_date(since, "--since"), check_date(until, "--until")
    if min_count < 1:
        raise UserError(f"--min-count {min_count}: must be at least 1")
    read = read_input(inputs, limits)
    df = report_frame(read.table)
    del read.table
    check_by(df, by)
    n_all = len(df)
    df = within_dates(df, since, until)
    if n_all and not len(df):
        raise UserError(
            f"{read.described}: no item decided between {since or 'the first'} and {until or 'the last'} "
            f"(of {n_all:,} items)"
        )
    if not len(df):
        raise UserError(f"{read.described}: no items to report on")
    source = read.described + (
        f"; items decided from {since or 'the first'} to {until or 'the last'} "
        f"({n_all - len(df):,} of {n_all:,} items left out)"
        if since or until
        else ""
    )
    report = build(df, by=by, min_count=min_count, rejects=rejects_by_reason(read.rejects))
    page = write_report(report, Path(out), source, read.rejects)
    return report, page, read


def report_command(
    inputs: list[str],
    output: str,
    by: str | None = None,
    since: str | None = None,
    until: str | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    mlflow: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    report, page, read = make_report(inputs, output, by, since, until, min_count, limits)
    h = report.headline
    print(
        f"report: {h['letters']:,.0f} letters, {h['items']:,.0f} items, {h['overturn_rate']:.1%} overturned "
        f"({len(read.rejects)} inputs rejected) -> {page.resolve()}"
    )
    if mlflow:
        run_id, uri = log_report(
            Path(output),
            h,
            {
                "input": read.described,
                "by": by or "",
                "since": since or "",
                "until": until or "",
                "min_count": min_count,
            },
        )
        print(f"report: logged to MLflow run {run_id} ({uri})")
    if read.rejects:
        print(
            f"report: {len(read.rejects)} rejected inputs listed in {Path(output) / 'rejects.jsonl'}", file=sys.stderr
        )
    return 0
