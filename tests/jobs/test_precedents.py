"""imrml precedents and imrml score --precedents: letters, tables and cases before review in, every item's
precedents (or why it has fewer) out, nothing lost, the same table from both commands and from MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from imrml.cli import main
from imrml.jobs.evaluate import evaluate
from imrml.jobs.precedents import find_precedents, index_decided, load_precedents, precedents_path_for
from imrml.jobs.promote import promote_model
from imrml.jobs.train import train_experiment
from imrml.learn.dataset import prepare_dataset
from imrml.learn.experiment import load_experiment, parse_experiment
from imrml.learn.intervals import bootstrap_intervals
from imrml.learn.pipeline import build_pipeline
from imrml.learn.precedent_table import decided_table, precedent_rows
from imrml.letters.batch import parse_paths
from imrml.mlops.leaderboard import leaderboards
from imrml.mlops.tracking import configure_tracking
from imrml.records.schema import OVERTURNED
from imrml.records.tables import iter_table, write_jsonl
from imrml.synth.corpus import write_corpus

K = 4


@pytest.fixture(scope="module")
def project(module_tracking_home):
    """A project with a generated corpus, a registered precedents index (its champion) and an outcome model."""
    home = module_tracking_home
    write_corpus(home / "corpus", n=120, seed=3)
    truth = home / "corpus" / "truth.jsonl"
    base = {"split": {"kind": "group_kfold", "n_splits": 2, "seed": 0}}
    index = {
        "experiment": {"name": "precedents", "view": "case", "target": "outcome"},
        "model": {"kind": "precedents", "precedents": {"n_neighbors": K}},
        "registry": {"name": "precedents"},
        **base,
    }
    train_experiment(parse_experiment(index), data=str(truth))
    promote_model("precedents")
    outcome = {
        "experiment": {"name": "t_outcome_case", "view": "case", "target": "outcome"},
        "features": {"word_ngrams": [1, 1], "char_ngrams": False, "max_features": 2000},
        "model": {"kind": "logreg"},
        "registry": {"name": "outcome_case"},
        **base,
    }
    train_experiment(parse_experiment(outcome), data=str(truth))
    return home, truth


@pytest.fixture(scope="module")
def queries(tmp_path_factory):
    """New letters (another seed) and their items, as a table and as cases before review."""
    folder = tmp_path_factory.mktemp("queries")
    write_corpus(folder / "new", n=15, seed=8)
    rows = list(iter_table(folder / "new" / "truth.jsonl"))
    before = [
        {k: r[k] for k in ("case_id", "item_index", "item", "case_summary", "claims_guideline_text")} for r in rows
    ]
    write_jsonl(before, folder / "before_review.jsonl")
    return folder


def test_every_item_gets_k_precedents_or_says_why(project, queries, tmp_path, fixtures_dir):
    bad = tmp_path / "bad.txt"
    bad.write_text("not a letter\n")
    out = tmp_path / "precedents.csv"
    inputs = [queries / "new" / "letters", queries / "before_review.jsonl", fixtures_dir, bad]
    result = find_precedents(load_precedents("models:/precedents@champion"), inputs, out)
    rows = pd.read_csv(out)
    n_letters_items = len(parse_paths([queries / "new" / "letters", fixtures_dir]).records)
    n_table = len(list(iter_table(queries / "before_review.jsonl")))
    assert result.n_items == n_letters_items + n_table and [r.source for r in result.rejects] == [str(bad)]
    per_item = rows.groupby(["source_file", "case_id", "item_index"], dropna=False)
    assert per_item.ngroups == result.n_items
    sizes = per_item.size()
    notes = per_item["note"].first().fillna("")
    assert ((sizes == K) | notes.str.contains("decided item")).all()
    assert (per_item["treatment_class"].nunique() == 1).all()
    # the same item before review (no decision, rationale or reviewer's guideline) finds the same precedents
    letters = rows[rows["source_file"].str.endswith(".txt") & rows["source_file"].str.contains("/new/")]
    before = rows[rows["source_file"].str.endswith("before_review.jsonl")]
    key = ["case_id", "item_index", "rank"]
    both = letters.merge(before, on=key, suffixes=("", "_before"))
    assert len(both) == len(before) > 0
    assert (both["precedent_case_id"] == both["precedent_case_id_before"]).mean() > 0.9


def test_score_writes_the_same_precedents_beside_the_scores(project, queries, tmp_path):
    home, _ = project
    inputs = [str(queries / "new" / "letters"), str(queries / "before_review.jsonl")]
    scored = tmp_path / "scored.parquet"
    assert main(["score", "--model", "models:/outcome_case/1", *inputs, "-o", str(scored), "--precedents", "3"]) == 0
    alone = tmp_path / "alone.parquet"
    assert main(["precedents", *inputs, "--k", "3", "-o", str(alone)]) == 0
    beside = pd.read_parquet(precedents_path_for(scored))
    pd.testing.assert_frame_equal(beside, pd.read_parquet(alone))
    assert len(pd.read_parquet(scored)) == beside.drop_duplicates(["source_file", "case_id", "item_index"]).shape[0]


def test_decided_items_indexed_now_match_the_registered_index(project, queries, tmp_path):
    _, truth = project
    registered, now = tmp_path / "registered.jsonl", tmp_path / "now.jsonl"
    table = [queries / "before_review.jsonl"]
    find_precedents(load_precedents("models:/precedents/1"), table, registered)
    find_precedents(index_decided(str(truth)), table, now, k=K)  # the shipped settings but K
    assert registered.read_text() != "" and registered.read_text() == now.read_text()


def test_wrong_uses_are_one_line_errors(project, queries, tmp_path, capsys):
    table = str(queries / "before_review.jsonl")
    out = str(tmp_path / "p.csv")
    assert main(["precedents", table, "-o", out, "--model", "models:/outcome_case/1"]) == 2
    assert "not a precedents index" in capsys.readouterr().err
    assert main(["score", "--model", "models:/precedents/1", table, "-o", out]) == 2
    assert "is a precedents index" in capsys.readouterr().err
    assert main(["precedents", table, "-o", out, "--model", "models:/precedents/1", "--decided", table]) == 2
    assert main(["precedents", table, "-o", out, "--k", "0"]) == 2
    assert main(["precedents", table, "-o", out, "--model", "/some/path"]) == 2
    assert "--allow-model-path" in capsys.readouterr().err


@pytest.mark.slow
def test_mlflow_models_predict_gives_the_same_precedents(project, queries, tmp_path):
    home, _ = project
    rows = list(iter_table(queries / "before_review.jsonl"))[:5]
    inp = tmp_path / "input.json"
    frame = pd.DataFrame(rows)
    inp.write_text(
        json.dumps({"dataframe_split": json.loads(frame.to_json(orient="split", index=False)), "params": {"k": 3}})
    )
    out = tmp_path / "pred.json"
    proc = subprocess.run(
        [sys.executable, "-m", "mlflow", "models", "predict", "-m", "models:/precedents@champion"]
        + ["-i", str(inp), "-o", str(out), "-t", "json", "--env-manager", "local"],
        capture_output=True,
        text=True,
        cwd=home,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    served = pd.DataFrame(json.loads(out.read_text())["predictions"])
    ours = load_precedents("models:/precedents@champion").precedents(rows, k=3)
    assert served["precedent_case_id"].tolist() == ours["precedent_case_id"].tolist()
    assert (served["similarity"] - ours["similarity"]).abs().max() < 1e-6


def test_without_a_champion_the_projects_corpus_is_indexed(tracking_home, fixtures_dir, tmp_path, capsys):
    table = tmp_path / "case.jsonl"
    write_jsonl([{"case_id": "new-1", "item": "Norco 10/325 mg #90", "case_summary": "Chronic back pain."}], table)
    out = tmp_path / "p.csv"
    assert main(["precedents", str(table), "-o", str(out)]) == 2
    assert "no precedents index" in capsys.readouterr().err
    assert main(["parse", str(fixtures_dir), "--corpus", str(tracking_home / "data" / "corpus")]) == 0
    assert main(["precedents", str(table), "-o", str(out)]) == 0
    assert "data/corpus (indexed now)" in capsys.readouterr().out
    rows = pd.read_csv(out)
    assert set(rows["case_id"]) == {"new-1"} and rows["precedent_case_id"].notna().any()


def test_the_share_stands_in_the_leaderboard_and_is_evaluated_like_a_classifier(project, queries):
    configure_tracking()  # the project's store (another test may have pointed MLflow elsewhere)
    board = next(b for b in leaderboards("outcome_case") if b.how.startswith("cross-validation"))
    labels = [e.label for e in board.ranked()]
    assert {"precedents", "logreg"} <= set(labels)  # same data, same folds: one board
    entry = next(e for e in board.entries if e.label == "precedents")
    assert 0 <= entry.metrics["roc_auc"] <= 1 and entry.metrics["pr_auc.ci_low"] <= entry.metrics["pr_auc"]
    res = evaluate("precedents", str(queries / "new" / "truth.jsonl"))
    assert (res.name, res.model_kind, res.target, res.view) == ("precedents", "precedents", "outcome", "case")
    assert "roc_auc" in res.metrics and "pr_auc" in res.intervals


def _share_from_the_table(table: pd.DataFrame, n_queries: int, prior: float) -> np.ndarray:
    """Each query's share of Overturned among its precedents, counted from the table's precedent_decision column;
    a query with none gets ``prior`` (the decided items' share, as the index scores it)."""
    found = table[table["rank"].notna()]
    overturned = (found["precedent_decision"] == OVERTURNED).groupby(found["query_row"]).agg(["sum", "size"])
    share = np.full(n_queries, prior)
    share[overturned.index.to_numpy()] = overturned["sum"] / overturned["size"]
    return share


@pytest.mark.shared
@pytest.mark.slow
def test_left_one_letter_out_the_real_letters_score_what_their_precedents_say(tracking_home, root, dwc_items, capsys):
    """The ROC-AUC imrml train reports for experiments/splits/precedents_lolo.toml on the real letters is the one
    counted here by other means: for each letter, the precedents table of its items among the other letters only
    (no neighbour from its own letter), the share of Overturned read from the table's rows, scored against the
    letters' decisions with scikit-learn; its 95% interval (resampling letters) is the job's too."""
    exp = load_experiment(root / "experiments" / "splits" / "precedents_lolo.toml")
    res = train_experiment(exp, records=dwc_items)
    ds = prepare_dataset(dwc_items, "outcome")  # the items the job scored: decided Upheld or Overturned
    letters = ds.groups
    share = np.full(len(ds.y), np.nan)
    for letter in np.unique(letters):
        mine = letters == letter
        decided = ds.frame[~mine]
        fitted = build_pipeline(exp).fit(decided, ds.y[~mine])
        table = precedent_rows(fitted, decided_table(decided), ds.frame[mine].reset_index(drop=True))
        assert not (table["precedent_case_id"] == letter).any(), f"{letter}: a precedent from its own letter"
        share[mine] = _share_from_the_table(table, int(mine.sum()), float(np.mean(ds.y[~mine] == OVERTURNED)))
    overturned = ds.y == OVERTURNED
    assert 0 < overturned.sum() < len(overturned) and not np.isnan(share).any()
    auc = roc_auc_score(overturned, share)
    assert res.metrics["roc_auc"] == pytest.approx(auc, abs=1e-12)
    proba = np.column_stack([share if c == OVERTURNED else 1 - share for c in ds.classes])
    ci = bootstrap_intervals("outcome", ds.y, proba, ds.classes, letters)["roc_auc"]
    reported = res.intervals["roc_auc"]
    assert (reported.low, reported.high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    with capsys.disabled():  # the number itself, in the test output
        print(
            f"\n  precedents left one letter out, {len(share)} real items of {len(np.unique(letters))} letters: "
            f"ROC-AUC of the neighbours' overturned share {auc:.3f} [95% {ci.low:.3f}, {ci.high:.3f}]"
        )


def test_a_limit_flag_holds_the_letters_of_score_precedents_and_precedents_alike(
    project, tmp_path, fixtures_dir, fixtures_over
):
    over = fixtures_over(2)
    kept = {f.name for f in fixtures_dir.glob("*.txt")} - over
    assert over and kept
    scored, alone = tmp_path / "scored.csv", tmp_path / "alone.csv"
    model = ["--model", "models:/outcome_case/1"]
    assert main(["score", *model, str(fixtures_dir), "-o", str(scored), "--precedents", "3", "--max-items", "2"]) == 1
    assert main(["precedents", str(fixtures_dir), "-o", str(alone), "--k", "3", "--max-items", "2"]) == 1
    for report in (tmp_path / "scored.rejects.jsonl", tmp_path / "alone.rejects.jsonl"):
        rejects = [json.loads(line) for line in report.read_text().splitlines()]
        assert sorted(Path(r["source"]).name for r in rejects) == sorted(over)  # each letter once
        assert all(r["reason"].startswith("letter has more than the 2-item limit (--max-items; ") for r in rejects)
    for table in (scored, precedents_path_for(scored), alone):
        assert {Path(s).name for s in pd.read_csv(table)["source_file"]} == kept, table
