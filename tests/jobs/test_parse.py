"""``imrml parse``: items and a rejects report; nothing lost, nothing half-written."""

import json
from pathlib import Path

import pytest

from imrml.cli import main
from imrml.records.tables import read_items


def test_cli_batch_mixing_good_and_bad_loses_nothing(tmp_path, capsys, bad_inputs, fixtures_dir):
    expected = bad_inputs(tmp_path)
    letters = tmp_path / "letters"
    letters.mkdir()
    for f in list(tmp_path.iterdir()):
        if f.is_file():
            f.rename(letters / f.name)
    for name in ("letter_2013.txt", "letter_2014.txt", "letter_2016.txt"):
        (letters / name).write_bytes((fixtures_dir / name).read_bytes())
    out = tmp_path / "out" / "items.jsonl"
    rejects = tmp_path / "out" / "rejects.jsonl"
    code = main(["parse", str(letters), "-o", str(out), "--rejects", str(rejects), "-q"])
    assert code == 1  # some files were rejected
    items = read_items(out)
    assert len(items) == 3 + 2 + 3 + 3  # three text fixtures + the encrypted PDF copy of the 2016 one
    rejected = {Path(r["source"]).name: r["reason"] for r in map(json.loads, rejects.read_text().splitlines())}
    assert set(rejected) == set(expected)
    for name, reason in expected.items():
        assert reason in rejected[name]
    summary = capsys.readouterr().out
    assert "12 files: 4 letters parsed into 11 items, 8 rejected" in summary
    assert "0 items whose rationale contradicts the stated decision" in summary
    assert main(["parse", str(letters), "-o", str(out), "--allow-rejects", "-q"]) == 0
    assert not list(out.parent.glob("*.part"))


def test_cli_writes_parquet(tmp_path, fixtures_dir):
    out = tmp_path / "items.parquet"
    assert main(["parse", str(fixtures_dir), "-o", str(out), "-q"]) == 0
    recs = read_items(out)
    assert len(recs) == 14  # every fixture letter's items
    assert recs[0].reviewer_guideline and recs[0].reviewer_guideline[0].source in ("MTUS", "ODG", "none")


