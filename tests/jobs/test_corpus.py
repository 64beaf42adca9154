"""``imrml parse LETTERS --corpus DIR``: only what changed is parsed, duplicates and deletions are handled, and a
run that dies resumes with every item exactly once."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imrml.cli import main
from imrml.jobs import corpus as corpus_job
from imrml.jobs.corpus import update_corpus
from imrml.letters.limits import Limits
from imrml.records import corpus as store
from imrml.records.corpus import iter_rows
from imrml.records.schema import RECORD_FIELDS
from imrml.records.tables import read_items


def _items(corpus_dir) -> list[tuple]:
    """The corpus's items as (file name, item index, item, decision), sorted."""
    return sorted(
        (Path(r["source_file"]).name, r["item_index"], r["item"], r["decision"]) for r in iter_rows(corpus_dir)
    )


def _run(folder, corpus_dir, **kw):
    return update_corpus([str(folder)], corpus_dir, progress=False, **kw)


def test_the_corpus_holds_what_parse_writes_to_a_file_and_a_rerun_parses_nothing(tmp_path, letters_folder):
    corpus_dir = tmp_path / "corpus"
    n = len(list(letters_folder.iterdir()))
    first = _run(letters_folder, corpus_dir)
    assert (first.parsed, first.plan.counts["new"]) == (n, n)
    assert main(["parse", str(letters_folder), "-o", str(tmp_path / "items.jsonl"), "-q"]) == 0
    from_file = sorted(
        (r.to_dict() for r in read_items(tmp_path / "items.jsonl")), key=lambda r: (r["source_file"], r["item_index"])
    )
    from_corpus = sorted(
        ({k: r[k] for k in RECORD_FIELDS} for r in iter_rows(corpus_dir)),
        key=lambda r: (r["source_file"], r["item_index"]),
    )
    assert from_corpus == from_file
    again = _run(letters_folder, corpus_dir)
    assert (again.parsed, again.plan.counts["unchanged"], again.removed_items) == (0, n, 0)


def test_a_touched_file_is_not_parsed_again_and_a_changed_one_is(tmp_path, letters_folder):
    corpus_dir = tmp_path / "corpus"
    _run(letters_folder, corpus_dir)
    before = _items(corpus_dir)
    letter = letters_folder / "letter_2014.txt"
    os.utime(letter, ns=(time.time_ns(), time.time_ns() + 10**9))  # newer time, same content
    touched = _run(letters_folder, corpus_dir)
    assert (touched.plan.counts["touched"], touched.parsed) == (1, 0)
    text = letter.read_text()
    assert "Upheld" in text
    letter.write_text(text.replace("Upheld", "Overturned"))
    changed = _run(letters_folder, corpus_dir)
    assert (changed.plan.counts["changed"], changed.parsed, changed.removed_items) == (1, 1, 2)
    after = _items(corpus_dir)
    assert len(after) == len(before)
    assert [d for name, _, _, d in after if name == "letter_2014.txt"] == ["Overturned", "Overturned"]
    assert [row for row in after if row[0] != "letter_2014.txt"] == [
        row for row in before if row[0] != "letter_2014.txt"
    ]


def test_a_letter_under_another_name_is_a_duplicate_and_prune_mirrors_deletions(tmp_path, letters_folder, capsys):
    corpus_dir = tmp_path / "corpus"
    _run(letters_folder, corpus_dir)
    before = _items(corpus_dir)
    shutil.copy(letters_folder / "letter_2016.txt", letters_folder / "same_letter.txt")
    assert main(["parse", str(letters_folder), "--corpus", str(corpus_dir), "-q"]) == 0
    out = capsys.readouterr()
    assert "same_letter.txt is the same letter as" in out.err and "letter_2016.txt" in out.err
    assert "1 new" in out.out and "1 duplicates" in out.out
    assert _items(corpus_dir) == before
    assert "same_letter.txt" in (corpus_dir / "duplicates.jsonl").read_text()

    (letters_folder / "letter_2016.txt").unlink()
    kept = _run(letters_folder, corpus_dir)
    assert kept.plan.missing == ["../letters/letter_2016.txt"] and _items(corpus_dir) == before
    pruned = _run(letters_folder, corpus_dir, prune=True)
    assert pruned.plan.forget == ["../letters/letter_2016.txt"]
    # the duplicate now stands for the letter, under its own name
    assert pruned.parsed == 1
    assert _items(corpus_dir) == sorted(
        ("same_letter.txt" if name == "letter_2016.txt" else name, *rest) for name, *rest in before
    )
    (letters_folder / "same_letter.txt").unlink()
    _run(letters_folder, corpus_dir, prune=True)
    assert not [row for row in _items(corpus_dir) if row[0] in ("same_letter.txt", "letter_2016.txt")]


