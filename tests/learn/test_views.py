"""Views: which columns a model may read, the column selector, the derived columns."""

from __future__ import annotations

import numpy as np
import pytest

from imrml.learn.experiment import VIEWS
from imrml.learn.views import (
    CASE_COLUMNS,
    POST_DECISION_FIELDS,
    REVIEWER_COLUMNS,
    VIEW_COLUMNS,
    ColumnSelector,
    PrepareColumns,
    days_between,
    required_columns,
    view_head,
)
from imrml.records.frame import records_to_frame


def test_every_view_is_defined_and_the_case_view_holds_nothing_after_review():
    assert set(VIEW_COLUMNS) == set(VIEWS)
    assert not set(CASE_COLUMNS) & set(POST_DECISION_FIELDS)
    assert "rationale" not in CASE_COLUMNS
    # the reviewer is assigned after the application is filed: only case_assigned and rationale read them
    assert not set(CASE_COLUMNS) & set(REVIEWER_COLUMNS) and not any("reviewer" in c for c in CASE_COLUMNS)
    assert VIEW_COLUMNS["case_assigned"] == CASE_COLUMNS + REVIEWER_COLUMNS
    assert set(REVIEWER_COLUMNS) <= set(VIEW_COLUMNS["rationale"])
    assert not (set(VIEW_COLUMNS["rationale"]) - {"rationale"}) & set(POST_DECISION_FIELDS)
    assert required_columns("case") == ("case_summary", "item", "claims_guideline_text")
    assert "rationale" in required_columns("rationale")


def test_column_selector_keeps_only_the_view_and_fills_missing(make_records):
    df = records_to_frame(make_records(3))
    sel = ColumnSelector(CASE_COLUMNS).fit(df)
    out = sel.transform(df.drop(columns=["case_summary", "patient_age"]))
    assert list(out.columns) == list(CASE_COLUMNS)
    assert (out["case_summary"] == "").all()
    assert out["patient_age"].isna().all()


def test_days_between_and_prepare(make_records):
    assert days_between("2015-01-01", "2015-01-31") == 30
    assert np.isnan(days_between(None, "2015-01-31"))
    df = records_to_frame(make_records(3))
    head = view_head("case")
    x = head[0][1].fit_transform(df)
    prepared = head[1][1].fit(x).transform(x)
    assert {"text", "item_text", "days_injury_to_ur", "claims_guideline_family"} <= set(prepared.columns)
    with pytest.raises(ValueError, match="not in the case view"):
        view_head("case", ["rationale"])
    with pytest.raises(ValueError, match=r"text columns \['rationale'\] are not in the view's columns"):
        PrepareColumns(["rationale"]).fit(x)
    with pytest.raises(ValueError, match="unknown view"):
        view_head("letters")
