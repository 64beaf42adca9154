"""imrml compare: one leaderboard per data set and way of measuring, best first, baselines and champion marked."""

from __future__ import annotations

import pytest

from imrml.cli import main
from imrml.jobs.compare import compare_command
from imrml.jobs.promote import promote_model
from imrml.jobs.train import train_experiment

FAST = {"word_ngrams": [1, 2], "char_ngrams": False, "max_features": 3000}


@pytest.fixture(scope="module")
def trained(module_tracking_home, make_records, make_experiment):
    records, test = make_records(60, seed=7), make_records(30, seed=8)

    def run(name, kind, view="rationale", **kw):
        exp = make_experiment(name, view, "outcome", kind, features=FAST, split={"n_splits": 3})
        return train_experiment(exp, records=records, **kw)

    out = {
        "majority": run("c_majority", "majority"),
        "keyword_rule": run("c_keyword", "keyword_rule"),
        "logreg": run("c_logreg", "logreg", test_records=test),
        "case": run("c_case", "logreg", view="case"),
    }
    promote_model("outcome_rationale", version=out["majority"].version)
    return out


def test_leaderboard_ranks_runs_on_the_same_data(trained, capsys):
    assert compare_command("outcome_rationale") == 0
    out = capsys.readouterr().out
    boards, links = out.split("\n\nThe same in MLflow's runs table ('make ui', then open):\n")
    cv, held_out = boards.split("\n\n")
    assert links.split()[0] == "imrml/outcome_rationale" and links.split()[1].endswith("imrml-leaderboard")
    assert cv.startswith("imrml/outcome_rationale: cross-validation group_kfold n_splits=3 seed=0 on <records>")
    lines = cv.splitlines()
    assert "pr_auc [95%]" in lines[1]
    ranked = [line.split()[1] for line in lines[2:]]
    assert ranked[-1] == "majority" and set(ranked) == {"majority", "keyword_rule", "logreg"}
    assert "majority (baseline) *champion" in cv and "keyword_rule (baseline)" in cv
    majority = next(line for line in lines if " majority " in line)
    ci = trained["majority"].intervals["pr_auc"]
    assert f"{trained['majority'].metrics['pr_auc']:.3f} [{ci.low:.3f}, {ci.high:.3f}]" in majority
    # the test data is another board: only the run measured on it
    assert held_out.startswith("imrml/outcome_rationale: held out on <test records>")
    assert len(held_out.splitlines()) == 3 and " logreg " in held_out.splitlines()[2]
    assert "case" not in out.replace("outcome_case", "")  # another experiment, another board


def test_no_runs_is_one_line(trained, capsys):
    assert main(["compare", "guideline_topic_case"]) == 2
    assert "no finished runs in any experiment imrml/guideline_topic_case" in capsys.readouterr().err
