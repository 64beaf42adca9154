"""The registered model scores a Spark DataFrame through mlflow.pyfunc.spark_udf (docs/spark_example.py).

Optional: skipped at once where pyspark (or Java) is absent. ``make spark-test`` installs
pyspark into the venv and runs this file; a local Spark session takes a while to start.
"""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("Spark needs Java (17+): none on PATH and JAVA_HOME unset", allow_module_level=True)

import pandas as pd

from imrml.jobs.promote import promote_model
from imrml.jobs.score import score
from imrml.jobs.train import train_experiment
from imrml.learn.experiment import parse_experiment
from imrml.learn.views import POST_DECISION_FIELDS
from imrml.records.tables import TableWriter, iter_table, write_jsonl
from imrml.synth.corpus import write_corpus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

ROOT = Path(__file__).resolve().parents[2]
MODEL = "models:/outcome_case@champion"
KEY = ["case_id", "item_index"]
PRE_REVIEW = POST_DECISION_FIELDS  # what a case before review does not have yet


def _example(root):
    spec = importlib.util.spec_from_file_location("spark_example", root / "docs" / "spark_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def project(module_tracking_home):
    """A project folder with its own MLflow store and a champion outcome_case model; 30 items to score."""
    home = module_tracking_home
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        write_corpus(home / "corpus", n=120, seed=7)
        truth = home / "corpus" / "truth.jsonl"
        train_experiment(
            parse_experiment(
                {
                    "experiment": {"name": "t_outcome_case", "view": "case", "target": "outcome"},
                    "features": {"word_ngrams": [1, 1], "char_ngrams": False, "max_features": 2000},
                    "model": {"kind": "logreg"},
                    "split": {"kind": "group_kfold", "n_splits": 2, "seed": 0},
                    "registry": {"name": "outcome_case"},
                }
            ),
            data=str(truth),
        )
        promote_model("outcome_case")
        rows = list(iter_table(truth))[:30]
        # the last ten as cases before review: no decision, rationale or reviewer's guideline (nulls in Spark)
        rows = rows[:20] + [{k: v for k, v in r.items() if k not in PRE_REVIEW} for r in rows[20:]]
        items = home / "items.jsonl"
        write_jsonl(rows, items)
        yield home, items


@pytest.fixture(scope="module")
def spark(project):
    session = _example(ROOT).local_spark("imrml-test-spark")
    yield session
    session.stop()


def _compare(spark_out: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert len(spark_out) == len(reference) == 30
    m = reference.merge(spark_out, on=KEY, suffixes=("_ref", "_spark"), validate="one_to_one")
    assert len(m) == 30
    assert (m.prediction_ref == m.prediction_spark).all()
    assert set(m.prediction_spark) <= {"Upheld", "Overturned"}
    # imrml score rounds probabilities to 6 places, so they agree within 5e-7
    assert (m.p_overturned_ref - m.p_overturned_spark).abs().max() <= 1e-6


def test_spark_udf_scores_like_imrml_score(project, spark, tmp_path):
    home, items = project
    reference = tmp_path / "reference.parquet"
    result = score(MODEL, [items], reference)
    assert result.n_scored == 30 and not result.rejects
    out = _example(ROOT).score_on_spark(spark, str(items), str(tmp_path / "spark_scored.parquet"), MODEL)
    assert out.columns == ["case_id", "item_index", "prediction", "p_overturned"]
    _compare(out.toPandas(), pd.read_parquet(reference))


def test_spark_reads_parquet_items_too(project, spark, tmp_path):
    home, items = project
    rows = list(iter_table(items))
    parquet = tmp_path / "items.parquet"
    with TableWriter(parquet) as writer:  # nested citations as list<struct>
        writer.write(rows)
    reference = tmp_path / "reference.parquet"
    score(MODEL, [items], reference)
    out = _example(ROOT).score_on_spark(spark, str(parquet), str(tmp_path / "spark_scored.parquet"), MODEL)
    _compare(out.toPandas(), pd.read_parquet(reference))
