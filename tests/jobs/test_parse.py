"""``imrml parse``: items and a rejects report; nothing lost, nothing half-written."""

import json
from pathlib import Path

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
