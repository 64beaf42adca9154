"""Rates with their 95% interval: the Wilson score interval, which stays inside [0, 1] and is honest for
small groups and for rates near 0 or 1 (where the normal approximation is not)."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the Wilson score interval for ``k`` successes in ``n`` trials (arrays);
    NaN where ``n`` is 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        # exact at the ends (0 of n: the lower bound is 0; n of n: the upper is 1), not 1e-17 off
        low = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
        high = np.where(k == n, 1.0, np.clip(centre + half, 0, 1))
    nan = n == 0
    return np.where(nan, np.nan, low), np.where(nan, np.nan, high)


def with_rate(table: pd.DataFrame, k: str, n: str, name: str = "rate") -> pd.DataFrame:
    """``table`` with ``name`` = k / n and its Wilson bounds ``<name>_ci_low`` / ``<name>_ci_high``
    (NaN where n is 0)."""
    low, high = wilson(table[k], table[n])
    with np.errstate(invalid="ignore", divide="ignore"):
        table[name] = table[k] / table[n].where(table[n] > 0)
    table[f"{name}_ci_low"] = low
    table[f"{name}_ci_high"] = high
    return table
