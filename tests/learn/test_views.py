"""Views: which columns a model may read, the column selector, the derived columns."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
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
    is_flat_frame,
    record_frame,
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


def test_a_flat_frame_is_told_by_its_columns_and_not_converted_again(make_records):
    """MLflow's schema enforcement hands the model a new frame, without the mark records_to_frame leaves: it is
    recognised as flat by what it holds, and anything raw is still converted."""
    records = make_records(4)
    flat = records_to_frame(records)
    unmarked = pd.DataFrame({c: flat[c].to_numpy() for c in flat.columns})
    assert not unmarked.attrs and is_flat_frame(unmarked) and record_frame(unmarked) is unmarked
    raw = pd.DataFrame([r.to_dict() for r in records])
    assert not is_flat_frame(raw)  # citation lists, list fields as lists
    pd.testing.assert_frame_equal(record_frame(raw), flat)
    for column, value in (("rationale", None), ("reviewer_specialties", ["Psychiatry"]), ("patient_age", 50)):
        changed = unmarked.assign(**{column: [value] * len(unmarked)})
        assert not is_flat_frame(changed), column
        assert record_frame(changed) is not changed
    pd.testing.assert_frame_equal(record_frame(records), flat)  # records as they are


def test_column_selector_checks_what_it_is_fitted_on(make_records):
    df = records_to_frame(make_records(3))
    with pytest.raises(ValueError, match="none of the columns"):
        ColumnSelector(["no_such_column"]).fit(df)
    with pytest.raises(ValueError, match="at least one row"):
        ColumnSelector().fit(df.iloc[:0])
    numbered = ColumnSelector([1, 0]).fit(np.array([[1.0, 2.0, 3.0]]))  # a table without names: numbered columns
    assert numbered.transform(np.array([[4.0, 5.0, 6.0]])).to_numpy().tolist() == [[5.0, 4.0]]
    assert list(numbered.get_feature_names_out()) == ["1", "0"]


def test_prepare_columns_on_record_frames(make_records):
    """What scikit-learn's checks compare as numbers (PrepareColumns' output is text), on a view's frame: the same
    output from fit_transform, a refit, a pickled copy, rows one at a time and rows in another order; its
    feature names are its output's columns; the columns it reads are those it was fitted on."""
    for view in VIEWS:
        selector, prepare = (step for _, step in view_head(view))
        x = selector.fit_transform(records_to_frame(make_records(12, seed=5)))
        out = prepare.fit(x).transform(x)
        assert list(prepare.get_feature_names_out()) == list(out.columns)
        assert list(prepare.feature_names_in_) == list(x.columns) and prepare.n_features_in_ == x.shape[1]
        pd.testing.assert_frame_equal(prepare.fit_transform(x), out)
        pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(prepare)).transform(x), out)
        one_by_one = pd.concat([prepare.transform(x.iloc[[i]]) for i in range(len(x))])
        pd.testing.assert_frame_equal(one_by_one, out)
        order = np.random.default_rng(0).permutation(len(x))
        pd.testing.assert_frame_equal(prepare.transform(x.iloc[order]), out.iloc[order])
    for other in (x.rename(columns={"rationale": "notes"}), x.drop(columns="rationale")):
        with pytest.raises(ValueError, match="feature names should match"):
            prepare.transform(other)
