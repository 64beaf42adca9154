"""What a run shows besides its metrics: plots and tables written to a folder, then logged as artifacts.

Training and evaluation runs write the same artifacts: the confusion matrix,
for the outcome the ROC, precision-recall and calibration curves of
Overturned, the per-class report, the items the model got wrong, and for
training the top features.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # the object API: no pyplot state, no display backend
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay, classification_report

from ..records.schema import OVERTURNED


def predicted_labels(proba: np.ndarray, classes: list[str]) -> np.ndarray:
    return np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]


def write_plots(
    out: Path, title: str, model_kind: str, target: str, y: np.ndarray, proba: np.ndarray, classes: list[str]
) -> None:
    """confusion_matrix.png; for the outcome also roc.png, pr.png and calibration.png (Overturned)."""
    pred = predicted_labels(proba, classes)
    size = max(5.0, 0.45 * len(classes) + 3)
    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    ConfusionMatrixDisplay.from_predictions(y, pred, labels=classes, ax=ax, xticks_rotation="vertical", colorbar=False)
    ax.set_title(f"{title}: confusion matrix")
    fig.tight_layout()
    fig.savefig(out / "confusion_matrix.png", dpi=100)
    if target != "outcome" or OVERTURNED not in classes:
        return
    y_bin = (y == OVERTURNED).astype(int)
    p = proba[:, classes.index(OVERTURNED)]
    if not 0 < y_bin.sum() < len(y_bin):
        return
    for fname, display, what in (
        ("roc.png", RocCurveDisplay, "ROC, Overturned"),
        ("pr.png", PrecisionRecallDisplay, "precision-recall, Overturned"),
    ):
        fig = Figure(figsize=(5, 5))
        ax = fig.subplots()
        display.from_predictions(y_bin, p, ax=ax, name=model_kind)
        ax.set_title(f"{title}: {what}")
        fig.tight_layout()
        fig.savefig(out / fname, dpi=100)
        fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    CalibrationDisplay.from_predictions(y_bin, p, n_bins=10, strategy="quantile", ax=ax, name=model_kind)
    ax.set_title(f"{title}: calibration, Overturned")
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=100)


def write_class_reports(out: Path, y: np.ndarray, proba: np.ndarray, classes: list[str]) -> None:
    """classification_report.txt and per_class_report.csv."""
    pred = predicted_labels(proba, classes)
    (out / "classification_report.txt").write_text(
        classification_report(y, pred, labels=classes, zero_division=0), encoding="utf-8"
    )
    report = classification_report(y, pred, labels=classes, zero_division=0, output_dict=True)
    pd.DataFrame(report).T.to_csv(out / "per_class_report.csv")


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


def write_top_features(out: Path, tops: dict[str, list[tuple[str, float]]]) -> None:
    """top_features.json, and top_features.csv when the model has any (baselines have none)."""
    write_json(out / "top_features.json", tops)
    if tops:
        pd.DataFrame(
            [
                {"class": c, "rank": r + 1, "feature": f, "weight": w}
                for c, lst in tops.items()
                for r, (f, w) in enumerate(lst)
            ]
        ).to_csv(out / "top_features.csv", index=False)


_MISCLASSIFIED_COLUMNS = [
    "case_id",
    "item_index",
    "source_file",
    "true",
    "predicted",
    "p_true",
    "p_predicted",
    "item",
    "claims_guideline_family",
    "text",
]


def misclassified(
    frame: pd.DataFrame, y: np.ndarray, proba: np.ndarray, classes: list[str], text_column: str
) -> pd.DataFrame:
    """The items predicted wrong (rows of ``proba`` that are NaN are skipped), the surest mistakes first."""
    cls = np.asarray(classes, dtype=object)
    tested = np.flatnonzero(~np.isnan(proba).any(axis=1))
    pred = cls[np.argmax(proba[tested], axis=1)]
    rows = []
    for i in tested[pred != y[tested]]:
        p = proba[i]
        row = {
            c: frame.at[i, c] if c in frame else None
            for c in ("case_id", "item_index", "source_file", "item", "claims_guideline_family")
        }
        row.update(
            {
                "true": y[i],
                "predicted": cls[np.argmax(p)],
                "p_true": float(p[classes.index(y[i])]),
                "p_predicted": float(p.max()),
                "text": str(frame.at[i, text_column])[:2000] if text_column in frame else "",
            }
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=_MISCLASSIFIED_COLUMNS).sort_values("p_true")
