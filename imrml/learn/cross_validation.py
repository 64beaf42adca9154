"""Cross-validation of an experiment's model: out-of-fold probabilities, metrics per fold and pooled."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from .dataset import Dataset
from .metrics import aligned_proba, compute_metrics


@dataclass
class CVResult:
    fold_metrics: list[dict[str, float]]
    pooled: dict[str, float]
    oof_proba: np.ndarray  # NaN rows: never in a test fold (by_date training rows)
    tested: np.ndarray  # bool mask of rows with an out-of-fold prediction
    fit_seconds: float


def cross_validate(model, target: str, ds: Dataset, splits) -> CVResult:
    """Fit a clone of ``model`` on each training side and predict its test side.

    The data set's rare labels were folded once on the whole data (``prepare_dataset``): every fold learns
    those labels as they are, so no fold folds by its own counts.
    """
    proba = np.full((len(ds.y), len(ds.classes)), np.nan)
    folds = []
    t0 = time.perf_counter()
    for tr, te in splits:
        fitted = clone(model).fit(ds.frame.iloc[tr], ds.y[tr])
        p = aligned_proba(fitted, ds.frame.iloc[te], ds.classes)
        proba[te] = p
        folds.append(compute_metrics(target, ds.y[te], p, ds.classes))
    tested = ~np.isnan(proba).any(axis=1)
    pooled = compute_metrics(target, ds.y[tested], proba[tested], ds.classes)
    return CVResult(folds, pooled, proba, tested, time.perf_counter() - t0)
