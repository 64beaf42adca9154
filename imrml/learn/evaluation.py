"""A fitted model measured on labelled items it never saw: metrics and their 95% intervals.

The labels are mapped to the model's classes by the model itself
(:meth:`~imrml.learn.estimators.FoldedLabelClassifier.fold_labels`: a guideline
label it never saw counts as "other-rare" when it has that class), so nobody
folds labels by hand; the intervals resample letters (:mod:`.intervals`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import letter_groups
from .intervals import DEFAULT_RESAMPLES, Interval, bootstrap_intervals
from .metrics import aligned_proba, compute_metrics


@dataclass
class HeldOutResult:
    y: np.ndarray  # the labels in the model's classes
    proba: np.ndarray  # columns in ``classes`` order
    classes: list[str]
    groups: np.ndarray  # each row's letter
    metrics: dict[str, float]
    intervals: dict[str, Interval]

    @property
    def n_items(self) -> int:
        return len(self.y)

    @property
    def n_letters(self) -> int:
        return len(set(self.groups.tolist()))


def measured(
    target: str, y, proba: np.ndarray, classes: list[str], groups, *, n_resamples: int = DEFAULT_RESAMPLES, seed=0
) -> HeldOutResult:
    """Metrics of predictions ``proba`` against ``y``, with intervals resampling the letters ``groups``."""
    y, groups = np.asarray(y), np.asarray(groups)
    metrics = compute_metrics(target, y, proba, classes)
    intervals = bootstrap_intervals(target, y, proba, classes, groups, n_resamples=n_resamples, seed=seed)
    return HeldOutResult(y, proba, list(classes), groups, metrics, intervals)


def evaluate_fitted(
    model, frame: pd.DataFrame, labels, target: str, *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> HeldOutResult:
    """``model`` (fitted by :func:`~imrml.learn.pipeline.build_pipeline`) on ``frame`` against the stated ``labels``."""
    classes = [str(c) for c in model.classes_]
    y = np.asarray(model.fold_labels(labels)).astype(str)
    proba = aligned_proba(model, frame, classes)
    return measured(target, y, proba, classes, letter_groups(frame), n_resamples=n_resamples, seed=seed)
