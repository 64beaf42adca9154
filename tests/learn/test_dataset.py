"""The items a target learns from, and splits that keep each letter on one side."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from imrml.learn.dataset import make_splits, prepare_dataset
from imrml.learn.estimators import RARE
from imrml.records.errors import UserError


@pytest.fixture(scope="module")
def records(make_records):
    return make_records(60, seed=7)


def test_splits_keep_letters_whole(records, make_experiment):
    ds = prepare_dataset(records, "outcome")
    for tr, te in make_splits(ds, make_experiment().split):
        assert not set(ds.frame.case_id.iloc[tr]) & set(ds.frame.case_id.iloc[te])
    by_date = make_experiment(split={"kind": "by_date", "test_fraction": 0.25}).split
    [(tr, te)] = make_splits(ds, by_date)
    dates = pd.to_datetime(ds.frame.decision_date)
    assert dates.iloc[tr].max() < dates.iloc[te].min()
    assert not set(ds.frame.case_id.iloc[tr]) & set(ds.frame.case_id.iloc[te])
    assert ds.info["date_cutoff"] == str(dates.iloc[te].min().date())


def test_leave_one_letter_out_tests_each_letter_alone(make_records, make_experiment):
    ds = prepare_dataset(make_records(12, seed=2), "outcome")
    splits = make_splits(ds, make_experiment(split={"kind": "leave_one_letter_out"}).split)
    letters = ds.frame["case_id"].to_numpy()
    assert sorted(letters[te][0] for _, te in splits) == sorted(set(letters))
    for tr, te in splits:
        assert len(set(letters[te])) == 1 and letters[te][0] not in set(letters[tr])
        assert len(tr) + len(te) == len(letters)


def test_more_folds_than_letters_is_said(make_records, make_experiment, caplog):
    ds = prepare_dataset(make_records(8, seed=1), "outcome")
    with caplog.at_level(logging.WARNING):
        splits = make_splits(ds, make_experiment(split={"n_splits": 500}).split)
    assert len(splits) == 8
    assert "split.n_splits = 500 but the data has 8 letters: running 8 folds" in caplog.text


def test_outcome_excludes_other_decisions(make_records):
    recs = make_records(10, seed=1)
    recs[0].decision = "Withdrawn"
    ds = prepare_dataset(recs, "outcome")
    assert ds.info["excluded_other_decision"] == 1 and ds.classes == ["Overturned", "Upheld"]


def test_guideline_targets_fold_rare_labels_and_drop_unlabelled(make_records):
    recs = make_records(30, seed=4)
    recs[0].guideline_topic, recs[1].guideline_topic, recs[2].guideline_topic = "Acupuncture", "Programs", None
    ds = prepare_dataset(recs, "guideline_topic", min_class_count=2)
    assert ds.info["folded_rare_classes"] == ["Acupuncture", "Programs"] and RARE in ds.classes
    assert ds.info["excluded_unlabelled"] == 1 and len(ds.y) == len(recs) - 1


def test_a_target_with_one_class_is_a_clear_error(make_records):
    recs = make_records(5, seed=1, overturn_rate=0.0)
    with pytest.raises(UserError, match="has one class only"):
        prepare_dataset(recs, "outcome", source="five letters")
