"""The generative plan (issue 4): the outcome rate it is calibrated to, and a learnable but noisy signal."""

from __future__ import annotations

import numpy as np
import pytest

from imrml.records.schema import OVERTURNED
from imrml.synth.corpus import generate_letters


@pytest.mark.parametrize("rate", [0.10, 0.30])
def test_overturn_rate(rate):
    decisions = [r.decision for L in generate_letters(2000, seed=11, overturn_rate=rate) for r in L.items]
    observed = decisions.count(OVERTURNED) / len(decisions)
    assert abs(observed - rate) < 0.025, observed


@pytest.mark.slow
def test_case_view_signal_is_learnable_but_not_trivial():
    """TF-IDF + logistic regression on pre-review text only, split by letter: clearly above chance, clearly
    below perfect."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupShuffleSplit

    recs = [r for L in generate_letters(2500, seed=2024) for r in L.items]
    # the case view: what exists before review (never the rationale, decision or reviewer guideline)
    text = [f"{r.case_summary} {r.item} {r.claims_guideline_text}" for r in recs]
    y = np.array([r.decision == OVERTURNED for r in recs])
    groups = [r.case_id for r in recs]
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(text, y, groups))
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vec.fit_transform([text[i] for i in train])
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(x_train, y[train])
    scores = model.predict_proba(vec.transform([text[i] for i in test]))[:, 1]
    auc = roc_auc_score(y[test], scores)
    assert 0.65 < auc < 0.95, auc