def test_cli_missing_input_is_a_clear_error(tmp_path, capsys):
    assert main(["parse", str(tmp_path / "nope"), "-o", str(tmp_path / "x.jsonl")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_the_rejects_report_is_named_from_the_whole_stem_and_never_overwrites_the_output(
    tmp_path, capsys, fixtures_dir
):
    for name in ("a.v1.jsonl", "a.v2.jsonl"):
        assert main(["parse", str(fixtures_dir), "-o", str(tmp_path / name), "-q"]) == 0
    assert (tmp_path / "a.v1.rejects.jsonl").exists() and (tmp_path / "a.v2.rejects.jsonl").exists()
    clash = tmp_path / "items.jsonl"
    assert main(["parse", str(fixtures_dir), "-o", str(clash), "--rejects", str(clash), "-q"]) == 2
    assert "the output and the rejects report would be the same file" in capsys.readouterr().err
    assert not clash.exists()


def test_two_workers_write_the_same_file_as_one(tmp_path, letters_folder, bad_inputs, monkeypatch, parse_worker_pids):
    from imrml.letters import batch

    bad_inputs(letters_folder)
    monkeypatch.setattr(batch, "FILES_PER_WORKER", 4)  # these ~24 files would start one worker, not two
    outputs, workers = [], []
    for jobs in ("1", "2"):
        parse_worker_pids.clear()
        out = tmp_path / f"items{jobs}.jsonl"
        assert main(["parse", str(letters_folder), "-o", str(out), "--jobs", jobs, "-q"]) == 1
        outputs.append((out.read_bytes(), (tmp_path / f"items{jobs}.rejects.jsonl").read_bytes()))
        workers.append(len(set(parse_worker_pids)))
    assert workers == [1, 2]  # worker processes that parsed letters
    assert outputs[0] == outputs[1] and outputs[0][0].count(b"\n") > 20


@pytest.mark.parametrize("mode", ["-o", "--corpus"])
def test_a_named_pipe_or_a_socket_in_a_folder_is_a_reject_never_opened(tmp_path, fixtures_dir, mode):
    """Special files inside a folder used to be skipped without a word."""
    import os
    import socket
    import subprocess
    import sys

    letters = tmp_path / "letters"
    letters.mkdir()
    for f in fixtures_dir.glob("*.txt"):
        (letters / f.name).write_bytes(f.read_bytes())
    os.mkfifo(letters / "pipe.txt")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(letters / "s.pdf"))
    out = tmp_path / ("items.jsonl" if mode == "-o" else "corpus")
    cmd = [sys.executable, "-m", "imrml", "parse", str(letters), mode, str(out), "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)  # a pipe opened waits for ever
    assert proc.returncode == 1, proc.stderr
    expected = [
        {"source": str(letters / "pipe.txt"), "reason": "not a regular file (a named pipe)"},
        {"source": str(letters / "s.pdf"), "reason": "not a regular file (a socket)"},
    ]
    report = tmp_path / "items.rejects.jsonl" if mode == "-o" else out / "rejects.jsonl"
    assert [json.loads(line) for line in report.read_text().splitlines()] == expected
    assert proc.stderr.splitlines() == [f"rejected: {r['source']}: {r['reason']}" for r in expected]
    if mode == "-o":
        assert "7 files: 5 letters parsed into 14 items, 2 rejected" in proc.stdout
        assert len(read_items(out)) == 14
    else:
        assert "5 new; parsed 5 letters into 14 items, 0 rejected, 0 duplicates, 2 not searchable" in proc.stdout


def test_an_output_that_cannot_be_written_is_found_before_any_letter_is_parsed(
    tmp_path, capsys, fixtures_dir, monkeypatch
):
    from imrml.jobs import parse as parse_job

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed before checking the output")

    monkeypatch.setattr(parse_job, "iter_parsed", no_parsing)
    (tmp_path / "a_file").write_text("")
    out = tmp_path / "a_file" / "items.jsonl"
    assert main(["parse", str(fixtures_dir), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"imrml parse: error: {out}: cannot write: ") and ".part" not in err


def test_a_write_that_fails_midway_names_the_output_and_leaves_nothing(tmp_path, capsys, fixtures_dir, monkeypatch):
    import errno

    from imrml.records.tables import TableWriter

    def full_disk(self, rows):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(TableWriter, "write", full_disk)
    out = tmp_path / "items.parquet"
    assert main(["parse", str(fixtures_dir), "-o", str(out), "-q"]) == 2
    assert f"imrml parse: error: {out}: cannot write: No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_limit_flags_reach_the_parser(tmp_path, fixtures_dir, fixtures_over):
    out = tmp_path / "items.jsonl"
    assert main(["parse", str(fixtures_dir), "-o", str(out), "--max-items", "2", "-q"]) == 1
    rejects = [json.loads(line) for line in (tmp_path / "items.rejects.jsonl").read_text().splitlines()]
    assert {Path(r["source"]).name for r in rejects} == fixtures_over(2) and "letter_2013.txt" in fixtures_over(2)
    assert all(r["reason"].startswith("letter has more than the 2-item limit (--max-items; ") for r in rejects)
    with pytest.raises(SystemExit):
        main(["parse", str(fixtures_dir), "-o", str(out), "--max-pages", "0"])


def test_parquet_columns_keep_their_types_when_every_row_leaves_them_null(tmp_path, fixtures_dir):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from imrml.records.arrow import record_schema

    out = tmp_path / "items.parquet"  # a 2014 letter has no header block: no decision date, assigned date...
    assert main(["parse", str(fixtures_dir / "letter_2014.txt"), "-o", str(out), "-q"]) == 0
    table = pq.read_table(out)
    assert table.schema == record_schema()
    assert (
        table.column("decision_date").null_count == table.num_rows
        and table.schema.field("decision_date").type == pa.string()
    )


def test_a_read_only_folder_is_found_before_parsing_for_a_file_and_for_a_corpus(tmp_path, fixtures_dir, unprivileged):
    import subprocess
    import sys

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)

    def run(*args):
        cmd = unprivileged([sys.executable, "-m", "imrml", "parse", str(fixtures_dir), *map(str, args), "-q"])
        return subprocess.run(cmd, capture_output=True, text=True)

    to_file = run("-o", locked / "items.jsonl")
    assert (to_file.returncode, to_file.stderr) == (
        2,
        f"imrml parse: error: {locked / 'items.jsonl'}: cannot write: Permission denied\n",
    )
    into_corpus = run("--corpus", locked / "corpus")
    assert (into_corpus.returncode, into_corpus.stderr) == (
        2,
        f"imrml parse: error: {locked / 'corpus'}: cannot write: Permission denied\n",
    )
    assert list(locked.iterdir()) == []
