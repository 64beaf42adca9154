"""Experiment files: every shipped one loads; bases are merged; bad ones fail naming the file and the key;
nothing a file says is changed in code."""

from __future__ import annotations

from dataclasses import replace

import pytest

from imrml.learn.experiment import TARGETS, VIEWS, ExperimentError, load_experiment, parse_experiment
from imrml.learn.pipeline import build_pipeline

MINIMAL = """
[experiment]
name = "x"
view = "case"
target = "outcome"
"""


@pytest.fixture(scope="module")
def shipped(root):
    return sorted(p for p in (root / "experiments").glob("*.toml") if not p.name.startswith("_"))


def test_every_target_and_view_is_shipped_with_baselines(shipped):
    exps = [load_experiment(p) for p in shipped]
    for e, p in zip(exps, shipped, strict=True):
        assert e.name == p.stem
        assert e.registered_name == ("precedents" if e.model.kind == "precedents" else f"{e.target}_{e.view}")
    assert {(e.target, e.view) for e in exps if e.model.kind == "precedents"} == {("outcome", "case")}
    cells = {(e.target, e.view) for e in exps}
    assert cells == {(t, v) for t in TARGETS for v in VIEWS}  # case, case_assigned and rationale
    for t, v in cells:
        kinds = {e.model.kind for e in exps if (e.target, e.view) == (t, v)}
        assert {"logreg", "linear_svm_calibrated", "hist_gradient_boosting", "majority"} <= kinds
        if t == "outcome" and v == "rationale":
            assert "keyword_rule" in kinds
        if t != "outcome":
            assert "claims_copy" in kinds


def test_shared_blocks_are_written_once(root, shipped):
    base = load_experiment(shipped[0])  # every shipped file extends _base.toml
    for p in shipped:
        assert 'extends = "_base.toml"' in p.read_text()
        assert "[split]" not in p.read_text()
        # every kind's parameters are in the base, once
        assert not any(line.startswith("[model.") for line in p.read_text().splitlines())
        e = load_experiment(p)
        # a file's [features] only adds what the base leaves off: the mention features of the rationale-view
        # family models
        assert (replace(e.features, guideline_mentions=False), e.split, e.data) == (
            base.features,
            base.split,
            base.data,
        )
        wants_mentions = e.view == "rationale" and e.target == "guideline_family" and not e.is_baseline
        assert e.features.guideline_mentions == wants_mentions
    assert "# _base.toml" in base.text  # the run logs the experiment with its base


def test_other_splits_extend_a_shipped_experiment_and_register_nothing(root, shipped):
    """experiments/splits/: the same experiments left one letter out or split by date, for small corpora."""
    files = sorted((root / "experiments" / "splits").glob("*.toml"))
    assert {load_experiment(p).split.kind for p in files} == {"leave_one_letter_out", "by_date"}
    names = {p.stem for p in shipped}
    for p in files:
        e = load_experiment(p)
        assert e.name == p.stem and not e.registry.register
        assert e.name.rsplit("_", 2 if e.name.endswith("by_date") else 1)[0] in names


