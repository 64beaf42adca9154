"""MLflow's UI: imrml experiments are model training, and carry a saved runs-table view of real metric columns."""

from __future__ import annotations

import json
import re

import mlflow
import pytest

from imrml.jobs.train import train_experiment
from imrml.mlops.runs_view import VIEW_ID, VIEW_TAG, runs_table_url
from imrml.mlops.tracking import EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND


@pytest.mark.parametrize("target", ["outcome", "guideline_family"])
def test_the_view_shows_metrics_the_runs_have(tracking_home, make_records, make_experiment, target):
    exp = make_experiment("v", "case", target, "majority", split={"n_splits": 3})
    res = train_experiment(exp, records=make_records(30, seed=2))
    experiment = mlflow.MlflowClient().get_experiment(res.experiment_id)
    assert experiment.tags[EXPERIMENT_KIND_TAG] == MODEL_TRAINING_KIND == "custom_model_development"
    envelope = json.loads(experiment.tags[VIEW_TAG])
    state = json.loads(envelope["state"])
    columns = [re.fullmatch(r"metrics\.`(.+)`", c) for c in state["selectedColumns"]]
    metrics = [m.group(1) for m in columns if m]
    primary = exp.primary_metric
    assert metrics[:3] == [primary, f"{primary}.ci_low", f"{primary}.ci_high"]
    assert state["orderByKey"] == f"metrics.`{primary}`" and state["orderByAsc"] is False
    logged = mlflow.MlflowClient().get_run(res.run_id).data.metrics
    assert {m for m in metrics if not m.startswith("test.")} <= set(logged)
    assert state["columnOrder"] == state["selectedColumns"] and envelope["name"] == "imrml leaderboard"
    assert runs_table_url(res.experiment_id).endswith(
        f"/#/experiments/{res.experiment_id}/runs?workflowType=machine_learning&viewStateShareKey={VIEW_ID}"
    )
