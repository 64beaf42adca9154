"""The registered model: the pyfunc wrapper, its schema, version tags, and promotion."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from imrml.jobs.train import train_experiment
from imrml.mlops.registry import ItemModel, input_schema, load_model, model_uri, proba_column
from imrml.mlops.tracking import configure_tracking
from imrml.records.errors import UserError

FAST = {"word_ngrams": [1, 2], "char_ngrams": False, "max_features": 3000}


@pytest.fixture(scope="module")
def records(make_records):
    return make_records(60, seed=7)


@pytest.fixture(scope="module")
def train(module_tracking_home, records, make_experiment):
    def run(name, registry, view="case", kind="logreg"):
        exp = make_experiment(
            name, view, "outcome", kind, features=FAST, split={"n_splits": 3}, registry={"name": registry}
        )
        return train_experiment(exp, records=records)

    return run


def test_names_and_uris():
    assert proba_column("Overturned") == "p_overturned" and proba_column("MTUS+ODG") == "p_mtus_odg"
    assert model_uri("outcome_case") == "models:/outcome_case@champion"
    assert model_uri("outcome_case", "3") == "models:/outcome_case/3"


def test_input_schema_is_the_views_columns_all_optional():
    schema = input_schema("case")
    assert "rationale" not in schema.input_names() and "case_summary" in schema.input_names()
    assert not any(c.required for c in schema.inputs)
    assert "rationale" in input_schema("rationale").input_names()


def test_registered_version_carries_metrics_and_serves_records(train, records):
    res = train("outcome_case_logreg", "outcome_case")
    client = mlflow.MlflowClient()
    mv = client.get_model_version("outcome_case", res.version)
    assert mv.tags["primary_metric"] == "pr_auc" and mv.tags["model_kind"] == "logreg"
    assert float(mv.tags["metric.pr_auc"]) == pytest.approx(res.metrics["pr_auc"], rel=1e-4)
    model = mlflow.pyfunc.load_model(f"models:/outcome_case/{res.version}")
    sig_cols = set(model.metadata.get_input_schema().input_names())
    assert "rationale" not in sig_cols and "decision" not in sig_cols and "case_summary" in sig_cols

    full = pd.DataFrame([r.to_dict() for r in records[:20]])
    out = model.predict(full)
    assert list(out.columns) == ["prediction", "p_overturned", "p_upheld"]
    np.testing.assert_allclose(out["p_overturned"] + out["p_upheld"], 1.0)

    # a case before review: no rationale, decision or reviewer guideline, some columns missing
    pre = pd.DataFrame([{"item": "Norco 10/325 mg #90", "case_summary": "Chronic low back pain.", "patient_age": 50.0}])
    assert len(model.predict(pre)) == 1

    # the case view is blind to everything decided in review
    mutated = full.assign(
        rationale="The request is medically necessary.",
        decision="Overturned",
        reviewer_guideline_text="ODG",
        guideline_family="ODG",
        guideline_topic="Surgery",
        reviewer_guideline=[[{"source": "ODG", "text": "ODG"}]] * len(full),
    )
    pd.testing.assert_frame_equal(out, model.predict(mutated))

    loaded = load_model(f"models:/outcome_case/{res.version}")
    assert (loaded.name, loaded.version, loaded.target) == ("outcome_case", res.version, "outcome")
    assert isinstance(loaded.item_model, ItemModel) and loaded.classes == ["Overturned", "Upheld"]
    assert list(loaded.item_model.fold_labels(["Upheld", "Withdrawn"])) == ["Upheld", "Withdrawn"]


def test_a_missing_model_is_one_line():
    configure_tracking()
    with pytest.raises(UserError, match="cannot load model 'models:/no_such_model@champion'"):
        load_model("models:/no_such_model@champion")
