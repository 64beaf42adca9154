"""Which numbers promotion may compare: measurements of the same kind on the same data, held out first."""

from __future__ import annotations

import math

from imrml.mlops.promotion import CV, HELD_OUT, Measurement, common_measurement, is_better


def _m(how, digest, value, source="x"):
    return Measurement(how, digest, source, {"pr_auc": value, "pr_auc.ci_low": value - 0.1, "pr_auc.ci_high": value})


def test_only_the_same_way_on_the_same_data_is_compared():
    cv_a = f"{CV} group_kfold n_splits=5 seed=0"
    cand = [_m(HELD_OUT, "t1", 0.4), _m(cv_a, "d1", 0.5)]
    assert common_measurement(cand, [_m(cv_a, "d2", 0.9)], "pr_auc") is None  # other training data
    assert common_measurement(cand, [_m(f"{CV} group_kfold n_splits=3 seed=0", "d1", 0.9)], "pr_auc") is None
    mine, theirs = common_measurement(cand, [_m(cv_a, "d1", 0.9), _m(HELD_OUT, "t1", 0.2)], "pr_auc")
    assert (mine.how, theirs.metrics["pr_auc"]) == (HELD_OUT, 0.2)  # held out beats cross-validation
    assert common_measurement(cand, [_m(HELD_OUT, "t1", 0.2)], "roc_auc") is None  # metric absent
    assert mine.interval("pr_auc") == (0.4 - 0.1, 0.4)


def test_better_is_strict_and_a_number_beats_none():
    assert is_better(0.5, 0.4, True) and not is_better(0.4, 0.4, True) and is_better(0.1, 0.2, False)
    assert is_better(0.1, math.nan, True) and not is_better(math.nan, 0.1, True)
