"""Bootstrap intervals resampling letters: each resample's metrics equal compute_metrics on its items written out."""

from __future__ import annotations

import numpy as np
import pytest

from imrml.learn.intervals import (
    bootstrap_intervals,
    guideline_resample_metrics,
    outcome_resample_metrics,
    resample_counts,
)
from imrml.learn.metrics import compute_metrics

OUTCOME = ["Overturned", "Upheld"]


def _outcome_data(n=150, n_letters=60, seed=0):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_letters, n).astype(str)
    y = np.where(rng.random(n) < 0.2, "Overturned", "Upheld")
    p = np.round(np.clip(0.2 + 0.3 * (y == "Overturned") + rng.normal(0, 0.2, n), 0, 1), 1)  # rounded: ties
    return groups, y, np.c_[p, 1 - p]


def test_counts_draw_whole_letters():
    groups = np.array(["a", "a", "b", "c", "c", "c"])
    W = resample_counts(groups, 200, seed=1)
    assert W.shape == (200, 6)
    assert (W[:, 0] == W[:, 1]).all() and (W[:, 3] == W[:, 5]).all()  # a letter's items are drawn together
    np.testing.assert_array_equal(W[:, [0, 2, 3]].sum(axis=1), 3)  # three letters drawn per resample


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outcome_resamples_equal_the_metrics_of_the_items_written_out(seed):
    groups, y, proba = _outcome_data(seed=seed)
    W = resample_counts(groups, 20, seed=seed)
    fast = outcome_resample_metrics(W, y, proba, OUTCOME)
    for b in range(len(W)):
        rows = np.repeat(np.arange(len(y)), W[b].astype(int))
        slow = compute_metrics("outcome", y[rows], proba[rows], OUTCOME)
        for name, values in fast.items():
            if name in slow:
                assert values[b] == pytest.approx(slow[name], abs=1e-9), (name, b)
            else:
                assert np.isnan(values[b]), name


def test_guideline_resamples_equal_the_metrics_of_the_items_written_out():
    rng = np.random.default_rng(4)
    classes = ["MTUS", "MTUS+ODG", "ODG", "other", "other-rare"]
    n = 120
    groups = rng.integers(0, 50, n).astype(str)
    y = rng.choice(classes + ["unseen"], n, p=[0.4, 0.2, 0.2, 0.1, 0.05, 0.05])
    proba = rng.dirichlet(np.ones(len(classes)), n)
    W = resample_counts(groups, 20, seed=3)
    fast = guideline_resample_metrics(W, y, proba, classes)
    for b in range(len(W)):
        rows = np.repeat(np.arange(n), W[b].astype(int))
        slow = compute_metrics("guideline_family", y[rows], proba[rows], classes)
        for name, values in fast.items():
            assert values[b] == pytest.approx(slow[name], abs=1e-9), (name, b)


def test_intervals_hold_the_metric_and_narrow_with_more_letters():
    groups, y, proba = _outcome_data(n=300, n_letters=150)
    whole = compute_metrics("outcome", y, proba, OUTCOME)
    ci = bootstrap_intervals("outcome", y, proba, OUTCOME, groups, n_resamples=500)
    for name in ("roc_auc", "pr_auc", "balanced_accuracy", "brier"):
        assert ci[name].low <= whole[name] <= ci[name].high, name
    big_groups, big_y, big_proba = _outcome_data(n=3000, n_letters=1500)
    big = bootstrap_intervals("outcome", big_y, big_proba, OUTCOME, big_groups, n_resamples=500)
    assert big["roc_auc"].high - big["roc_auc"].low < ci["roc_auc"].high - ci["roc_auc"].low
    # the same seed gives the same interval
    assert bootstrap_intervals("outcome", y, proba, OUTCOME, groups, n_resamples=500) == ci


def test_a_metric_undefined_in_the_data_gets_no_interval():
    groups = np.arange(40).astype(str)
    y = np.array(["Upheld"] * 40)  # no Overturned item: no ROC-AUC in any resample
    p = np.linspace(0, 1, 40)
    ci = bootstrap_intervals("outcome", y, np.c_[p, 1 - p], OUTCOME, groups, n_resamples=200)
    assert "roc_auc" not in ci and "pr_auc" not in ci and "brier" in ci
