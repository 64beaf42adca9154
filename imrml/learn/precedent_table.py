"""The precedents of a batch of items as a table: one row per item and precedent, nearest first.

:func:`decided_table` keeps what a precedent shows of a decided item (case id, decision date, item,
decision, the reviewer's guideline family and topic, the first sentences of the rationale);
:func:`precedent_rows` finds each query's precedents with a fitted precedents model
(:func:`imrml.learn.pipeline.build_pipeline` of kind ``precedents``) and adds, per query, the overturned
share among its precedents with a 95% Wilson interval, the decision most of them took and how many did
(``agreement``), and the reviewers' most cited guideline topic and its share. A query with fewer
precedents than asked says why in ``note``; one with none is a single row with empty precedent columns.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from ..records.schema import OVERTURNED
from .inspect import inner_pipeline
from .precedents import PrecedentIndex

# What a precedent shows of a decided item, and the output column each becomes.
DECIDED_COLUMNS: dict[str, str] = {
    "case_id": "precedent_case_id",
    "decision_date": "precedent_decision_date",
    "item": "precedent_item",
    "decision": "precedent_decision",
    "guideline_family": "precedent_guideline_family",
    "guideline_topic": "precedent_guideline_topic",
    "rationale": "precedent_rationale",
}
SUMMARY_COLUMNS = (
    "n_precedents",
    "overturned_share",
    "overturned_low",
    "overturned_high",
    "majority_decision",
    "agreement",
    "top_guideline_topic",
    "guideline_topic_agreement",
    "note",
)
# The columns of a precedents table after the query's ids, in order, with their types.
ROW_TYPES: dict[str, type] = {
    "treatment_class": str,
    "rank": int,
    "similarity": float,
    **dict.fromkeys(DECIDED_COLUMNS.values(), str),
    "n_precedents": int,
    "overturned_share": float,
    "overturned_low": float,
    "overturned_high": float,
    "majority_decision": str,
    "agreement": float,
    "top_guideline_topic": str,
    "guideline_topic_agreement": float,
    "note": str,
}
TIE = "tie"
LEVEL = 0.95
MAX_RATIONALE_CHARS = 400

# A sentence ends at . ! or ? before a capital, a quote or an opening parenthesis; not after the usual
# abbreviations of the letters ("Dr. Lee", "e.g. Norco", "p. 63", "No. 3").
_SENTENCE_END = re.compile(
    r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bvs\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bp\.)(?<!\bpp\.)(?<!\bNo\.)"
    r"(?<=[.!?])\s+(?=[A-Z\"'(])"
)


def first_sentences(text: str | None, n: int) -> str:
    """The first ``n`` sentences of ``text``, cut at :data:`MAX_RATIONALE_CHARS` characters."""
    text = " ".join(str(text or "").split())
    out = " ".join(_SENTENCE_END.split(text, maxsplit=n)[:n])
    return out if len(out) <= MAX_RATIONALE_CHARS else out[: MAX_RATIONALE_CHARS - 3].rstrip() + "..."


def decided_table(frame: pd.DataFrame, sentences: int = 2) -> pd.DataFrame:
    """What a precedent shows of each decided item of ``frame`` (a record frame), rationale shortened."""
    out = pd.DataFrame(index=range(len(frame)))
    for column in DECIDED_COLUMNS:
        values = frame[column].reset_index(drop=True) if column in frame else pd.Series([None] * len(frame))
        out[column] = values.astype(object).where(values.notna(), None)
    codes, uniques = pd.factorize(out["rationale"].fillna(""))  # a rationale repeats across a letter's items
    out["rationale"] = np.asarray([first_sentences(u, sentences) for u in uniques], dtype=object)[codes]
    return out


def index_parts(model) -> tuple[object, PrecedentIndex]:
    """The fitted model's column step and its :class:`PrecedentIndex`."""
    pipeline = inner_pipeline(model)
    return pipeline[:-1], pipeline[-1]


