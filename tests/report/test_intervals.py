import numpy as np
import pandas as pd
import pytest

from imrml.report.intervals import wilson, with_rate


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # textbook values of the Wilson score interval at 95%
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 20, 0.0089, 0.2361),
        (30, 262, 0.0814, 0.1588),
    ],
)
def test_wilson_matches_known_values(k, n, low, high):
    lo, hi = wilson([k], [n])
    assert lo[0] == pytest.approx(low, abs=1e-4) and hi[0] == pytest.approx(high, abs=1e-4)


def test_wilson_is_exact_at_the_ends_and_nan_without_trials():
    lo, hi = wilson([0, 7, 0], [7, 7, 0])
    assert lo[0] == 0.0 and hi[1] == 1.0
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_with_rate_adds_the_rate_and_its_interval_inside_it():
    t = with_rate(pd.DataFrame({"k": [3, 0, 9], "n": [10, 0, 9]}), "k", "n", "overturn_rate")
    assert t["overturn_rate"].iloc[0] == 0.3 and np.isnan(t["overturn_rate"].iloc[1])
    inside = t.dropna()
    assert (inside["overturn_rate_ci_low"] <= inside["overturn_rate"]).all()
    assert (inside["overturn_rate"] <= inside["overturn_rate_ci_high"]).all()
