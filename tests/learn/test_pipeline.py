"""The one fitted object from a record frame to predictions: what each view reads, and what it learns."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from imrml.learn.inspect import feature_names, top_features
from imrml.learn.pipeline import build_pipeline
from imrml.records.frame import records_to_frame
from imrml.records.schema import RECORD_FIELDS

POST_REVIEW_MUTATIONS = {
    "rationale": "Completely different rationale: the request is medically necessary and appropriate.",
    "decision": "Overturned",
    "reviewer_guideline_text": "ODG Pain chapter, Opioids",
    "reviewer_guideline_sources": "ODG",
    "guideline_family": "ODG",
    "guideline_topic": "Surgery",
    "decision_date": "2030-01-01",
}


@pytest.fixture(scope="module")
def frame(make_records):
    return records_to_frame(make_records(60, seed=3))


def _mutated(df):
    out = df.copy()
    for col, value in POST_REVIEW_MUTATIONS.items():
        out[col] = value
    return out


# 20 iterations keep these tests fast; the models need not converge for their inputs to be what is tested
UNCONVERGED = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@UNCONVERGED
@pytest.mark.parametrize(
    "kind, params",
    [
        ("logreg", {"max_iter": 20}),
        ("linear_svm_calibrated", {"max_iter": 20}),
        ("hist_gradient_boosting", {"max_iter": 20}),
    ],
)
def test_case_view_never_reads_post_review_fields(frame, make_experiment, kind, params):
    y = frame["decision"].to_numpy()
    pipe = build_pipeline(make_experiment(kind=kind, model=params))
    assert pipe.fit(frame, y) is pipe
    base = pipe.predict_proba(frame)
    np.testing.assert_array_equal(base, pipe.predict_proba(_mutated(frame)))
    # and without those columns at all
    dropped = frame.drop(columns=[c for c in POST_REVIEW_MUTATIONS if c in frame])
    np.testing.assert_array_equal(base, pipe.predict_proba(dropped))
    # fitting on mutated post-review fields learns the same model
    refit = clone(pipe).fit(_mutated(frame), y)
    np.testing.assert_allclose(base, refit.predict_proba(frame))


# Another value for every reviewer field of the record (ItemRecord's reviewer_*; the reviewer's guideline also
# as the frame's reviewer_guideline_sources), as the frame holds it: lists and citations as "; "-joined strings.
REVIEWER_CHANGES = {
    "reviewer_specialties": "Psychiatry; Hospice & Palliative Medicine",
    "reviewer_licensure": "Texas; New York",
    "reviewer_specialties_normalized": "Psychiatry and Neurology",
    "reviewer_licensure_normalized": "TX; NY",
    "reviewer_guideline_text": "ACOEM Practice Guidelines, Chapter 12",
    "reviewer_guideline_sources": "other",
}


@pytest.fixture(scope="module")
def reviewed(frame):
    """The frame with a reviewer in every reviewer field, normalized ones included (the records made here leave
    those empty, and a change from empty would test less)."""
    out = frame.copy()
    out["reviewer_specialties_normalized"] = out["reviewer_specialties"]
    out["reviewer_licensure_normalized"] = "CA"
    return out


def test_the_changes_cover_every_reviewer_field(reviewed):
    """A reviewer field added to the record must be added to REVIEWER_CHANGES, or the test below misses it."""
    fields = {f for f in RECORD_FIELDS if f.startswith("reviewer_")}
    columns = {c for c in reviewed.columns if c.startswith("reviewer_")}
    citations = {"reviewer_guideline"}  # a list of citations; the frame holds it as reviewer_guideline_sources
    assert fields - citations <= columns and fields - citations <= set(REVIEWER_CHANGES)
    assert columns == set(REVIEWER_CHANGES)
    changed = _reviewer_changed(reviewed)
    for column in REVIEWER_CHANGES:
        assert (changed[column] != reviewed[column]).all(), column


def _reviewer_changed(df):
    """Every reviewer field changed on every row."""
    out = df.copy()
    for column, value in REVIEWER_CHANGES.items():
        out[column] = value
    return out


@UNCONVERGED
@pytest.mark.parametrize("kind", ["logreg", "linear_svm_calibrated", "hist_gradient_boosting", "majority"])
def test_case_view_reads_no_reviewer_field(reviewed, make_experiment, kind):
    """The reviewer is assigned after the IMR application is filed: the case view must not read them."""
    y = reviewed["decision"].to_numpy()
    params = None if kind == "majority" else {"max_iter": 20}
    pipe = build_pipeline(make_experiment(kind=kind, model=params)).fit(reviewed, y)
    base = pipe.predict_proba(reviewed)
    np.testing.assert_array_equal(base, pipe.predict_proba(_reviewer_changed(reviewed)))
    np.testing.assert_array_equal(base, pipe.predict_proba(reviewed.drop(columns=list(REVIEWER_CHANGES))))
    refit = clone(pipe).fit(_reviewer_changed(reviewed), y)
    np.testing.assert_allclose(base, refit.predict_proba(reviewed))
    names = feature_names(pipe)
    assert names is None or not any("specialty" in n or "licensure" in n for n in names)


def test_case_assigned_view_reads_the_reviewer(reviewed, make_experiment):
    """The same change is seen by a view that reads the reviewer: the test above can fail."""
    y = reviewed["decision"].to_numpy()
    pipe = build_pipeline(make_experiment(view="case_assigned")).fit(reviewed, y)
    names = list(feature_names(pipe))
    assert any(n.startswith("specialty__") for n in names) and "licensure__california" in names
    assert not np.array_equal(pipe.predict_proba(reviewed), pipe.predict_proba(_reviewer_changed(reviewed)))
    np.testing.assert_array_equal(pipe.predict_proba(reviewed), pipe.predict_proba(_mutated(reviewed)))


def test_rationale_view_reads_the_rationale(frame, make_experiment):
    y = frame["decision"].to_numpy()
    pipe = build_pipeline(make_experiment(view="rationale")).fit(frame, y)
    assert not np.array_equal(pipe.predict_proba(frame), pipe.predict_proba(_mutated(frame)))
    assert (pipe.predict(frame) == y).mean() > 0.9


def test_guideline_pipeline_multiclass(frame, make_experiment):
    y = frame["guideline_topic"].to_numpy()
    pipe = build_pipeline(make_experiment(view="rationale", target="guideline_topic")).fit(frame, y)
    proba = pipe.predict_proba(frame)
    assert proba.shape == (len(frame), len(set(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    tops = top_features(pipe, n=5)
    assert set(tops) == set(pipe.classes_) and all(len(v) == 5 for v in tops.values())


def test_binary_top_features_name_both_ends(frame, make_experiment):
    y = frame["decision"].to_numpy()
    pipe = build_pipeline(make_experiment(view="rationale")).fit(frame, y)
    tops = top_features(pipe, n=10)
    assert set(tops) == {"Overturned", "Upheld"}
    names = [f for f, _ in tops["Upheld"]]
    assert any("not" in n or "no" in n.split("__")[-1].split() for n in names), names


def test_baselines_in_their_pipelines(frame, make_experiment):
    y = frame["decision"].to_numpy()
    rule = build_pipeline(make_experiment(view="rationale", kind="keyword_rule")).fit(frame, y)
    assert (rule.predict(frame) == y).all()
    assert feature_names(rule) is None and top_features(rule) == {}
    fam = frame["guideline_family"].to_numpy()
    copy = build_pipeline(make_experiment(target="guideline_family", kind="claims_copy")).fit(frame, fam)
    same = frame["claims_guideline_family"].to_numpy() == fam
    assert (copy.predict(frame)[same] == fam[same]).all()


def test_estimator_conventions(make_experiment):
    pipe = build_pipeline(make_experiment())
    params = pipe.get_params()
    assert params["estimator__view__columns"][0] == "case_summary"
    clone(pipe)  # every step stores its parameters unchanged
