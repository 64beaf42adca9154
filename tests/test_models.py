"""Models: the one pipeline from record frame to prediction, its baselines, and the case view's blindness."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from tests.test_features import make_records

from imrml.features import records_to_frame
from imrml.models import (
    ClaimsCopyClassifier,
    KeywordRuleClassifier,
    MajorityClassifier,
    build_pipeline,
    top_features,
)

SMALL = {"word_ngrams": (1, 2), "char_ngrams": (3, 4), "max_features": 2000}
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
def frame():
    return records_to_frame(make_records(60, seed=3))


def _mutated(df):
    out = df.copy()
    for col, value in POST_REVIEW_MUTATIONS.items():
        out[col] = value
    return out


@pytest.mark.parametrize("kind", ["logreg", "linear_svm_calibrated", "hist_gradient_boosting"])
def test_case_view_never_reads_post_review_fields(frame, kind):
    y = frame["decision"].to_numpy()
    pipe = build_pipeline(view="case", target="outcome", kind=kind, features=SMALL, max_iter=20)
    assert pipe.fit(frame, y) is pipe
    base = pipe.predict_proba(frame)
    np.testing.assert_array_equal(base, pipe.predict_proba(_mutated(frame)))
    # and without those columns at all
    dropped = frame.drop(columns=[c for c in POST_REVIEW_MUTATIONS if c in frame])
    np.testing.assert_array_equal(base, pipe.predict_proba(dropped))
    # fitting on mutated post-review fields learns the same model
    refit = clone(pipe).fit(_mutated(frame), y)
    np.testing.assert_allclose(base, refit.predict_proba(frame))


def test_rationale_view_reads_the_rationale(frame):
    y = frame["decision"].to_numpy()
    pipe = build_pipeline(view="rationale", target="outcome", kind="logreg", features=SMALL).fit(frame, y)
    assert not np.array_equal(pipe.predict_proba(frame), pipe.predict_proba(_mutated(frame)))
    assert (pipe.predict(frame) == y).mean() > 0.9


def test_guideline_pipeline_multiclass(frame):
    y = frame["guideline_topic"].to_numpy()
    pipe = build_pipeline(view="rationale", target="guideline_topic", kind="logreg", features=SMALL).fit(frame, y)
    proba = pipe.predict_proba(frame)
    assert proba.shape == (len(frame), len(set(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    tops = top_features(pipe, n=5)
    assert set(tops) == set(pipe.classes_) and all(len(v) == 5 for v in tops.values())


def test_binary_top_features_name_both_ends(frame):
    y = frame["decision"].to_numpy()
    pipe = build_pipeline(view="rationale", target="outcome", kind="logreg", features=SMALL).fit(frame, y)
    tops = top_features(pipe, n=10)
    assert set(tops) == {"Overturned", "Upheld"}
    names = [f for f, _ in tops["Upheld"]]
    assert any("not" in n or "no" in n.split("__")[-1].split() for n in names), names


def test_baselines(frame):
    y = frame["decision"].to_numpy()
    maj = MajorityClassifier().fit(frame, y)
    assert set(maj.predict(frame)) == {"Upheld"}
    np.testing.assert_allclose(maj.predict_proba(frame)[0].sum(), 1.0)

    rule = build_pipeline(view="rationale", target="outcome", kind="keyword_rule").fit(frame, y)
    assert (rule.predict(frame) == y).all()
    kw = KeywordRuleClassifier().fit(frame, y)
    assert kw._rule("Therefore, the request is not medically necessary.") == "Upheld"
    assert kw._rule("The request is, thus, medically necessary.") == "Overturned"
    assert kw._rule("nothing to see") is None

    fam = frame["guideline_family"].to_numpy()
    copy = build_pipeline(view="case", target="guideline_family", kind="claims_copy").fit(frame, fam)
    pred = copy.predict(frame)
    same = frame["claims_guideline_family"].to_numpy() == fam
    assert (pred[same] == fam[same]).all()
    cc = ClaimsCopyClassifier(column="claims_guideline_family").fit(frame, np.where(fam == "ODG", "other-rare", fam))
    assert cc.predict(frame.assign(claims_guideline_family="ODG"))[0] == "other-rare"


def test_estimator_conventions():
    pipe = build_pipeline(view="case", target="outcome", kind="logreg", features=SMALL)
    params = pipe.get_params()
    assert params["view__columns"][0] == "case_summary"
    clone(pipe)  # every step stores its parameters unchanged
    with pytest.raises(ValueError, match="unknown model kind"):
        build_pipeline(view="case", target="outcome", kind="forest")
    with pytest.raises(ValueError, match="unknown view"):
        build_pipeline(view="letters", target="outcome", kind="logreg")
