"""``imrml labels``: label items, print the summary, write them; bad input is one line naming the file."""

from __future__ import annotations

import json

from imrml.cli import main
from imrml.letters.labels import LABEL_FIELDS
from imrml.records.tables import read_items


def test_labels_command_writes_labelled_items(tmp_path, capsys, citation_sample):
    src = tmp_path / "items.jsonl"
    unlabelled = [r.to_dict() | dict.fromkeys(LABEL_FIELDS) for r in citation_sample]
    src.write_text("".join(json.dumps(d) + "\n" for d in unlabelled))
    out = tmp_path / "out" / "labelled.jsonl"
    assert main(["labels", str(src), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "items: 3" in printed and "citations without a topic, by reason: 2" in printed
    back = read_items(out)
    assert [r.guideline_topic for r in back] == ["Benzodiazepines", "Imaging/special studies", None]
    assert [r.claims_guideline_family for r in back] == ["MTUS", "ODG", "MTUS"]
    for name in ("labelled.parquet", "l.csv"):
        assert main(["labels", str(src), "-o", str(tmp_path / name)]) == 0
        assert [r.guideline_family for r in read_items(tmp_path / name)] == ["MTUS", "MTUS+ODG", "none"]


def test_labels_command_bad_input_is_one_line_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"hello": 1}\n')
    for path, words in ((tmp_path / "nope.jsonl", "no such file"), (bad, "JSON"), (wrong, "")):
        assert main(["labels", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("imrml labels: error:") and str(path) in err and words in err
        assert len(err.splitlines()) == 1


def test_labels_reads_a_corpus_folder(tmp_path, capsys, letters_folder):
    corpus = tmp_path / "corpus"
    assert main(["parse", str(letters_folder), "--corpus", str(corpus), "-q"]) == 0
    items = tmp_path / "items.jsonl"
    assert main(["parse", str(letters_folder), "-o", str(items), "-q"]) == 0
    capsys.readouterr()
    assert main(["labels", str(corpus)]) == 0
    from_corpus = capsys.readouterr().out
    assert main(["labels", str(items)]) == 0
    assert from_corpus == capsys.readouterr().out and "items: " in from_corpus
    empty = tmp_path / "empty"
    (empty / "items").mkdir(parents=True)
    assert main(["labels", str(empty)]) == 2
    assert "the corpus holds no items yet" in capsys.readouterr().err
