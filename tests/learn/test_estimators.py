"""imrml's own estimators: scikit-learn's checks, the baselines' rules, label folding. PrecedentIndex's own
behaviour is tested in test_precedents.py.

Every check passes for the estimators and the tree pipeline's steps. The view's steps and the review cues read
text from frames: the few checks that cannot apply to that are listed with their reason in EXPECTED_FAILURES
(run, and expected to fail: pyproject's xfail_strict makes one that starts passing an error, so the list cannot
go stale); test_views.py checks on record frames what those checks would have.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from imrml.learn.cues import LexiconFeatures
from imrml.learn.dataset import rare_labels
from imrml.learn.estimators import (
    RARE,
    ClaimsCopyClassifier,
    FoldedLabelClassifier,
    KeywordRuleClassifier,
    MajorityClassifier,
    SelectUpToK,
    ToDense,
)
from imrml.learn.precedents import PrecedentIndex
from imrml.learn.views import ColumnSelector, PrepareColumns
from imrml.records.frame import records_to_frame

_ANY_WIDTH = (
    "a view reads its columns by name from a frame of any width (a case before review has fewer columns than the "
    "training frame, a full record more): it keeps no n_features_in_ to hold a width against"
)
_TEXT_OUT = "its output is text columns (what the features read), which this check compares as numbers"
_TEXT_COLUMN = "reads a column of texts: a 1-D input is one text per row (what the feature union passes), not a row"
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "ColumnSelector": dict.fromkeys(
        [
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_transformer_general",  # it also gives the selector fewer columns than it was fitted on
            "check_transformer_general(readonly_memmap=True)",
        ],
        _ANY_WIDTH,
    ),
    "PrepareColumns": dict.fromkeys(
        [
            "check_estimators_pickle",
            "check_estimators_pickle(readonly_memmap=True)",
            "check_fit_idempotent",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_pipeline_consistency",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_general(readonly_memmap=True)",
        ],
        _TEXT_OUT,
    ),
    "LexiconFeatures": dict.fromkeys(["check_fit1d", "check_fit2d_predict1d"], _TEXT_COLUMN),
}


@parametrize_with_checks(
    [
        MajorityClassifier(),
        KeywordRuleClassifier(),
        ClaimsCopyClassifier(),
        SelectUpToK(k=3),
        ToDense(),
        FoldedLabelClassifier(LogisticRegression()),
        PrecedentIndex(),  # on a matrix of numbers: the rows are its vectors
        # the checks give arrays, whose columns the view's steps read numbered (as pandas numbers them)
        ColumnSelector(columns=[0]),
        PrepareColumns(text_columns=[0]),
        LexiconFeatures(),  # each row's columns read as one text
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES.get(type(estimator).__name__, {}),
)
def test_scikit_learn_conventions(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def frame(make_records):
    return records_to_frame(make_records(60, seed=3))


def test_unfitted_estimators_say_so(frame):
    for est in (MajorityClassifier(), KeywordRuleClassifier(), FoldedLabelClassifier(MajorityClassifier())):
        with pytest.raises(NotFittedError):
            est.predict(frame)


def test_majority_and_keyword_rule(frame):
    y = frame["decision"].to_numpy()
    maj = MajorityClassifier().fit(frame, y)
    assert set(maj.predict(frame)) == {"Upheld"}
    np.testing.assert_allclose(maj.predict_proba(frame)[0].sum(), 1.0)
    assert KeywordRuleClassifier.rule("Therefore, the request is not medically necessary.") == "Upheld"
    assert KeywordRuleClassifier.rule("The request is, thus, medically necessary.") == "Overturned"
    assert KeywordRuleClassifier.rule("nothing to see") is None
    assert KeywordRuleClassifier.rule("Medical necessity has not been established.") == "Upheld"
    assert KeywordRuleClassifier.rule("The request is partially certified for 4 of the 8 visits.") is None
    assert (KeywordRuleClassifier().fit(frame, y).predict(frame) == y).all()


@pytest.mark.shared
def test_keyword_rule_reads_the_real_outcomes_from_the_rationale(dwc_items):
    """Outcome from the rationale at macro-F1 >= 0.99 on the 120 real letters (a rule: nothing fitted but the prior)."""
    from sklearn.metrics import f1_score

    frame = records_to_frame(dwc_items)
    y = frame["decision"].to_numpy()
    predicted = KeywordRuleClassifier().fit(frame, y).predict(frame)
    wrong = [
        (r.case_id, r.item_index, r.decision) for r, p in zip(dwc_items, predicted, strict=True) if p != r.decision
    ]
    assert f1_score(y, predicted, average="macro") >= 0.99, wrong


def test_claims_copy(frame):
    fam = frame["guideline_family"].to_numpy()
    copy = ClaimsCopyClassifier(column="claims_guideline_family").fit(frame, fam)
    same = frame["claims_guideline_family"].to_numpy() == fam
    assert (copy.predict(frame)[same] == fam[same]).all()
    cc = ClaimsCopyClassifier(column="claims_guideline_family").fit(frame, np.where(fam == "ODG", RARE, fam))
    assert cc.predict(frame.assign(claims_guideline_family="ODG"))[0] == RARE


def test_rare_labels_fold_and_new_labels_fold_alike(frame):
    """The data set folds rare labels (learn.dataset, the one place); the model fitted on them maps a rare label
    or one it never saw to other-rare itself."""
    y = np.array(["a"] * 10 + ["b"] * 10 + ["c"] * 2 + ["d"])
    assert rare_labels(y, 5) == ["c", "d"]
    assert rare_labels(np.array(["a"] * 10 + ["b"]), 5) == []  # folding one of two labels would only rename it
    X = frame.iloc[: len(y)]
    model = FoldedLabelClassifier(MajorityClassifier()).fit(X, np.where(np.isin(y, ["c", "d"]), RARE, y))
    assert list(model.classes_) == ["a", "b", RARE]
    assert list(model.fold_labels(["a", "c", "never seen"])) == ["a", RARE, RARE]
    two = FoldedLabelClassifier(MajorityClassifier()).fit(X.iloc[:20], y[:20])
    assert list(two.fold_labels(["a", "z"])) == ["a", "z"]  # no other-rare class: an unseen label stays itself


def test_select_up_to_k_keeps_everything_when_there_are_fewer_features():
    X = np.abs(np.random.default_rng(0).normal(size=(30, 4)))
    y = np.arange(30) % 2
    assert SelectUpToK(k=10).fit(X, y).transform(X).shape == (30, 4)
    assert SelectUpToK(k=2).fit(X, y).transform(X).shape == (30, 2)
