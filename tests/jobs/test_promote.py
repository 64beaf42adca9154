"""promote: only numbers measured on the same data are compared; --on DATA; a champion of generated letters
gives way to a candidate of letters when nothing compares them; concurrent promotions (threads and processes) end
with the better version and each caller is told the truth."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import mlflow
import pytest

from imrml.cli import main
from imrml.jobs.promote import promote_model
from imrml.jobs.train import train_experiment
from imrml.mlops.registry import CHAMPION
from imrml.records.errors import UserError
from imrml.records.tables import write_table
from imrml.synth.corpus import mark_generated

FAST = {"word_ngrams": [1, 2], "char_ngrams": False, "max_features": 3000}


@pytest.fixture(scope="module")
def records(make_records):
    return make_records(60, seed=7)


@pytest.fixture(scope="module")
def train(module_tracking_home, records, make_experiment):
    """``train(name, registry, view, kind, data=records | path)``: a version registered under ``registry``."""

    def run(name, registry, view="case", kind="logreg", data=None):
        exp = make_experiment(
            name, view, "outcome", kind, features=FAST, split={"n_splits": 3}, registry={"name": registry}
        )
        if isinstance(data, Path):  # read from a file, as imrml train --data reads it
            return train_experiment(exp, str(data))
        return train_experiment(exp, records=records if data is None else data)

    return run


@pytest.fixture(scope="module")
def generated_items(tmp_path_factory, make_records) -> Path:
    """Items in a folder the generator marked (as make demo's data/demo is): what they train is generated."""
    folder = tmp_path_factory.mktemp("generated")
    mark_generated(folder, "imrml demo", seed=0, n_letters=50)
    path = folder / "train_items.jsonl"
    write_table([r.to_dict() for r in make_records(50, seed=21)], path)
    return path


@pytest.fixture(scope="module")
def letters_items(tmp_path_factory, make_records) -> Path:
    """Items in no marked folder: what they train counts as trained on letters."""
    path = tmp_path_factory.mktemp("letters") / "items.jsonl"
    write_table([r.to_dict() for r in make_records(45, seed=22)], path)
    return path


def _origin(name: str, version: str) -> str:
    return mlflow.MlflowClient().get_model_version(name, version).tags["data_origin"]


def _champion(name: str) -> str:
    return str(mlflow.MlflowClient().get_model_version_by_alias(name, CHAMPION).version)


def _set_champion(name: str, version: str) -> None:
    mlflow.MlflowClient().set_registered_model_alias(name, CHAMPION, version)


def test_promote_compares_cross_validation_on_the_same_data(train):
    name = "promote_check"
    weak = train("p_majority", name, kind="majority")
    moved, msg = promote_model(name)
    assert moved and "no champion" in msg and _champion(name) == weak.version
    strong = train("p_logreg", name, view="rationale")
    assert strong.metrics["pr_auc"] > weak.metrics["pr_auc"]
    weak2 = train("p_majority2", name, kind="majority")
    moved, msg = promote_model(name)
    assert not moved and msg.startswith(f"kept champion v{weak.version}"), msg
    moved, msg = promote_model(name, version=strong.version)
    assert moved and msg.startswith(f"promoted v{strong.version} over v{weak.version}"), msg
    assert "pr_auc" in msg and "cross-validation group_kfold n_splits=3 seed=0" in msg and "[95% " in msg
    moved, msg = promote_model(name, version=weak2.version)
    assert not moved and f"kept champion v{strong.version}" in msg and "<=" in msg
    assert _champion(name) == strong.version
    with pytest.raises(UserError, match="no registered model named 'absent'"):
        promote_model("absent")


def test_numbers_on_different_data_are_not_compared(train, make_records):
    """A champion measured on one data set never blocks, nor loses to, a candidate measured on another."""
    name = "promote_other_data"
    first = train("d_logreg", name, view="rationale")
    promote_model(name)
    other = train("d_majority", name, kind="majority", data=make_records(40, seed=99))
    assert _origin(name, first.version) == _origin(name, other.version) == "letters"  # both: no side gives way
    moved, msg = promote_model(name)
    assert not moved and msg.startswith(f"not compared, champion v{first.version} of {name} kept"), msg
    assert f"imrml promote {name} --version {other.version} --on DATA" in msg and _champion(name) == first.version


def test_a_generated_champion_gives_way_to_a_candidate_trained_on_letters(train, generated_items, letters_items):
    """Issue 15: a champion trained on generated letters never blocks one trained on real letters."""
    name = "promote_generated_champion"
    gen = train("g_logreg", name, view="rationale", data=generated_items)
    assert promote_model(name)[0] and _origin(name, gen.version) == "generated"
    real = train("g_majority", name, kind="majority", data=letters_items)  # weaker, and on other data
    assert _origin(name, real.version) == "letters"
    moved, msg = promote_model(name)
    assert moved and _champion(name) == real.version, msg
    assert msg.startswith(
        f"promoted v{real.version} over v{gen.version} of {name}: the champion v{gen.version} was trained on "
        f"generated letters (measured on cross-validation group_kfold n_splits=3 seed=0 on {generated_items}"
    ), msg
    assert f"v{real.version} was trained on letters ({letters_items})" in msg and "Nothing was compared" in msg
    assert f"imrml evaluate {name}/{real.version} DATA" in msg
    # and back: the generated version does not displace the champion of letters without a comparison
    moved, msg = promote_model(name, version=gen.version)
    assert not moved and msg.startswith(f"not compared, champion v{real.version} of {name} kept"), msg
    assert _champion(name) == real.version


def test_a_generated_candidate_never_displaces_a_champion_of_letters(train, generated_items, letters_items):
    name = "promote_letters_champion"
    real = train("l_majority", name, kind="majority", data=letters_items)
    promote_model(name)
    gen = train("l_logreg", name, view="rationale", data=generated_items)  # better numbers, on generated letters
    moved, msg = promote_model(name)
    assert not moved and msg.startswith(f"not compared, champion v{real.version} of {name} kept"), msg
    assert f"--version {gen.version} --on DATA" in msg and _champion(name) == real.version


def test_a_version_without_the_origin_tag_counts_as_trained_on_letters(train, generated_items, letters_items):
    """Versions registered before data_origin existed are never displaced without a comparison."""
    name = "promote_untagged_champion"
    old = train("u_logreg", name, view="rationale", data=generated_items)
    promote_model(name)
    mlflow.MlflowClient().delete_model_version_tag(name, old.version, "data_origin")
    new = train("u_majority", name, kind="majority", data=letters_items)
    moved, msg = promote_model(name)
    assert not moved and msg.startswith(f"not compared, champion v{old.version} of {name} kept"), msg
    assert _champion(name) == old.version and new.version != old.version


def test_promote_on_an_evaluation_set_makes_the_better_version_champion(train, make_records, tmp_path, capsys):
    name = "promote_on"
    strong = train("o_logreg", name, view="rationale")
    weak = train("o_majority", name, kind="majority", data=make_records(40, seed=5))
    _set_champion(name, weak.version)
    held_out = tmp_path / "held_out.jsonl"  # letters neither version was trained on
    write_table([r.to_dict() for r in make_records(50, seed=123)], held_out)
    assert main(["promote", name, "--version", strong.version, "--on", str(held_out)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"promoted v{strong.version} over v{weak.version} of {name}: pr_auc "), out
    assert f"held out on {held_out}" in out and _champion(name) == strong.version
    # each version was evaluated once on the set (evaluation runs, reused by the next comparison)
    assert main(["promote", name, "--version", weak.version, "--on", str(held_out)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"kept champion v{strong.version} of {name}: candidate v{weak.version} pr_auc"), out
    client = mlflow.MlflowClient()
    evals = client.search_runs(
        [client.get_experiment_by_name("imrml/outcome_rationale").experiment_id],
        filter_string=f"tags.`imrml.run_kind` = 'evaluation' and tags.`imrml.model_name` = '{name}'",
    ) + client.search_runs(
        [client.get_experiment_by_name("imrml/outcome_case").experiment_id],
        filter_string=f"tags.`imrml.run_kind` = 'evaluation' and tags.`imrml.model_name` = '{name}'",
    )
    assert sorted(r.data.tags["imrml.model_version"] for r in evals) == sorted([strong.version, weak.version])
    # and without --on the two (trained on different data) are not compared ... except on that shared evaluation
    moved, msg = promote_model(name, version=weak.version)
    assert not moved and f"held out on {held_out}" in msg, msg


def test_promote_on_the_training_data_is_refused(train, records, tmp_path):
    name = "promote_in_sample"
    a = train("i_logreg", name, view="rationale")
    train("i_majority", name, kind="majority")
    _set_champion(name, a.version)
    items = tmp_path / "train.jsonl"
    write_table([r.to_dict() for r in records], items)
    with pytest.raises(UserError, match="was trained on these items, so its numbers on them are in-sample"):
        promote_model(name, on=str(items))


@pytest.fixture(scope="module")
def three_versions(train):
    """A weak, a middling and a strong version of one model, all cross-validated on the same items."""
    name = "promote_race"
    weak = train("r_majority", name, kind="majority")
    mid = train("r_logreg_case", name)
    best = train("r_logreg_rationale", name, view="rationale")
    pr = [v.metrics["pr_auc"] for v in (weak, mid, best)]
    assert pr[0] < pr[1] < pr[2], pr
    return name, weak.version, mid.version, best.version


def _check_truth(name, weak, mid, best, said: dict[str, str]) -> None:
    """The champion is the best version and what each caller was told is what happened."""
    assert _champion(name) == best
    assert said[best].startswith(f"promoted v{best} over v"), said
    if said[mid].startswith(f"promoted v{mid} over v{weak}"):
        assert said[best].startswith(f"promoted v{best} over v{mid}"), said
    else:
        assert said[mid].startswith(f"kept champion v{best}"), said
        assert said[best].startswith(f"promoted v{best} over v{weak}"), said


def _promote_in_thread(name, version, barrier, said, errors) -> None:
    barrier.wait()
    try:
        said[version] = promote_model(name, version=version)[1]
    except Exception as e:  # any exception is the failure the test looks for
        errors.append(e)


def test_concurrent_promotions_in_threads(three_versions):
    name, weak, mid, best = three_versions
    for _ in range(5):
        _set_champion(name, weak)
        barrier = threading.Barrier(2)
        said: dict[str, str] = {}
        errors = []

        threads = [
            threading.Thread(target=_promote_in_thread, args=(name, v, barrier, said, errors)) for v in (mid, best)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        _check_truth(name, weak, mid, best, said)


@pytest.mark.slow
def test_concurrent_promotions_in_processes(three_versions, module_tracking_home):
    name, weak, mid, best = three_versions
    env = {**os.environ, "IMRML_HOME": str(module_tracking_home)}
    for _ in range(3):
        _set_champion(name, weak)
        procs = {
            v: subprocess.Popen(
                [sys.executable, "-m", "imrml", "promote", name, "--version", v],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for v in (mid, best)
        }
        said = {}
        for v, p in procs.items():
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0 and "Traceback" not in err, err
            said[v] = out.strip()
        _check_truth(name, weak, mid, best, said)


def test_promote_on_letters_holds_them_to_the_limit_flags(train, fixtures_dir, fixtures_by_size, caplog, capsys):
    name = "promote_on_limits"
    strong = train("l_logreg", name, view="rationale")
    weak = train("l_majority", name, kind="majority")
    _set_champion(name, weak.version)
    limit, over, _ = fixtures_by_size
    args = ["promote", name, "--version", strong.version, "--on", str(fixtures_dir)]
    assert main([*args, "--max-bytes", str(limit)]) == 0
    assert f"held out on {fixtures_dir}" in capsys.readouterr().out
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected: ")]
    assert sorted(m.split(": ")[1].rsplit("/", 1)[-1] for m in rejected) == sorted(over)
    assert all("(--max-bytes; " in m for m in rejected)
    client = mlflow.MlflowClient()
    evals = client.search_runs(
        [client.get_experiment_by_name(f"imrml/outcome_{view}").experiment_id for view in ("case", "rationale")],
        filter_string=f"tags.`imrml.run_kind` = 'evaluation' and tags.`imrml.model_name` = '{name}'",
    )
    # both versions measured on the three letters under the limit: their 8 items
    assert sorted(r.data.metrics["test.n_items"] for r in evals) == [8, 8]