def wilson_interval(successes: np.ndarray, trials: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of each proportion (NaN where there are no trials), one scipy call per
    distinct (successes, trials) pair."""
    low = np.full(len(trials), np.nan)
    high = np.full(len(trials), np.nan)
    pairs, inverse = np.unique(np.stack([successes, trials], axis=1), axis=0, return_inverse=True)
    for j, (x, n) in enumerate(pairs):
        if n > 0:
            ci = binomtest(int(x), int(n)).proportion_ci(confidence_level=level, method="wilson")
            low[inverse.ravel() == j], high[inverse.ravel() == j] = ci.low, ci.high
    return low, high


def _why_fewer(found: int, k: int, cls: str, same_class: bool, sizes: dict[str, int], total: int) -> str:
    if found >= k:
        return ""
    if not same_class:
        return f"only {total} decided items in the index"
    if cls not in sizes:
        return f"no decided item of treatment class {str(cls)!r}; compare with every class to widen"
    return f"only {sizes[cls]} decided items of treatment class {str(cls)!r}; compare with every class to widen"


def _modal(values: pd.Series, query: np.ndarray, n_queries: int) -> tuple[np.ndarray, np.ndarray]:
    """Per query: the most common non-empty value among its precedents (``TIE`` when two lead) and its share
    of the precedents that have one."""
    mode = np.full(n_queries, None, dtype=object)
    share = np.full(n_queries, np.nan)
    has = values.notna().to_numpy() & (values.astype(str) != "").to_numpy()
    if not has.any():
        return mode, share
    counts = pd.DataFrame({"q": query[has], "v": values[has].astype(str).to_numpy()}).value_counts()
    counts = counts.sort_index(level=1, sort_remaining=False).sort_values(ascending=False, kind="stable")
    per_query = counts.groupby(level=0)
    top = per_query.head(1)
    second = per_query.nth(1)
    q_top = top.index.get_level_values(0).to_numpy()
    mode[q_top] = top.index.get_level_values(1).to_numpy()
    share[q_top] = top.to_numpy() / per_query.sum().reindex(q_top).to_numpy()
    tied = pd.Series(second.to_numpy(), index=second.index.get_level_values(0)).reindex(q_top).to_numpy()
    mode[q_top[tied == top.to_numpy()]] = TIE
    return mode, share


def precedent_rows(
    model, decided: pd.DataFrame, queries: pd.DataFrame, k: int | None = None, same_class: bool | None = None
) -> pd.DataFrame:
    """One row per query and precedent (``query_row`` = the query's row in ``queries``), nearest first.

    ``decided`` is :func:`decided_table` of the items ``model`` was fitted on, in the same order.
    """
    head, index = index_parts(model)
    X = head.transform(queries)
    k = index.n_neighbors if k is None else k
    same = index.same_class if same_class is None else same_class
    distance, neighbour = index.kneighbors(X, k, same_class=same)
    classes = index.query_classes(X).astype(str)
    found = neighbour >= 0
    n_found = found.sum(axis=1)

    # one row per precedent found, and one row for a query with none
    rank = np.where(found, np.arange(1, k + 1), 0)
    keep = found | ((n_found == 0)[:, None] & (np.arange(k) == 0))
    query = np.broadcast_to(np.arange(len(X))[:, None], found.shape)[keep]
    rows = neighbour[keep]
    out = pd.DataFrame({"query_row": query, "treatment_class": classes[query]})
    out["rank"] = pd.array(np.where(rank[keep] > 0, rank[keep], None), dtype="Int64")
    out["similarity"] = np.where(rows >= 0, np.round(1.0 - distance[keep].astype(float), 4), np.nan)
    shown = decided.iloc[np.where(rows >= 0, rows, 0)].reset_index(drop=True)
    for column, name in DECIDED_COLUMNS.items():
        out[name] = np.where(rows >= 0, shown[column].to_numpy(dtype=object), None)

    decisions = index.neighbour_labels(neighbour)
    overturned = ((decisions == OVERTURNED) & found).sum(axis=1)
    low, high = wilson_interval(overturned, n_found)
    majority, agreement = _modal(out["precedent_decision"], query, len(X))
    topic, topic_agreement = _modal(out["precedent_guideline_topic"], query, len(X))
    sizes, total = index.class_sizes(), len(index.rows_)
    per_query = {
        "n_precedents": n_found,
        "overturned_share": np.where(n_found > 0, overturned / np.maximum(n_found, 1), np.nan),
        "overturned_low": low,
        "overturned_high": high,
        "majority_decision": majority,
        "agreement": agreement,
        "top_guideline_topic": topic,
        "guideline_topic_agreement": topic_agreement,
        "note": np.asarray(
            [
                _why_fewer(int(f), k, c, same and index.text_, sizes, total)
                for f, c in zip(n_found, classes, strict=True)
            ],
            dtype=object,
        ),
    }
    for name in SUMMARY_COLUMNS:
        values = per_query[name][query]
        out[name] = np.round(values, 4) if values.dtype.kind == "f" else values
    return out[["query_row", *ROW_TYPES]]
