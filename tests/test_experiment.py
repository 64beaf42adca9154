"""Experiment files: every shipped one loads; bad ones fail naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from imrml.experiment import ExperimentError, load_experiment, parse_experiment

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))

MINIMAL = """
[experiment]
name = "x"
view = "case"
target = "outcome"
"""


def test_every_target_and_view_is_shipped_with_baselines():
    exps = [load_experiment(p) for p in SHIPPED]
    for e, p in zip(exps, SHIPPED, strict=True):
        assert e.name == p.stem
        assert e.registered_name == f"{e.target}_{e.view}"
    cells = {(e.target, e.view) for e in exps}
    assert cells == {(t, v) for t in ("outcome", "guideline_family", "guideline_topic") for v in ("case", "rationale")}
    for t, v in cells:
        kinds = {e.model.kind for e in exps if (e.target, e.view) == (t, v)}
        assert {"logreg", "linear_svm_calibrated", "hist_gradient_boosting", "majority"} <= kinds
        if t == "outcome" and v == "rationale":
            assert "keyword_rule" in kinds
        if t != "outcome":
            assert "claims_copy" in kinds


def test_defaults(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text(MINIMAL)
    e = load_experiment(f)
    assert (e.model.kind, e.split.kind, e.split.n_splits, e.features.word_ngrams) == ("logreg", "group_kfold", 5, [1, 2])
    assert e.registered_name == "outcome_case" and e.primary_metric == "pr_auc" and e.greater_is_better
    assert e.data.items is None and e.data.letters is None
    params = e.params()
    assert params["model.kind"] == "logreg" and params["experiment.view"] == "case"
    assert e.text == MINIMAL


@pytest.mark.parametrize(
    "extra, key",
    [
        ('[model]\nkind = "forest"\n', "model.kind"),
        ('[model]\nkindd = "logreg"\n', "model.kindd"),
        ('[modle]\nkind = "logreg"\n', "[modle]"),
        ("[split]\nn_splits = 1\n", "split.n_splits"),
        ('[split]\nkind = "random"\n', "split.kind"),
        ("[split]\ntest_fraction = 1.5\n", "split.test_fraction"),
        ('[features]\nword_ngrams = [2]\n', "features.word_ngrams"),
        ("[features]\nchar_ngrams = true\n", "features.char_ngrams"),
        ('[features]\ntext_columns = ["rationale"]\n', "features.text_columns"),
        ('[features]\nmax_features = "many"\n', "features.max_features"),
        ('[model]\nkind = "keyword_rule"\n', "model.kind"),
        ('[model]\nkind = "claims_copy"\n', "model.kind"),
        ('[model]\nclass_weight = "heavy"\n', "model.class_weight"),
        ('[registry]\nprimary_metric = "accuracy"\n', "registry.primary_metric"),
        ('[data]\nitems = "a.jsonl"\nletters = "b"\n', "data.items"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path, extra, key):
    f = tmp_path / "bad.toml"
    f.write_text(MINIMAL + extra)
    with pytest.raises(ExperimentError) as e:
        load_experiment(f)
    assert str(f) in str(e.value) and key in str(e.value)


@pytest.mark.parametrize(
    "head, key",
    [
        ({"name": "x", "view": "letter", "target": "outcome"}, "experiment.view"),
        ({"name": "x", "view": "case", "target": "decision"}, "experiment.target"),
        ({"name": "x", "view": "case"}, "experiment.target"),
        ({"name": "x", "view": "case", "target": "outcome", "seed": 1}, "experiment.seed"),
    ],
)
def test_bad_header(head, key):
    with pytest.raises(ExperimentError, match=key):
        parse_experiment({"experiment": head}, "e.toml")


def test_not_toml_and_missing(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("[experiment\nname=")
    with pytest.raises(ExperimentError, match="broken.toml: not valid TOML"):
        load_experiment(f)
    with pytest.raises(FileNotFoundError):
        load_experiment(tmp_path / "absent.toml")
