"""The report as one self-contained HTML page: charts inline as SVG, styles inline, no script, no link to
anything outside the report's folder (only to its own CSV and SVG files).

The page is a Jinja2 template (``templates/report.html``) with autoescaping on: every request text, specialty
and label comes from the letters and is escaped as text; only the charts' SVG, which matplotlib wrote, is
inserted as markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from .sections import Report, Table

SMALL_MARK = "\u2020"  # dagger


@dataclass
class Cell:
    text: str
    ci: str = ""
    cls: str = ""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("imrml.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(report: Report, title: str, source: str, generated: str, files: dict[str, str]) -> str:
    """The page. ``source`` says what was read, ``generated`` when; ``files`` maps ``table:<name>`` and
    ``chart:<name>`` to the file's path relative to the page."""
    sections = []
    for s in report.sections:
        sections.append(
            {
                "id": s.id,
                "title": s.title,
                "intro": s.intro,
                "points": s.points,
                "tables": [
                    {
                        "name": t.name,
                        "title": t.title,
                        "note": t.note,
                        "file": files.get(f"table:{t.name}", ""),
                        "shown": t.shown,
                        "charts": [
                            {
                                "name": c.name,
                                "svg": Markup(c.svg),
                                "caption": c.caption,
                                "file": files.get(f"chart:{c.name}", ""),
                            }
                            for c in t.charts
                        ],
                        **display(t, report.by, report.min_count),
                    }
                    for t in s.tables
                ],
            }
        )
    return (
        _environment()
        .get_template("report.html")
        .render(
            title=title,
            source=source,
            generated=generated,
            by=report.by,
            min_count=report.min_count,
            headline=report.headline,
            sections=sections,
            small_mark=SMALL_MARK,
        )
    )


def display(table: Table, by: str | None, min_count: int) -> dict[str, Any]:
    """A table as header rows and body rows of :class:`Cell`: one row per group, or with ``by`` one block of
    columns per ``by`` group; a row (or block) whose denominator is under ``min_count`` is marked small."""
    data = table.data
    if table.transpose:
        return _transposed(table, by)
    labels = dict(table.labels)
    if by not in data.columns or not [k for k in labels if k != by]:
        by = None  # a table of the whole input (the rejects), or one whose rows are the groups themselves
    if by and not table.side_by_side:
        labels = {by: by, **{k: v for k, v in labels.items() if k != by}}
    if not by or not table.side_by_side:
        header = [[Cell(h) for h in labels.values()] + [Cell(h, cls="num") for _, h, _ in table.values]]
        if data.empty:
            return {"header": header, "rows": [{"cells": [Cell("none")], "cls": ""}], "spans": []}
        rows = []
        for _, r in data.iterrows():
            small = _is_small(r, table.small, min_count)
            cells = [
                Cell(str(r[c]) + (SMALL_MARK if small and i == len(labels) - 1 else "")) for i, c in enumerate(labels)
            ]
            cells += [_cell(r, col, kind) for col, _, kind in table.values]
            rows.append({"cells": cells, "cls": "small" if small else ""})
        return {"header": header, "rows": rows, "spans": []}
    return _side_by_side(table, by, min_count)


def _side_by_side(table: Table, by: str, min_count: int) -> dict[str, Any]:
    data = table.data
    keys = [k for k in table.labels if k != by]
    values = [v for v in table.values if v[2] == "rate" or v[0] == table.small]
    groups = list(dict.fromkeys(data[by].astype(str)))
    data = data.assign(**{by: data[by].astype(str)})
    wide = {g: d.set_index(keys) for g, d in data.groupby(by, sort=False)}
    ordered = data[keys].drop_duplicates()
    if all(isinstance(data[k].dtype, pd.CategoricalDtype) for k in keys):  # in the labels' own order, unknown last
        ordered = ordered.sort_values(keys)
    index = list(dict.fromkeys(tuple(r) for r in ordered.astype(str).itertuples(index=False)))
    spans = [{"text": "", "span": len(keys)}] + [{"text": f"{by} {g}", "span": len(values)} for g in groups]
    header = [[Cell(table.labels[k]) for k in keys] + [Cell(h, cls="num") for _ in groups for _, h, _ in values]]
    rows = []
    for key in index:
        cells = [Cell(k) for k in key]
        for g in groups:
            frame = wide.get(g)
            lookup = key if len(keys) > 1 else key[0]
            try:
                row = frame.loc[[lookup]] if frame is not None else None
                row = None if row is None or row.empty else row.iloc[0]
            except KeyError:
                row = None
            if row is None:
                cells += [Cell("\u2013", cls="num missing") for _ in values]
                continue
            small = _is_small(row, table.small, min_count)
            for col, _, kind in values:
                c = _cell(row, col, kind)
                c.cls += " small" if small else ""
                if small and col == values[0][0]:
                    c.text += SMALL_MARK
                cells.append(c)
        rows.append({"cells": cells, "cls": ""})
    return {"header": header, "rows": rows, "spans": spans}


def _transposed(table: Table, by: str | None) -> dict[str, Any]:
    data = table.data
    groups = data[by].astype(str).tolist() if by else ["all items"]
    header = [[Cell("")] + [Cell(f"{by} {g}" if by else g, cls="num") for g in groups]]
    rows = []
    for col, heading, kind in table.values:
        cells = [_cell(r, col, kind) for _, r in data.iterrows()]
        for c in cells:  # one column per group: dates and counts alike aligned to the right
            c.cls = "num" if "num" not in c.cls else c.cls
        rows.append({"cells": [Cell(heading), *cells], "cls": ""})
    return {"header": header, "rows": rows, "spans": []}


def _is_small(row: pd.Series, column: str | None, min_count: int) -> bool:
    return bool(column) and pd.notna(row.get(column)) and row[column] < min_count


def _cell(row: pd.Series, column: str, kind: str) -> Cell:
    v = row.get(column)
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return Cell("\u2013", cls="num missing")
    if kind == "count":
        return Cell(f"{int(v):,}", cls="num")
    if kind == "decimal":
        return Cell(f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}", cls="num")
    if kind == "rate":
        low, high = row.get(f"{column}_ci_low"), row.get(f"{column}_ci_high")
        return Cell(percent(v), ci=f"{percent(low, False)}\u2013{percent(high)}", cls="num")
    return Cell(str(v))


def percent(v: float, sign: bool = True) -> str:
    """0.1234 -> "12.3%" (one decimal; no sign when ``sign`` is False)."""
    return f"{100 * v:.1f}{'%' if sign else ''}"