def test_defaults(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text(MINIMAL)
    e = load_experiment(f)
    assert (e.model.kind, e.split.kind, e.split.n_splits, e.features.word_ngrams) == (
        "logreg",
        "group_kfold",
        5,
        [1, 2],
    )
    assert e.registered_name == "outcome_case" and e.primary_metric == "pr_auc" and e.greater_is_better
    assert e.data.items is None and e.data.letters is None
    params = e.params()
    assert params["model.kind"] == "logreg" and params["experiment.view"] == "case"
    assert params["model.logreg.max_iter"] == 1000
    assert e.text == MINIMAL


def test_a_file_completes_its_base_and_overrides_it(tmp_path):
    (tmp_path / "_shared.toml").write_text("[split]\nn_splits = 3\nseed = 4\n[features]\nlexicon = false\n")
    (tmp_path / "x.toml").write_text(
        MINIMAL.replace('name = "x"', 'name = "x"\nextends = "_shared.toml"') + "[split]\nseed = 9\n"
    )
    e = load_experiment(tmp_path / "x.toml")
    assert (e.split.n_splits, e.split.seed, e.features.lexicon) == (3, 9, False)


def test_a_missing_or_looping_base_names_the_file(tmp_path):
    (tmp_path / "x.toml").write_text(MINIMAL.replace('name = "x"', 'name = "x"\nextends = "nope.toml"'))
    with pytest.raises(ExperimentError, match=r"x.toml: experiment.extends: no such file .*nope.toml"):
        load_experiment(tmp_path / "x.toml")
    (tmp_path / "a.toml").write_text('[experiment]\nextends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('[experiment]\nextends = "a.toml"\n')
    with pytest.raises(ExperimentError, match="a loop"):
        load_experiment(tmp_path / "a.toml")


def test_model_parameters_reach_the_estimator_unchanged(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text(MINIMAL + '[model]\nkind = "logreg"\n[model.logreg]\nmax_iter = 7\nC = 0.25\n')
    clf = build_pipeline(load_experiment(f)).estimator.named_steps["clf"]
    assert (clf.max_iter, clf.C) == (7, 0.25)
    f.write_text(
        MINIMAL + '[model]\nkind = "linear_svm_calibrated"\n'
        "[model.linear_svm_calibrated]\nmax_iter = 11\ncalibration_folds = 4\n"
    )
    clf = build_pipeline(load_experiment(f)).estimator.named_steps["clf"]
    assert (clf.cv, clf.estimator.max_iter) == (4, 11)
    f.write_text(MINIMAL + '[model]\nkind = "hist_gradient_boosting"\n[model.hist_gradient_boosting]\nmax_iter = 9\n')
    e = load_experiment(f)
    clf = build_pipeline(e).estimator.named_steps["clf"]
    assert (clf.max_iter, clf.early_stopping) == (9, False)
    assert e.params()["model.hist_gradient_boosting.early_stopping"] is False  # logged like the others
    f.write_text(f.read_text() + "early_stopping = true\n")
    assert build_pipeline(load_experiment(f)).estimator.named_steps["clf"].early_stopping is True


def test_a_base_holds_every_kinds_parameters_and_an_experiment_file_only_its_own(tmp_path):
    """A base writes each kind's table once; an experiment reads its own kind's and ignores the others, which are
    still checked; an experiment file's own table of another kind is an error naming the file and the table."""
    (tmp_path / "_base.toml").write_text("[model.logreg]\nC = 0.5\n[model.hist_gradient_boosting]\nmax_iter = 7\n")
    head = MINIMAL.replace('name = "x"', 'name = "x"\nextends = "_base.toml"')
    (tmp_path / "logreg.toml").write_text(head)
    e = load_experiment(tmp_path / "logreg.toml")
    assert (e.model.kind, e.model.params.C) == ("logreg", 0.5)
    assert not any(k.startswith("model.hist_gradient_boosting") for k in e.params())
    (tmp_path / "hgb.toml").write_text(head + '[model]\nkind = "hist_gradient_boosting"\n')
    assert load_experiment(tmp_path / "hgb.toml").model.params.max_iter == 7
    (tmp_path / "more.toml").write_text(head + "[model.logreg]\nmax_iter = 3\n")  # completes the base's table
    more = load_experiment(tmp_path / "more.toml").model.params
    assert (more.C, more.max_iter) == (0.5, 3)
    own = tmp_path / "own.toml"
    own.write_text(head + "[model.hist_gradient_boosting]\nmax_iter = 5\n")
    with pytest.raises(ExperimentError, match=r"own.toml: \[model.hist_gradient_boosting\]: parameters of"):
        load_experiment(own)
    for table, key in (("max_itr = 5", "model.hist_gradient_boosting.max_itr"), ("learning_rate = 0", "learning_rate")):
        (tmp_path / "_base.toml").write_text(f"[model.hist_gradient_boosting]\n{table}\n")
        with pytest.raises(ExperimentError, match=rf"logreg.toml: model.hist_gradient_boosting.{key.split('.')[-1]}"):
            load_experiment(tmp_path / "logreg.toml")


@pytest.mark.parametrize(
    "extra, key",
    [
        ('[model]\nkind = "forest"\n', "model.kind"),
        ('[model]\nkindd = "logreg"\n', "model.kindd"),
        ("[model]\nC = 2.0\n", "model.C"),  # a parameter outside its kind's table
        ('[model]\nkind = "logreg"\n[model.hist_gradient_boosting]\nmax_iter = 5\n', "[model.hist_gradient_boosting]"),
        ('[model]\nkind = "logreg"\n[model.logreg]\nlearning_rate = 0.1\n', "model.logreg.learning_rate"),
        ('[model]\nkind = "majority"\n[model.majority]\nC = 1.0\n', "model.majority.C"),
        ('[modle]\nkind = "logreg"\n', "[modle]"),
        ("[split]\nn_splits = 1\n", "split.n_splits"),
        ('[split]\nkind = "random"\n', "split.kind"),
        ("[split]\ntest_fraction = 1.5\n", "split.test_fraction"),
        ("[features]\nword_ngrams = [2]\n", "features.word_ngrams"),
        ("[features]\nchar_ngrams = true\n", "features.char_ngrams"),
        ('[features]\nmax_features = "many"\n', "features.max_features"),
        ("[features]\nguideline_mentions = true\n", "features.guideline_mentions"),  # the case view has no rationale
        ('[model]\nkind = "keyword_rule"\n', "model.kind"),
        ('[model]\nkind = "claims_copy"\n', "model.kind"),
        ('[model.logreg]\nclass_weight = "heavy"\n', "model.logreg.class_weight"),
        (
            '[model]\nkind = "linear_svm_calibrated"\n[model.linear_svm_calibrated]\ncalibration = "platt"\n',
            "model.linear_svm_calibrated.calibration",
        ),
        ('[registry]\nprimary_metric = "accuracy"\n', "registry.primary_metric"),
        ('[data]\nitems = "a.jsonl"\nletters = "b"\n', "data.items"),
        ('[model]\nkind = "precedents"\n[model.precedents]\nn_neighbors = 0\n', "model.precedents.n_neighbors"),
        ('[model]\nkind = "precedents"\n[model.precedents]\nitem_weight = -1.0\n', "model.precedents"),
        ('[model]\nkind = "precedents"\n[model.precedents]\nsame_class = "yes"\n', "model.precedents.same_class"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path, extra, key):
    f = tmp_path / "bad.toml"
    f.write_text(MINIMAL + extra)
    with pytest.raises(ExperimentError) as e:
        load_experiment(f)
    assert str(f) in str(e.value) and key in str(e.value)


def test_precedents_need_the_outcome_and_the_case_view():
    doc = {"experiment": {"name": "x", "view": "rationale", "target": "outcome"}, "model": {"kind": "precedents"}}
    with pytest.raises(ExperimentError, match="model.kind: precedents .* view = 'case'"):
        parse_experiment(doc, "e.toml")
    doc["experiment"].update(view="case", target="guideline_topic")
    with pytest.raises(ExperimentError, match="target = 'outcome'"):
        parse_experiment(doc, "e.toml")


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
    with pytest.raises(ExperimentError, match="absent.toml: no such experiment file"):
        load_experiment(tmp_path / "absent.toml")
