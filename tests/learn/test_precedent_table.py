"""The precedents table: what a precedent shows, the per-item share with its interval, agreement, and why an
item has fewer than K."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from imrml.learn.pipeline import build_pipeline
from imrml.learn.precedent_table import (
    MAX_RATIONALE_CHARS,
    ROW_TYPES,
    TIE,
    decided_table,
    first_sentences,
    precedent_rows,
    wilson_interval,
)
from imrml.learn.precedents import treatment_classes
from imrml.records.frame import records_to_frame


@pytest.fixture(scope="module")
def decided(make_records):
    return records_to_frame(make_records(80, seed=5))


@pytest.fixture(scope="module")
def model(decided, make_experiment):
    exp = make_experiment("p", kind="precedents", model={"n_neighbors": 7})
    return build_pipeline(exp).fit(decided, decided["decision"].to_numpy())


def test_first_sentences_skip_abbreviations_and_are_cut():
    text = "Dr. Lee saw the applicant on p. 3 of the notes. The MTUS (e.g. Norco) applies.  Therefore, no."
    assert first_sentences(text, 2) == "Dr. Lee saw the applicant on p. 3 of the notes. The MTUS (e.g. Norco) applies."
    assert first_sentences(text, 1) == "Dr. Lee saw the applicant on p. 3 of the notes."
    assert first_sentences(None, 2) == ""
    long = first_sentences("word " * 500, 2)
    assert len(long) == MAX_RATIONALE_CHARS and long.endswith("...")


def test_wilson_interval_is_the_textbook_one():
    z = 1.959963984540054
    x, n = np.array([3, 0, 10, 0]), np.array([10, 10, 10, 0])
    low, high = wilson_interval(x, n)
    for i in range(3):
        p = x[i] / n[i]
        centre = (p + z * z / (2 * n[i])) / (1 + z * z / n[i])
        half = z / (1 + z * z / n[i]) * math.sqrt(p * (1 - p) / n[i] + z * z / (4 * n[i] ** 2))
        assert (low[i], high[i]) == pytest.approx((centre - half, centre + half), abs=1e-9)
    assert np.isnan(low[3]) and np.isnan(high[3])


def test_each_item_gets_its_precedents_and_their_summary(model, decided):
    shown = decided_table(decided)
    queries = decided.iloc[:25]
    rows = precedent_rows(model, shown, queries)
    assert list(rows.columns) == ["query_row", *ROW_TYPES]
    class_sizes = pd.Series(treatment_classes(decided)).value_counts()
    for _, group in rows.groupby("query_row"):
        n = group["n_precedents"].iloc[0]
        assert len(group) == n == min(7, class_sizes[group["treatment_class"].iloc[0]])
        assert list(group["rank"]) == list(range(1, n + 1))
        assert group["similarity"].is_monotonic_decreasing
        assert (group["treatment_class"] == group["treatment_class"].iloc[0]).all()
        decisions = group["precedent_decision"]
        assert group["overturned_share"].iloc[0] == pytest.approx((decisions == "Overturned").mean(), abs=1e-4)
        low, high = group["overturned_low"].iloc[0], group["overturned_high"].iloc[0]
        assert low <= group["overturned_share"].iloc[0] <= high
        counts = decisions.value_counts()
        tied = len(counts) > 1 and counts.iloc[0] == counts.iloc[1]
        assert group["majority_decision"].iloc[0] == (TIE if tied else counts.index[0])
        assert group["agreement"].iloc[0] == pytest.approx(counts.iloc[0] / n, abs=1e-4)
        topics = group["precedent_guideline_topic"].value_counts()
        assert group["guideline_topic_agreement"].iloc[0] == pytest.approx(topics.iloc[0] / topics.sum(), abs=1e-4)
        precedent = decided.loc[decided["case_id"] == group["precedent_case_id"].iloc[0]]
        assert group["precedent_item"].iloc[0] in set(precedent["item"])
        assert group["precedent_rationale"].iloc[0] == first_sentences(
            precedent.loc[precedent["item"] == group["precedent_item"].iloc[0], "rationale"].iloc[0], 2
        )
    assert set(rows["query_row"]) == set(range(25))


def test_fewer_than_k_says_why_and_none_is_one_row(model, decided):
    queries = pd.DataFrame(
        {"item": ["Norco 10/325 mg #90", "Hyperbaric oxygen chamber"], "case_summary": ["Back pain.", "Burns."]}
    )
    rows = precedent_rows(model, decided_table(decided), queries, k=500)
    opioids = rows[rows["query_row"] == 0]
    n_opioid = int((decided["item"].str.startswith("Norco")).sum())
    assert len(opioids) == n_opioid and opioids["note"].iloc[0].startswith(f"only {n_opioid} decided items")
    none = rows[rows["query_row"] == 1]
    assert len(none) == 1 and pd.isna(none["rank"].iloc[0]) and pd.isna(none["precedent_case_id"].iloc[0])
    assert none["n_precedents"].iloc[0] == 0 and np.isnan(none["overturned_share"].iloc[0])
    assert "no decided item of treatment class" in none["note"].iloc[0]
    wide = precedent_rows(model, decided_table(decided), queries, k=5, same_class=False)
    assert (wide.groupby("query_row").size() == 5).all() and (wide["note"] == "").all()
