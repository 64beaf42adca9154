"""The report's tables: each a small function from the report frame to a frame of counts and rates.

Every rate comes with its numerator, its denominator and a Wilson 95% interval (``<rate>_ci_low``,
``<rate>_ci_high``). The overturn rate's denominator is ``decided``, the items decided Upheld or
Overturned; ``items`` counts every item and ``letters`` the distinct letters (case ids) among them.

With ``by`` (a column of the frame: ``year``, ``template``, ``priority``, ...) every table gains that
column as its first key, one block of rows per group; the page puts the groups side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .frame import UNKNOWN
from .intervals import with_rate
from .statute import INTERVALS

LETTER_SIZES = ("1", "2", "3", "4", "5", "6 or more")


def keys(by: str | None, *columns: str) -> list[str]:
    return ([by] if by else []) + [c for c in columns if c != by]


def outcome(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Letters, items, decided, overturned and the overturn rate per group of ``columns``."""
    g = df.groupby(columns, observed=True, sort=True)
    out = g.agg(
        letters=("case_id", "nunique"),
        items=("decided", "size"),
        decided=("decided", "sum"),
        overturned=("overturned", "sum"),
    )
    return with_rate(out.reset_index(), "overturned", "decided", "overturn_rate")


def overturn_by(df: pd.DataFrame, column: str, by: str | None = None) -> pd.DataFrame:
    """The outcome per value of ``column`` (and of ``by``)."""
    return outcome(df, keys(by, column))


