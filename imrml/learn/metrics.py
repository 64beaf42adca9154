"""Metrics of an outcome or guideline model from true labels and predicted probabilities.

Outcome: balanced accuracy, macro-F1, recall for Overturned, Brier score,
calibration error (ECE), ROC-AUC and PR-AUC for Overturned. Guideline: accuracy,
macro-F1, top-3 accuracy.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    recall_score,
    roc_auc_score,
)

from ..records.schema import OVERTURNED


def expected_calibration_error(y_bin: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Weighted mean |observed rate - mean predicted probability| over equal-width bins."""
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(y_bin[m].mean() - p[m].mean())
    return float(ece)


def outcome_metrics(y: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict[str, float]:
    pos = classes.index(OVERTURNED)
    p = proba[:, pos]
    y_bin = (y == OVERTURNED).astype(int)
    pred = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    m = {
        # balanced accuracy: the mean recall over the classes present (sklearn's balanced_accuracy_score, without
        # its warning when a small set or a resample predicts a class it does not hold)
        "balanced_accuracy": recall_score(y, pred, labels=np.unique(y), average="macro", zero_division=0),
        "macro_f1": f1_score(y, pred, average="macro", labels=classes, zero_division=0),
        "recall_overturned": recall_score(y_bin, (pred == OVERTURNED).astype(int), zero_division=0),
        "brier": brier_score_loss(y_bin, p),
        "ece": expected_calibration_error(y_bin, p),
    }
    if 0 < y_bin.sum() < len(y_bin):
        m["roc_auc"] = roc_auc_score(y_bin, p)
        m["pr_auc"] = average_precision_score(y_bin, p)
    return {k: float(v) for k, v in m.items()}


def guideline_metrics(y: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict[str, float]:
    cls = np.asarray(classes, dtype=object)
    pred = cls[np.argmax(proba, axis=1)]
    top3 = cls[np.argsort(-proba, axis=1)[:, :3]]
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "top3_accuracy": float(np.mean([yy in row for yy, row in zip(y, top3, strict=True)])),
    }


def compute_metrics(target: str, y, proba, classes) -> dict[str, float]:
    return (outcome_metrics if target == "outcome" else guideline_metrics)(np.asarray(y), proba, list(classes))


def aligned_proba(model, X, classes: list[str]) -> np.ndarray:
    """``model.predict_proba(X)`` with columns in ``classes`` order (a class the model lacks gets 0)."""
    raw = model.predict_proba(X)
    out = np.zeros((raw.shape[0], len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(model.classes_):
        out[:, index[str(c)]] = raw[:, j]
    return out
