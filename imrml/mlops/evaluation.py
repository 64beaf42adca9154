"""Held-out measurements in MLflow: the data set, the metrics with their 95% intervals as columns, the plots.

A training run with test data and an evaluation run (``imrml evaluate``) log the
same things under the ``test.`` prefix: ``test.pr_auc``, ``test.pr_auc.ci_low``,
``test.pr_auc.ci_high``, the data set through ``mlflow.data`` (context
"evaluation"), its digest as the tag ``imrml.test_data_digest``, and the plots
and tables under the artifact folder ``test/``. The metrics are linked to the
model (MLflow's ``model_id``) and the data set, so the model's page lists them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
import mlflow.data
import numpy as np
import pandas as pd

from ..learn.evaluation import HeldOutResult
from ..learn.intervals import Interval
from . import artifacts

TEST_PREFIX = "test."


def metric_columns(metrics: dict[str, float], intervals: dict[str, Interval], prefix: str = "") -> dict[str, float]:
    """``<prefix><metric>`` with ``.ci_low`` and ``.ci_high`` beside it: the columns of MLflow's runs table,
    to 4 decimals (the table shows them as logged; further digits are far inside any interval here)."""
    out = {}
    for name, value in metrics.items():
        out[f"{prefix}{name}"] = round(value, 4)
        if name in intervals:
            out[f"{prefix}{name}.ci_low"] = round(intervals[name].low, 4)
            out[f"{prefix}{name}.ci_high"] = round(intervals[name].high, 4)
    return out


def items_dataset(frame: pd.DataFrame, labels, source: str):
    """The items as an ``mlflow.data`` data set (list columns left out), their stated labels as its target.

    Its digest depends on the items and their labels as the letters state
    them, not on how a model folds rare labels, so a training set and the same
    items evaluated later have one digest.
    """
    df = frame.drop(columns=[c for c in frame.columns if frame[c].map(type).eq(list).any()])
    df = df.assign(target=np.asarray(labels))
    return mlflow.data.from_pandas(df, source=source, name=Path(source).name or "items", targets="target")


def log_held_out(
    result: HeldOutResult,
    dataset,
    frame: pd.DataFrame,
    *,
    target: str,
    title: str,
    model_kind: str,
    text_column: str,
    model_id: str | None = None,
) -> None:
    """Log ``result`` in the active run: the data set, ``test.*`` metrics with intervals, plots under ``test/``."""
    mlflow.log_input(dataset, context="evaluation")
    mlflow.set_tag("imrml.test_data_digest", dataset.digest)
    mlflow.set_tag("imrml.test_data_source", dataset.source.to_dict().get("uri", dataset.name))
    mlflow.log_metrics(
        metric_columns(result.metrics, result.intervals, TEST_PREFIX), model_id=model_id, dataset=dataset
    )
    mlflow.log_metrics({f"{TEST_PREFIX}n_items": result.n_items, f"{TEST_PREFIX}n_letters": result.n_letters})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        artifacts.write_class_reports(out, result.y, result.proba, result.classes)
        artifacts.write_plots(out, f"{title} (held out)", model_kind, target, result.y, result.proba, result.classes)
        artifacts.misclassified(frame, result.y, result.proba, result.classes, text_column).to_csv(
            out / "misclassified.csv", index=False
        )
        artifacts.write_json(
            out / "metrics.json",
            {
                "metrics": result.metrics,
                "intervals_95": {k: [v.low, v.high] for k, v in result.intervals.items()},
                "n_items": result.n_items,
                "n_letters": result.n_letters,
                "data_digest": dataset.digest,
            },
        )
        mlflow.log_artifacts(str(out), artifact_path="test")