def corpus(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """One row (per group): letters, items, items per letter, decisions, decision-date range, items
    without a decision date, and the overturn rate."""
    rows = []
    groups = [(None, df)] if by is None else df.groupby(by, observed=True, sort=True)
    for key, d in groups:
        per_letter = d.groupby("case_id", observed=True, sort=False).size()
        dates = d["decision_date"]
        row = {} if by is None else {by: key}
        row.update(
            letters=len(per_letter),
            items=len(d),
            items_per_letter_mean=per_letter.mean(),
            items_per_letter_median=per_letter.median(),
            items_per_letter_max=per_letter.max(),
            first_decision=_iso(dates.min()),
            last_decision=_iso(dates.max()),
            items_without_decision_date=int(dates.isna().sum()),
            decided=int(d["decided"].sum()),
            upheld=int((d["decision"] == "Upheld").sum()),
            overturned=int(d["overturned"].sum()),
            other_decision=int((~d["decided"] & (d["decision"] != UNKNOWN)).sum()),
            no_decision=int((d["decision"] == UNKNOWN).sum()),
        )
        rows.append(row)
    return with_rate(pd.DataFrame(rows), "overturned", "decided", "overturn_rate")


def _iso(ts) -> str | None:
    return None if pd.isna(ts) else ts.date().isoformat()


def items_per_letter(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Letters by how many items they decide (1, 2, ... 6 or more), with each size's share of letters."""
    letter_keys = keys(by, "case_id")
    sizes = df.groupby(letter_keys, observed=True, sort=False).size().rename("n").reset_index()
    sizes["items_in_letter"] = pd.Categorical(
        np.minimum(sizes["n"], len(LETTER_SIZES))
        .astype(int)
        .astype(str)
        .str.replace(str(len(LETTER_SIZES)), LETTER_SIZES[-1], regex=False),
        categories=LETTER_SIZES,
    )
    out = sizes.groupby(keys(by, "items_in_letter"), observed=True, sort=True).agg(
        letters=("n", "size"), items=("n", "sum")
    )
    out = out.reset_index()
    out["all_letters"] = out.groupby(by, observed=True)["letters"].transform("sum") if by else out["letters"].sum()
    return with_rate(out, "letters", "all_letters", "share")


def most_frequent(table: pd.DataFrame, column: str, by: str | None = None, n: int = 40) -> pd.DataFrame:
    """The ``n`` values of ``column`` with the most items (pooled over ``by``), UNKNOWN left out."""
    pooled = table[table[column].astype(str) != UNKNOWN].groupby(column, observed=True)["items"].sum()
    top = pooled.sort_values(ascending=False, kind="stable").index[:n]
    out = table[table[column].isin(top)].copy()
    out["_order"] = out[column].map({v: i for i, v in enumerate(top)}).astype(int)
    return out.sort_values([*([by] if by else []), "_order"]).drop(columns="_order").reset_index(drop=True)


def verdicts(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The stated decision against the verdict read from the rationale: items per pair, and each pair's share
    of the decision's items (Wilson)."""
    g = df.groupby(keys(by, "decision", "rationale_verdict"), observed=True, sort=True).size()
    g = g.rename("items").reset_index()
    g["decision_items"] = g.groupby(keys(by, "decision"), observed=True)["items"].transform("sum")
    return with_rate(g, "items", "decision_items", "share")


def treatment(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The outcome per treatment category and subcategory (for medications, the drug class)."""
    return outcome(df, keys(by, "treatment_category", "treatment_subcategory"))


def exploded(df: pd.DataFrame, column: str, by: str | None = None) -> pd.DataFrame:
    """The outcome per value of a list column (reviewer guidelines, specialties, licensure): an item counts
    once under each value it lists, once under UNKNOWN when its list is empty."""
    arr = pa.chunked_array(df[column].array.__arrow_array__()).combine_chunks()
    flat = pc.dictionary_encode(arr.flatten())
    parents = pc.list_parent_indices(arr).to_numpy()
    empty = np.flatnonzero(pc.fill_null(pc.list_value_length(arr), 0).to_numpy() == 0)
    rows = np.concatenate([parents, empty])
    names = [*flat.dictionary.to_pylist(), UNKNOWN]
    codes = np.concatenate([flat.indices.to_numpy(zero_copy_only=False), np.full(len(empty), len(names) - 1)])
    order = sorted(range(len(names) - 1), key=lambda i: names[i]) + [len(names) - 1]
    remap = np.empty(len(names), dtype=np.int64)
    remap[order] = np.arange(len(order))
    long = pd.DataFrame({c: df[c].to_numpy()[rows] for c in ("decided", "overturned")})
    long["case_id"] = pd.Categorical.from_codes(df["case_id"].cat.codes.to_numpy()[rows], df["case_id"].cat.categories)
    if by:
        b = df[by]
        long[by] = pd.Categorical.from_codes(b.cat.codes.to_numpy()[rows], b.cat.categories)
    long[column] = pd.Categorical.from_codes(remap[codes], [names[i] for i in order])
    return outcome(long, keys(by, column))


def agreement(df: pd.DataFrame, level: str, by: str | None = None) -> pd.DataFrame:
    """Claims administrator's guideline ``level`` (family or topic) against the reviewer's: items per pair,
    the pair's share of the claims administrator's row, and per row the share where both gave the same."""
    claims, reviewer = f"claims_guideline_{level}", f"guideline_{level}"
    g = df.groupby(keys(by, claims, reviewer), observed=True, sort=True).size().rename("items").reset_index()
    row = keys(by, claims)
    g["row_items"] = g.groupby(row, observed=True)["items"].transform("sum")
    same = np.where(g[claims].astype(str) == g[reviewer].astype(str), g["items"], 0)
    g["row_same"] = pd.Series(same, index=g.index).groupby([g[k] for k in row], observed=True).transform("sum")
    g = with_rate(g, "items", "row_items", "share_of_row")
    return with_rate(g, "row_same", "row_items", "row_agreement")


def agreement_matrix(table: pd.DataFrame, level: str, by: str | None = None) -> pd.DataFrame:
    """The agreement table as counts, claims administrator's labels down, reviewer's across."""
    index = keys(by, f"claims_guideline_{level}")
    m = table.pivot_table(
        index=index, columns=f"guideline_{level}", values="items", aggfunc="sum", fill_value=0, observed=True
    )
    m.columns = m.columns.astype(str)
    return m.reset_index()


def no_evidence(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Per template and in all: the items whose reviewer cited no medical evidence (guideline family
    "none"), their share of items, and the overturn rate of those items beside that of the others."""
    by = None if by == "template" else by  # the rows are the templates already
    flag = (df["guideline_family"] == "none").to_numpy()
    d = pd.DataFrame(
        {
            "template": df["template"].astype(str),
            "no_evidence": flag,
            "ne_decided": flag & df["decided"].to_numpy(),
            "ne_overturned": flag & df["overturned"].to_numpy(),
            "cited_decided": ~flag & df["decided"].to_numpy(),
            "cited_overturned": ~flag & df["overturned"].to_numpy(),
        }
    )
    if by:
        d.insert(0, by, df[by].to_numpy())
    parts = []
    for template_key in ("template", None):
        group = keys(by, *([template_key] if template_key else []))
        sums = {c: (c, "sum") for c in d.columns if c not in ("template", by)}
        if group:
            out = d.groupby(group, observed=True, sort=True).agg(items=("no_evidence", "size"), **sums).reset_index()
        else:
            out = pd.DataFrame([{"items": len(d), **{c: d[c].sum() for c in sums}}])
        if template_key is None:
            out["template"] = "all"
        parts.append(out)
    out = pd.concat(parts, ignore_index=True)[
        keys(by, "template") + ["items", *[c for c in d.columns if c not in ("template", by)]]
    ]
    out = with_rate(out, "no_evidence", "items", "share")
    out = with_rate(out, "ne_overturned", "ne_decided", "overturn_rate_no_evidence")
    return with_rate(out, "cited_overturned", "cited_decided", "overturn_rate_cited")


def timing(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Per interval and priority: items with both dates, median, 90th percentile and longest days, the
    statutory limit and the share of items past it (Wilson)."""
    group = keys(by, "priority")
    priority = df["priority"].astype(str).str.lower().to_numpy()
    rows = []
    for interval in INTERVALS:
        days = df[interval.column].to_numpy(dtype=float)
        limits = {k.lower(): v for k, v in interval.limits.items()}
        limit = np.array([limits.get(p, np.nan) for p in priority], dtype=float) if len(df) else np.zeros(0)
        has = ~np.isnan(days)
        # a few groups: numpy on each group's rows beats pandas' grouped quantile by far at a million items
        for key, idx in df.loc[has, group].groupby(group, observed=True, sort=True).indices.items():
            x, lim = days[has][idx], limit[has][idx]
            rows.append(
                {
                    "interval": interval.name,
                    **dict(zip(group, key if isinstance(key, tuple) else (key,), strict=True)),
                    "items": len(x),
                    "median_days": float(np.median(x)),
                    "p90_days": float(np.quantile(x, 0.9)),
                    "max_days": float(x.max()),
                    "limit_days": lim[0],
                    "past_limit": int((x > lim).sum()),
                }
            )
    columns = ["interval", *group, "items", "median_days", "p90_days", "max_days", "limit_days", "past_limit"]
    out = pd.DataFrame(rows, columns=columns)
    return with_rate(out, "past_limit", "items", "past_limit_share")


PATIENT_DIMENSIONS = {"age_band": "age", "patient_sex": "sex", "injury_to_ur_band": "years from injury to UR denial"}


def patients(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The outcome by the patient's age band, sex and years from injury to the UR denial (one long table)."""
    parts = []
    for column, name in PATIENT_DIMENSIONS.items():
        out = overturn_by(df, column, by).rename(columns={column: "value"})
        out["value"] = out["value"].astype(str)
        out.insert(len(keys(by)), "dimension", name)
        parts.append(out)
    return pd.concat(parts, ignore_index=True)


def top_requests(df: pd.DataFrame, by: str | None = None, n: int = 25) -> pd.DataFrame:
    """The ``n`` most frequent requests (item text with case and spacing folded) with their outcome."""
    texts = pd.Series(df["item"].cat.categories, dtype=object).str.lower().str.split().str.join(" ")
    codes, uniq = pd.factorize(texts)
    item_codes = df["item"].cat.codes.to_numpy()
    request = pd.Categorical.from_codes(np.where(item_codes >= 0, codes[item_codes], -1), uniq)
    d = pd.DataFrame({c: df[c] for c in ["case_id", "decided", "overturned", *([by] if by else [])]})
    d["request"] = request
    out = outcome(d, keys(by, "request"))
    out["request"] = out["request"].astype(str)
    out = out.sort_values([*([by] if by else []), "items", "request"], ascending=[*([True] if by else []), False, True])
    return (out.groupby(by, observed=True).head(n) if by else out.head(n)).reset_index(drop=True)
