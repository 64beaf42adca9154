"""imrml evaluate and train --test-data: a model trained on generated letters measured on the real letters, each
metric checked against a computation by hand from `imrml score`'s output of the same model on the same letters."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, average_precision_score, balanced_accuracy_score, roc_auc_score

from imrml.cli import main
from imrml.jobs.evaluate import evaluate
from imrml.jobs.train import train_experiment
from imrml.records.errors import UserError
from imrml.synth.corpus import write_corpus

FAST = {"word_ngrams": [1, 2], "char_ngrams": False, "max_features": 3000}


@pytest.fixture(scope="module")
def generated(module_tracking_home):
    write_corpus(module_tracking_home / "gen", n=150, seed=11)
    return module_tracking_home / "gen" / "truth.jsonl"


@pytest.fixture(scope="module")
def exp(make_experiment):
    def build(name, target="outcome", view="case", registry="gen_outcome"):
        return make_experiment(
            name, view, target, "logreg", features=FAST, split={"n_splits": 3}, registry={"name": registry}
        )

    return build


def _scored(model_uri, data, out):
    assert main(["score", "--model", model_uri, str(data), "-o", str(out), "--jobs", "1", "--allow-rejects"]) == 0
    return pd.read_csv(out)


def _outcome_by_hand(scored: pd.DataFrame) -> dict[str, float]:
    """The outcome metrics from the scored rows whose letter states Upheld or Overturned."""
    rows = scored[scored["stated_decision"].isin(["Upheld", "Overturned"])]
    y = (rows["stated_decision"] == "Overturned").to_numpy()
    return {
        "roc_auc": roc_auc_score(y, rows["p_overturned"]),
        "pr_auc": average_precision_score(y, rows["p_overturned"]),
        "balanced_accuracy": balanced_accuracy_score(rows["stated_decision"], rows["prediction"]),
        "n_items": len(rows),
    }


def _run(run_id):
    return mlflow.MlflowClient().get_run(run_id)


def _check_against_hand(metrics: dict[str, float], hand: dict[str, float]) -> None:
    assert metrics["test.n_items"] == hand["n_items"]
    for name in ("roc_auc", "pr_auc", "balanced_accuracy"):
        assert metrics[f"test.{name}"] == pytest.approx(hand[name], abs=1e-4), name
        assert metrics[f"test.{name}.ci_low"] <= metrics[f"test.{name}"] <= metrics[f"test.{name}.ci_high"], name


@pytest.mark.shared
@pytest.mark.slow
def test_evaluate_generated_model_on_real_letters_matches_score_output(generated, exp, dwc_dir, tmp_path, capsys):
    trained = train_experiment(exp("gen_outcome_case"), data=str(generated))
    assert main(["evaluate", f"gen_outcome/{trained.version}", str(dwc_dir), "--resamples", "300"]) == 0
    out = capsys.readouterr().out
    assert f"gen_outcome v{trained.version}" in out and "95% interval" in out and "<- primary" in out
    client = mlflow.MlflowClient()
    runs = client.search_runs(
        [client.get_experiment_by_name("imrml/outcome_case").experiment_id],
        filter_string=f"tags.`imrml.run_kind` = 'evaluation' and tags.`imrml.model_version` = '{trained.version}'",
    )
    assert len(runs) == 1
    run = runs[0]
    hand = _outcome_by_hand(_scored(f"models:/gen_outcome/{trained.version}", dwc_dir, tmp_path / "s.csv"))
    assert hand["n_items"] >= 200
    _check_against_hand(run.data.metrics, hand)
    # linked to the model version, its training run and the data set
    tags = run.data.tags
    assert (tags["imrml.model_name"], tags["imrml.model_version"]) == ("gen_outcome", trained.version)
    assert tags["imrml.source_run_id"] == trained.run_id and run.info.run_name.startswith("logreg v")
    inputs = run.inputs.dataset_inputs
    assert len(inputs) == 1 and inputs[0].dataset.digest == tags["imrml.data_digest"]
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "evaluation"
    files = {f.path for f in client.list_artifacts(run.info.run_id, "test")}
    assert {"test/roc.png", "test/confusion_matrix.png", "test/misclassified.csv"} <= files


@pytest.mark.shared
@pytest.mark.slow
def test_train_with_test_data_matches_score_output(generated, exp, dwc_dir, tmp_path, capsys):
    trained = train_experiment(
        exp("gen_outcome_rationale", view="rationale"), data=str(generated), test_data=str(dwc_dir)
    )
    run = _run(trained.run_id)
    hand = _outcome_by_hand(_scored(f"models:/gen_outcome/{trained.version}", dwc_dir, tmp_path / "s.csv"))
    _check_against_hand(run.data.metrics, hand)
    # the pooled cross-validated metrics (on generated letters) stay beside the test ones, with their intervals
    m = run.data.metrics
    assert m["pr_auc.ci_low"] <= m["pr_auc"] <= m["pr_auc.ci_high"]
    mv = mlflow.MlflowClient().get_model_version("gen_outcome", trained.version)
    assert mv.tags["test_data_digest"] == run.data.tags["imrml.test_data_digest"]
    assert float(mv.tags["test.metric.roc_auc"]) == pytest.approx(hand["roc_auc"], abs=1e-4)


@pytest.mark.shared
@pytest.mark.slow
def test_guideline_labels_the_model_never_saw_count_as_other_rare(generated, exp, dwc_dir, dwc_items, tmp_path):
    """A topic model from generated letters, measured on real ones: its own fold_labels maps unseen topics."""
    trained = train_experiment(exp("gen_topic", target="guideline_topic", registry="gen_topic"), data=str(generated))
    res = evaluate(f"gen_topic/{trained.version}", str(dwc_dir), records=dwc_items, n_resamples=200)
    scored = _scored(f"models:/gen_topic/{trained.version}", dwc_dir, tmp_path / "t.csv")
    rows = scored[scored["stated_label"].notna()]
    classes = set(res.held_out.classes)
    y = np.where(rows["stated_label"].isin(classes), rows["stated_label"], "other-rare")  # by hand, here only
    assert "other-rare" in classes and res.held_out.n_items == len(rows)
    assert res.metrics["accuracy"] == pytest.approx(accuracy_score(y, rows["prediction"]))


def test_evaluate_reads_a_corpus_folder(module_tracking_home, exp, make_records, fixtures_dir, tmp_path, capsys):
    """A corpus (imrml parse --corpus) is data like letters: the same items and numbers as scoring the letters."""
    corpus = tmp_path / "corpus"
    assert main(["parse", str(fixtures_dir), "--corpus", str(corpus)]) == 0
    trained = train_experiment(exp("corpus_outcome_case", registry="corpus_eval"), records=make_records(60, seed=7))
    capsys.readouterr()
    assert main(["evaluate", f"corpus_eval/{trained.version}", str(corpus), "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    hand = _outcome_by_hand(_scored(f"models:/corpus_eval/{trained.version}", fixtures_dir, tmp_path / "s.csv"))
    n_letters = len({p.name for p in fixtures_dir.glob("*.txt")})
    assert hand["n_items"] == 14  # the fixture letters' items decided Upheld or Overturned (9 and 5)
    assert f"on {corpus}: {hand['n_items']} items from {n_letters} letters" in out, out
    run = mlflow.MlflowClient().search_runs(
        [mlflow.MlflowClient().get_experiment_by_name("imrml/outcome_case").experiment_id],
        filter_string="tags.`imrml.run_kind` = 'evaluation' and tags.`imrml.model_name` = 'corpus_eval'",
    )[0]
    assert run.data.tags["imrml.data_source"] == str(corpus) and run.data.metrics["test.n_items"] == hand["n_items"]
    for name in ("roc_auc", "pr_auc", "balanced_accuracy"):
        assert run.data.metrics[f"test.{name}"] == pytest.approx(hand[name], abs=1e-4), name
    roc_auc_line = next(line for line in out.splitlines() if line.split()[:1] == ["roc_auc"])
    assert float(roc_auc_line.split()[1]) == pytest.approx(hand["roc_auc"], abs=5e-4)


def test_model_references(module_tracking_home):
    import imrml
    from imrml.mlops.registry import resolve_model_uri

    assert imrml.evaluate is evaluate and "evaluate" in dir(imrml)

    assert resolve_model_uri("outcome_case") == "models:/outcome_case@champion"
    assert resolve_model_uri("outcome_case@challenger") == "models:/outcome_case@challenger"
    assert resolve_model_uri("outcome_case/3") == resolve_model_uri("outcome_case:3") == "models:/outcome_case/3"
    assert resolve_model_uri("0123456789abcdef0123456789abcdef") == "runs:/0123456789abcdef0123456789abcdef/model"
    assert resolve_model_uri("runs:/abc/model") == "runs:/abc/model"


def test_evaluate_errors_are_one_line(module_tracking_home, capsys, tmp_path):
    assert main(["evaluate", "no_such_model", str(tmp_path)]) == 2
    assert "cannot load model 'models:/no_such_model@champion'" in capsys.readouterr().err
    assert main(["evaluate", "file:///tmp/model", str(tmp_path)]) == 2
    assert "evaluate loads models from the tracking store only" in capsys.readouterr().err
    assert main(["evaluate", "x", str(tmp_path), "--resamples", "10"]) == 2
    assert "at least 100 resamples" in capsys.readouterr().err


def test_test_data_instead_of_cross_validation(module_tracking_home, make_records, make_experiment, capsys):
    """split.kind = "none": no folds, the refit model measured on the test data only; promotion compares that."""
    from imrml.jobs.promote import promote_model

    records, test = make_records(60, seed=7), make_records(30, seed=8)

    def build(name, kind):
        return make_experiment(
            name, "rationale", "outcome", kind, features=FAST, split={"kind": "none"}, registry={"name": "no_cv"}
        )

    with pytest.raises(UserError, match="split.kind = 'none' .* needs test data"):
        train_experiment(build("nocv_majority", "majority"), records=records)
    weak = train_experiment(build("nocv_majority", "majority"), records=records, test_records=test)
    strong = train_experiment(build("nocv_logreg", "logreg"), records=records, test_records=test)
    run = mlflow.MlflowClient().get_run(strong.run_id)
    assert "test.pr_auc" in run.data.metrics and "pr_auc" not in run.data.metrics
    assert not any(k.startswith("fold.") for k in run.data.metrics)
    assert strong.metrics == {} and strong.test.metrics["pr_auc"] > weak.test.metrics["pr_auc"]
    promote_model("no_cv", version=weak.version)
    moved, msg = promote_model("no_cv", version=strong.version)
    assert moved and "held out on <test records>" in msg, msg


def test_a_letter_past_a_limit_flag_is_left_out_of_the_evaluation_with_its_reason(
    module_tracking_home, exp, make_records, fixtures_dir, fixtures_by_size, caplog, capsys
):
    limit, over, kept = fixtures_by_size
    trained = train_experiment(exp("limits_outcome_case", registry="limits_eval"), records=make_records(60, seed=7))
    model = f"limits_eval/{trained.version}"

    def metric_lines(data, *flags):
        capsys.readouterr()
        assert main(["evaluate", model, str(data), "--resamples", "100", *flags]) == 0
        lines = capsys.readouterr().out.splitlines()
        return lines[0].split(": ", 1)[1], lines[1:-1]  # what was measured; the metrics (not the run id)

    alone = metric_lines(kept)
    caplog.clear()
    assert metric_lines(fixtures_dir, "--max-bytes", str(limit)) == alone
    assert alone[0].startswith("8 items from 3 letters")
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected: ")]
    assert sorted(m.split(": ")[1].rsplit("/", 1)[-1] for m in rejected) == sorted(over)
    assert all("file larger than the 4,000-byte limit (--max-bytes; " in m for m in rejected)
