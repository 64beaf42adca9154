"""The guidelines a rationale names, as features; on the real letters, the family they give."""

from __future__ import annotations

import numpy as np
import pytest

from imrml.learn.guideline_mentions import mention_dicts, mention_features


def test_mention_features():
    text = (
        "The CA MTUS does not address this request. Per page 12 of the ODG Knee & Leg Chapter, "
        "the brace is recommended. Therefore, the request is medically necessary."
    )
    assert mention_features(text) == {
        "relied=ODG": 1.0,
        "silent=MTUS": 1.0,
        "guideline=ODG Knee and Leg": 1.0,
        "first=ODG": 1.0,
        "rule=ODG": 1.0,
        "pages": 1.0,
    }
    assert mention_features("The request is not medically necessary.") == {"no_mention": 1.0}
    assert mention_dicts(np.array([["Per MTUS, X."], [None]], dtype=object))[1] == {"no_mention": 1.0}


@pytest.mark.shared
def test_real_letters_guideline_family_from_the_rationale(dwc_items, root):
    """The shipped guideline_family_rationale_logreg (mention features on), 5-fold CV grouped by letter.

    Issue 16's target is 0.95; this reaches 0.935 (245/262, 95% CI 0.899-0.959): 12 of its 17 errors are
    items whose rationale names other families than the reviewer's citation lists (README, "Results on the real
    letters"). Without the mention features the same model gets 0.809.
    """
    from imrml.learn.cross_validation import cross_validate
    from imrml.learn.dataset import make_splits, prepare_dataset
    from imrml.learn.experiment import load_experiment
    from imrml.learn.pipeline import build_pipeline

    exp = load_experiment(root / "experiments" / "guideline_family_rationale_logreg.toml")
    assert exp.features.guideline_mentions
    ds = prepare_dataset(dwc_items, exp.target, exp.data.min_class_count)
    result = cross_validate(build_pipeline(exp), exp.target, ds, make_splits(ds, exp.split))
    predicted = np.asarray(ds.classes)[np.argmax(result.oof_proba, axis=1)]
    wrong = [(ds.frame["case_id"][i], ds.y[i], predicted[i]) for i in np.flatnonzero(predicted != ds.y)]
    print(f"\nguideline family from the rationale: accuracy {result.pooled['accuracy']:.3f}; errors: {wrong}")
    assert result.pooled["accuracy"] >= 0.93, wrong
    assert all(truth != "none" for _, truth, _ in wrong)  # a rationale naming no guideline is read as none
