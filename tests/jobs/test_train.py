"""Training runs read back through the MLflow API: params, metrics, plots, data, registered versions."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import mlflow
import pandas as pd
import pytest

from imrml.cli import main
from imrml.jobs.train import train_experiment, training_data_origin
from imrml.learn.experiment import load_experiment
from imrml.mlops.tracking import configure_tracking
from imrml.records.tables import write_table
from imrml.synth.corpus import mark_generated, write_corpus

FAST_FEATURES = {"word_ngrams": [1, 2], "char_ngrams": False, "max_features": 3000}
OUTCOME_METRICS = {"balanced_accuracy", "macro_f1", "roc_auc", "pr_auc", "recall_overturned", "brier", "ece"}


def _client():
    configure_tracking()
    return mlflow.MlflowClient()


@pytest.fixture(scope="module")
def exp(make_experiment):
    """``exp(name, view, target, kind, registry=None, **sections)`` with fast features and 3 folds."""

    def build(name, view="case", target="outcome", kind="logreg", registry=None, **sections):
        sections.setdefault("split", {"n_splits": 3})
        if registry:
            sections["registry"] = {"name": registry}
        return make_experiment(name, view, target, kind, features=FAST_FEATURES, **sections)

    return build


@pytest.fixture(scope="module")
def records(make_records):
    return make_records(60, seed=7)


@pytest.fixture(scope="module")
def outcome_run(module_tracking_home, records, exp):
    return train_experiment(exp("outcome_case_logreg"), records=records)


def test_run_logs_params_metrics_and_plots(outcome_run):
    client = _client()
    run = client.get_run(outcome_run.run_id)
    p = run.data.params
    assert p["experiment.view"] == "case" and p["experiment.target"] == "outcome" and p["model.kind"] == "logreg"
    assert (
        p["split.kind"] == "group_kfold" and p["split.n_folds"] == "3" and p["model.logreg.class_weight"] == "balanced"
    )
    assert int(p["data.n_items"]) == outcome_run.info["n_items"] and "Overturned" in p["data.label_counts"]
    m = run.data.metrics
    assert set(m) >= OUTCOME_METRICS
    assert 0 <= m["roc_auc"] <= 1 and 0 <= m["brier"] <= 1
    assert len(client.get_metric_history(outcome_run.run_id, "fold.roc_auc")) == 3
    files = {f.path for f in client.list_artifacts(outcome_run.run_id)}
    assert {
        "confusion_matrix.png",
        "roc.png",
        "pr.png",
        "calibration.png",
        "classification_report.txt",
        "per_class_report.csv",
        "top_features.json",
        "misclassified.csv",
        "experiment.toml",
        "metrics.json",
    } <= files
    local = client.download_artifacts(outcome_run.run_id, "misclassified.csv")
    mis = pd.read_csv(local)
    assert {"case_id", "item_index", "true", "predicted", "text"} <= set(mis.columns)
    # the data: digest, size and label counts through mlflow.data
    inputs = run.inputs.dataset_inputs
    assert len(inputs) == 1 and inputs[0].dataset.digest
    assert run.data.tags["imrml.data_digest"] == inputs[0].dataset.digest


def test_guideline_run_folds_rare_classes_and_logs_top3(module_tracking_home, records, exp):
    recs = [copy.copy(r) for r in records]
    recs[0].guideline_topic = "Acupuncture"  # a class of one: folded into other-rare
    recs[1].guideline_topic = "Programs"
    res = train_experiment(exp("topic_rationale", view="rationale", target="guideline_topic"), records=recs)
    assert {"accuracy", "macro_f1", "top3_accuracy"} <= set(res.metrics)
    assert set(res.info["folded_rare_classes"]) == {"Acupuncture", "Programs"}
    assert "other-rare" in res.info["label_counts"]
    run = _client().get_run(res.run_id)
    assert "Acupuncture" in run.data.params["data.folded_rare_classes"]


def test_train_command_from_an_items_file(module_tracking_home, records, tmp_path, capsys):
    items = tmp_path / "items.jsonl"
    write_table([r.to_dict() for r in records], items)
    f = tmp_path / "e.toml"
    f.write_text(
        '[experiment]\nname = "kw"\nview = "rationale"\ntarget = "outcome"\n'
        '[model]\nkind = "keyword_rule"\n[split]\nn_splits = 3\n[registry]\nname = "cli_check"\n'
    )
    assert main(["train", str(f), "--data", str(items)]) == 0
    out = capsys.readouterr().out
    assert "registered cli_check v1" in out and "pr_auc=1.000" in out
    run = _client().search_runs(
        [_client().get_experiment_by_name("imrml/outcome_rationale").experiment_id],
        filter_string="tags.`imrml.experiment` = 'kw'",
    )[0]
    assert run.data.params["data.source"] == str(items)
    # items in no folder the generator marked: trained on letters, as the run and the version say
    assert run.data.tags["imrml.data_origin"] == "letters"
    assert _client().get_model_version("cli_check", "1").tags["data_origin"] == "letters"


def test_generated_corpus(module_tracking_home, tmp_path, exp, capsys):
    write_corpus(tmp_path / "corpus", n=60, seed=5)
    truth = tmp_path / "corpus" / "truth.jsonl"
    res = train_experiment(exp("gen_outcome_rationale", view="rationale", registry="gen_outcome"), data=str(truth))
    assert res.info["n_letters"] == 60 and res.version == "1"
    client = _client()
    run = client.get_run(res.run_id)
    assert run.data.params["data.source"] == str(truth)
    assert "roc_auc" in res.metrics
    # the folder write_corpus marked: generated, on the run, the version and the terminal
    assert res.data_origin == run.data.tags["imrml.data_origin"] == "generated"
    assert client.get_model_version("gen_outcome", res.version).tags["data_origin"] == "generated"
    assert main(["train", str(_experiment_file(tmp_path)), "--data", str(tmp_path / "corpus" / "letters")]) == 0
    assert "items from 60 generated letters" in capsys.readouterr().out


def _experiment_file(folder):
    f = folder / "kw.toml"
    f.write_text(
        '[experiment]\nname = "kw_generated"\nview = "rationale"\ntarget = "outcome"\n'
        '[model]\nkind = "keyword_rule"\n[split]\nn_splits = 3\n[registry]\nregister = false\n'
    )
    return f


def test_where_the_training_data_came_from(tmp_path, make_experiment):
    """The default generated corpus and anything in a folder the generator marked are generated; the rest letters."""
    assert training_data_origin(make_experiment("default")) == "generated"  # [data] names nothing
    real = tmp_path / "letters"
    real.mkdir()
    assert training_data_origin(make_experiment("given"), str(real)) == "letters"
    items = make_experiment("items", data={"items": str(real / "items.jsonl")})
    assert training_data_origin(items) == "letters"
    mark_generated(tmp_path / "demo", "imrml demo", seed=0, n_letters=10)
    assert training_data_origin(items, str(tmp_path / "demo" / "train_items.jsonl")) == "generated"
    in_demo = make_experiment("in_demo", data={"items": str(tmp_path / "demo" / "items.jsonl")})
    assert training_data_origin(in_demo) == "generated"


@pytest.mark.shared
@pytest.mark.slow
def test_real_letters(module_tracking_home, dwc_dir, root, exp):
    """The 120 real letters: parsed, labelled, trained; the run and version read back."""
    res = train_experiment(
        load_experiment(root / "experiments" / "outcome_rationale_keyword_rule.toml"), data=str(dwc_dir)
    )
    assert res.info["n_letters"] >= 100 and res.info["label_counts"]["Overturned"] >= 10
    assert res.metrics["balanced_accuracy"] > 0.8
    res2 = train_experiment(exp("dwc_family_case", target="guideline_family"), data=str(dwc_dir))
    client = _client()
    run = client.get_run(res2.run_id)
    assert run.data.params["data.source"] == str(dwc_dir)
    assert {"accuracy", "macro_f1", "top3_accuracy"} <= set(run.data.metrics)
    assert "confusion_matrix.png" in {f.path for f in client.list_artifacts(res2.run_id)}
    mv = client.get_model_version("guideline_family_case", res2.version)
    assert mv.tags["primary_metric"] == "macro_f1"
    if os.environ.get("IMRML_REQUIRE_SHARED") == "1":
        assert res2.info["n_items"] >= 150


def test_missing_data_path_is_a_clear_error(tracking_home, root, capsys):
    exp = root / "experiments" / "outcome_case_majority.toml"
    assert main(["train", str(exp), "--data", str(tracking_home / "nope.jsonl")]) == 2
    assert "nope.jsonl: no such items file, corpus or letters folder" in capsys.readouterr().err
    empty = tracking_home / "letters"
    empty.mkdir()
    (empty / "junk.txt").write_text("not a letter\n")
    assert main(["train", str(exp), "--data", str(empty)]) == 2


@pytest.mark.slow
def test_more_folds_than_letters_is_said_on_the_terminal(tracking_home, records, tmp_path):
    """The warning reaches a user running 'imrml train' (it is not swallowed by MLflow's logging setup)."""
    items = tmp_path / "items.jsonl"
    write_table([r.to_dict() for r in records], items)
    n_letters = len({r.case_id for r in records})
    f = tmp_path / "e.toml"
    f.write_text(
        '[experiment]\nname = "kw"\nview = "rationale"\ntarget = "outcome"\n'
        '[model]\nkind = "keyword_rule"\n[split]\nn_splits = 500\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "imrml", "train", str(f), "--data", str(items)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    warning = f"imrml train: split.n_splits = 500 but the data has {n_letters} letters: running {n_letters} folds"
    assert warning in proc.stderr.splitlines()


def test_train_reads_a_corpus(module_tracking_home, tmp_path, capsys):
    from imrml.jobs.corpus import update_corpus

    letters = write_corpus(tmp_path / "gen", n=60, seed=5).letters_dir
    corpus = tmp_path / "corpus"
    update_corpus([str(letters)], corpus, progress=False)
    f = tmp_path / "e.toml"
    f.write_text(
        '[experiment]\nname = "kw_corpus"\nview = "rationale"\ntarget = "outcome"\n'
        '[model]\nkind = "keyword_rule"\n[split]\nn_splits = 3\n[registry]\nname = "corpus_check"\n'
    )
    assert main(["train", str(f), "--data", str(corpus)]) == 0
    assert "registered corpus_check v1" in capsys.readouterr().out
    run = _client().search_runs(
        [_client().get_experiment_by_name("imrml/outcome_rationale").experiment_id],
        filter_string="tags.`imrml.experiment` = 'kw_corpus'",
    )[0]
    assert run.data.params["data.source"] == str(corpus) and run.data.params["data.n_letters"] == "60"


def test_leave_one_letter_out_is_a_way_of_measuring_of_its_own(module_tracking_home, make_records, make_experiment):
    exp = make_experiment(
        "p_lolo", kind="precedents", split={"kind": "leave_one_letter_out"}, registry={"register": False}
    )
    records = make_records(12, seed=3)
    res = train_experiment(exp, records=records)
    run = _client().get_run(res.run_id)
    assert run.data.tags["imrml.cv"] == "leave_one_letter_out" and res.version is None
    assert run.data.params["split.n_folds"] == str(len({r.case_id for r in records}))


def test_a_letter_past_a_limit_flag_is_left_out_of_training_with_its_reason(
    module_tracking_home, tmp_path, caplog, capsys
):
    letters = write_corpus(tmp_path / "corpus", n=40, seed=6).letters_dir
    sizes = sorted(f.stat().st_size for f in letters.glob("*.txt"))
    limit = sizes[-6]  # bytes: the five largest letters (and any of their size) are larger
    over = [s for s in sizes if s > limit]
    assert 0 < len(over) < 10
    assert main(["train", str(_experiment_file(tmp_path)), "--data", str(letters), "--max-bytes", str(limit)]) == 0
    assert f"items from {40 - len(over)} generated letters" in capsys.readouterr().out
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected: ")]
    assert len(rejected) == len(over)
    assert all(f": file larger than the {limit:,}-byte limit (--max-bytes; " in m for m in rejected), rejected