def test_a_new_parser_version_parses_everything_again_and_says_so(tmp_path, letters_folder, monkeypatch, capsys):
    corpus_dir = tmp_path / "corpus"
    _run(letters_folder, corpus_dir)
    before = _items(corpus_dir)
    monkeypatch.setattr(corpus_job, "parser_version", lambda: "9.9.9+newer")
    assert main(["parse", str(letters_folder), "--corpus", str(corpus_dir), "-q"]) == 0
    out = capsys.readouterr().out
    n = len(list(letters_folder.iterdir()))
    assert "parser version changed" in out and f"-> 9.9.9+newer): parsing again {n} letters" in out
    assert _items(corpus_dir) == before
    assert _run(letters_folder, corpus_dir).parsed == 0


def test_a_file_rejected_for_a_limit_is_tried_again_under_other_limits(tmp_path, letters_folder, fixtures_over):
    corpus_dir = tmp_path / "corpus"
    strict = _run(letters_folder, corpus_dir, limits=Limits(max_items=2))
    assert {Path(e.source_file).name for e in strict.rejected} >= fixtures_over(2)
    assert _run(letters_folder, corpus_dir, limits=Limits(max_items=2)).parsed == 0
    relaxed = _run(letters_folder, corpus_dir)
    assert relaxed.plan.counts["retried"] == len(strict.rejected) and not relaxed.rejected
    report = (corpus_dir / "rejects.jsonl").read_text()
    assert report == ""


def test_bad_files_are_rejected_once_and_reported(tmp_path, letters_folder, bad_inputs, capsys):
    expected = bad_inputs(letters_folder)
    corpus_dir = tmp_path / "corpus"
    assert main(["parse", str(letters_folder), "--corpus", str(corpus_dir), "-q"]) == 1
    report = (corpus_dir / "rejects.jsonl").read_text()
    for name, reason in expected.items():
        assert name in report and reason in report
    assert main(["parse", str(letters_folder), "--corpus", str(corpus_dir), "-q", "--allow-rejects"]) == 0
    assert "parsed 0 letters" in capsys.readouterr().out


