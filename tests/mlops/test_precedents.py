"""The precedents index as a registered MLflow model: logged by training, served through pyfunc with its
params, measured like an outcome model."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from imrml.jobs.train import train_experiment
from imrml.learn.views import POST_DECISION_FIELDS
from imrml.mlops.precedents import PrecedentsModel
from imrml.mlops.registry import load_model


@pytest.fixture(scope="module")
def records(make_records):
    return make_records(60, seed=7)


@pytest.fixture(scope="module")
def registered(module_tracking_home, records, make_experiment):
    exp = make_experiment(
        "precedents",
        kind="precedents",
        model={"n_neighbors": 4},
        split={"n_splits": 3},
        registry={"name": "precedents"},
    )
    return train_experiment(exp, records=records)


def test_training_registers_the_index_with_its_metrics_and_data(registered):
    client = mlflow.MlflowClient()
    mv = client.get_model_version("precedents", registered.version)
    assert mv.tags["model_kind"] == "precedents" and mv.tags["primary_metric"] == "pr_auc"
    assert float(mv.tags["metric.roc_auc"]) == pytest.approx(registered.metrics["roc_auc"], rel=1e-4)
    run = client.get_run(registered.run_id)
    assert run.data.params["model.precedents.n_neighbors"] == "4"
    assert run.data.tags["imrml.data_digest"] == mv.tags["data_digest"]
    assert client.get_experiment(run.info.experiment_id).name == "imrml/outcome_case"  # beside the case models


def test_pyfunc_returns_the_precedents_and_takes_k(registered, records):
    model = mlflow.pyfunc.load_model(f"models:/precedents/{registered.version}")
    sig = set(model.metadata.get_input_schema().input_names())
    assert not sig & set(POST_DECISION_FIELDS) and {"item", "case_summary", "drug_generic"} <= sig
    items = pd.DataFrame([r.to_dict() for r in records[:6]])
    out = model.predict(items)
    assert out.groupby(["case_id", "item_index"]).size().max() == 4
    assert list(out.columns[:4]) == ["case_id", "source_file", "item_index", "item"]
    assert model.predict(items, params={"k": 2}).groupby(["case_id", "item_index"]).size().max() == 2
    wrapper = load_model(f"models:/precedents/{registered.version}").item_model
    assert isinstance(wrapper, PrecedentsModel)
    pd.testing.assert_frame_equal(out, wrapper.precedents(items))
    # a case before review, with only some columns
    pre = pd.DataFrame([{"item": "Norco 10/325 mg #90", "case_summary": "Chronic low back pain."}])
    assert len(model.predict(pre, params={"k": 3, "all_classes": True})) == 3


def test_the_share_is_an_outcome_score(registered, records):
    wrapper = load_model(f"models:/precedents/{registered.version}").item_model
    scores = wrapper.predict_frame(pd.DataFrame([r.to_dict() for r in records[:10]]))
    assert list(scores.columns) == ["prediction", "p_overturned", "p_upheld"]
    shares = wrapper.precedents(records[:10]).drop_duplicates(["case_id", "item_index"])["overturned_share"]
    np.testing.assert_allclose(scores["p_overturned"], shares, atol=1e-4)
    assert wrapper.target == "outcome" and wrapper.view == "case"