def _report(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_file_it_may_not_read_is_a_reject_the_rest_are_parsed_and_it_is_tried_again(
    tmp_path, letters_folder, unprivileged, capsys
):
    """An unreadable letter used to end the whole run (exit 2, "Permission denied"), and an unreadable folder
    was left out of rejects.jsonl."""
    reference = tmp_path / "reference"
    _run(letters_folder, reference)
    locked, private = letters_folder / "letter_2014.txt", letters_folder / "private"
    private.mkdir()
    locked.chmod(0)
    private.chmod(0)
    corpus_dir = tmp_path / "corpus"
    cmd = [sys.executable, "-m", "imrml", "parse", str(letters_folder), "--corpus", str(corpus_dir), "-q"]
    proc = subprocess.run(unprivileged(cmd), capture_output=True, text=True, timeout=300)  # as root too
    assert proc.returncode == 1, proc.stderr
    expected = [
        {"source": str(private), "reason": "cannot read folder: Permission denied"},
        {"source": str(locked), "reason": "cannot read: Permission denied"},
    ]
    assert _report(corpus_dir / "rejects.jsonl") == expected
    assert proc.stderr.splitlines() == [f"rejected: {r['source']}: {r['reason']}" for r in expected]
    n = len(list(letters_folder.glob("*.*")))
    assert f"{n} new; parsed {n - 1} letters" in proc.stdout and "1 rejected, 0 duplicates, 1 not searchable" in (
        proc.stdout
    )
    assert _items(corpus_dir) == [row for row in _items(reference) if row[0] != locked.name]

    locked.chmod(0o644)  # a chmod leaves the file's time as it was: the run must look at it again all the same
    private.chmod(0o755)
    assert main(["parse", str(letters_folder), "--corpus", str(corpus_dir), "-q"]) == 0
    assert "1 retried" in capsys.readouterr().out
    assert _items(corpus_dir) == _items(reference)
    assert (corpus_dir / "rejects.jsonl").read_text() == ""


def test_what_the_folders_hold_that_cannot_be_searched_is_in_rejects_jsonl(tmp_path, letters_folder, capsys):
    """Dangling links and link loops were printed and counted, but rejects.jsonl listed only the index's files."""
    reference = tmp_path / "reference"
    _run(letters_folder, reference)
    gone, loop = letters_folder / "gone.pdf", letters_folder / "self.txt"
    gone.symlink_to(tmp_path / "deleted.pdf")
    loop.symlink_to(loop)
    corpus_dir = tmp_path / "corpus"
    assert main(["parse", str(letters_folder), "--corpus", str(corpus_dir), "-q"]) == 1
    expected = [
        {"source": str(gone), "reason": f"dangling link: its target {tmp_path / 'deleted.pdf'} does not exist"},
        {"source": str(loop), "reason": "link loop: the link leads back to itself"},
    ]
    assert _report(corpus_dir / "rejects.jsonl") == expected
    out = capsys.readouterr()
    assert out.err.splitlines() == [f"rejected: {r['source']}: {r['reason']}" for r in expected]
    assert "0 rejected, 0 duplicates, 2 not searchable" in out.out
    assert _items(corpus_dir) == _items(reference)
    gone.unlink()
    loop.unlink()
    assert main(["parse", str(letters_folder), "--corpus", str(corpus_dir), "-q"]) == 0
    assert (corpus_dir / "rejects.jsonl").read_text() == ""


class _Crash(Exception):
    pass


@pytest.mark.parametrize("where", ["before the transaction", "after the transaction, before the renames"])
def test_a_run_that_dies_resumes_with_every_item_exactly_once(tmp_path, letters_folder, monkeypatch, where):
    reference = tmp_path / "reference"
    _run(letters_folder, reference)
    corpus_dir = tmp_path / "corpus"
    calls = {"n": 0}
    real_publish, real_replace = store.Corpus.publish, os.replace

    def publish(self, written, entries, dropped=()):
        calls["n"] += 1
        if calls["n"] == 2 and where == "before the transaction":
            raise _Crash
        if calls["n"] == 2:
            monkeypatch.setattr(store.os, "replace", lambda *a: (_ for _ in ()).throw(_Crash()))
        return real_publish(self, written, entries, dropped)

    monkeypatch.setattr(store.Corpus, "publish", publish)
    with pytest.raises(_Crash):
        _run(letters_folder, corpus_dir, commit_letters=4)
    monkeypatch.setattr(store.Corpus, "publish", real_publish)
    monkeypatch.setattr(store.os, "replace", real_replace)
    committed = len(_items(corpus_dir))
    assert 0 < committed < len(_items(reference))
    resumed = _run(letters_folder, corpus_dir)
    committed_letters = 4 if where == "before the transaction" else 8  # batches of 4; the second did not finish
    assert resumed.parsed == len(list(letters_folder.iterdir())) - committed_letters
    assert _items(corpus_dir) == _items(reference)
    assert not [f for f in (corpus_dir / "items").rglob("*") if f.name.startswith(".")]


@pytest.mark.slow
def test_a_run_killed_outright_resumes_with_every_item_exactly_once(tmp_path):
    from imrml.synth.corpus import write_corpus

    letters = write_corpus(tmp_path / "gen", n=600, seed=5, fmt="txt").letters_dir
    reference = tmp_path / "reference"
    _run(letters, reference, jobs=2)
    corpus_dir = tmp_path / "corpus"
    script = (
        "from imrml.jobs.corpus import update_corpus\n"
        f"update_corpus([{str(letters)!r}], {str(corpus_dir)!r}, jobs=2, progress=False, commit_letters=50)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script])
    index = corpus_dir / "index.sqlite"
    deadline = time.monotonic() + 120
    committed = 0
    while time.monotonic() < deadline and run.poll() is None:
        if index.exists():
            try:
                with sqlite3.connect(index) as db:
                    committed = db.execute("SELECT COUNT(*) FROM files WHERE status = 'parsed'").fetchone()[0]
            except sqlite3.OperationalError:
                committed = 0
        if committed >= 150:
            break
        time.sleep(0.01)
    run.kill()
    run.wait()
    assert run.returncode == -9, "the run finished before it could be killed"
    resumed = _run(letters, corpus_dir, jobs=2)
    assert 0 < resumed.parsed < 600
    assert _items(corpus_dir) == _items(reference)
