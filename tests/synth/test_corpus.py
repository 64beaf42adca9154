"""The generated corpus (issue 4): variants, round trip through the parser, determinism, the truth file, the
marker that says a folder's letters are generated, and bad arguments as one-line errors."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from imrml.cli import main
from imrml.letters.labels import label_item
from imrml.letters.parse import parse_letter
from imrml.records.errors import UserError
from imrml.records.schema import OVERTURNED, UPHELD
from imrml.records.tables import read_items
from imrml.synth.corpus import (
    GENERATED,
    GENERATED_MARKER,
    LETTERS,
    data_origin,
    generate_letters,
    generated_marker,
    mark_generated,
    write_corpus,
)
from imrml.synth.pdf import letter_pdf

LETTER_FIELDS = (
    "case_id",
    "template",
    "decision_date",
    "date_assigned",
    "ur_denial_date",
    "application_received",
    "date_of_injury",
    "priority",
    "reviewer_specialties",
    "reviewer_licensure",
    "patient_age",
    "patient_sex",
)
ITEM_FIELDS = (
    "item_index",
    "item",
    "original_request",
    "decision",
    "case_summary",
    "claims_guideline_text",
    "reviewer_guideline_text",
    "rationale",
)
CITATION_FIELDS = ("source", "document", "year", "sections", "pages")


def _citations(cs):
    return [tuple(getattr(c, f) for f in CITATION_FIELDS) for c in cs]


def _compare(truth, parsed) -> list[str]:
    """Field-by-field differences between true and parsed records of one letter."""
    if len(truth) != len(parsed):
        return [f"{len(truth)} items generated, {len(parsed)} parsed: {[p.item for p in parsed]}"]
    diffs = []
    for t, p in zip(truth, parsed, strict=True):
        for f in LETTER_FIELDS + ITEM_FIELDS:
            if getattr(t, f) != getattr(p, f):
                diffs.append(f"item {t.item_index} {f}: generated {getattr(t, f)!r}, parsed {getattr(p, f)!r}")
        for side in ("claims_guideline", "reviewer_guideline"):
            a, b = _citations(getattr(t, side)), _citations(getattr(p, side))
            if a != b:
                diffs.append(f"item {t.item_index} {side}: generated {a}, parsed {b}")
    return diffs


@pytest.fixture(scope="module")
def letters():
    return list(generate_letters(60, seed=3))


def test_sample_covers_the_variants(letters):
    templates = {L.template for L in letters}
    assert templates == {"2013", "2014", "2016"}
    items = [r for L in letters for r in L.items]
    assert any(len(L.items) >= 3 for L in letters)
    assert any(r.original_request for r in items), "no partly approved request"
    assert any(r.claims_guideline[0].source == "none" for r in items)
    assert {OVERTURNED, UPHELD} <= {r.decision for r in items}
    sources = {c.source for r in items for c in r.reviewer_guideline + r.claims_guideline}
    assert {"MTUS", "ODG", "none"} <= sources


@pytest.mark.parametrize("fmt", ["txt", "pdf"])
def test_round_trip(letters, tmp_path, fmt):
    """Each generated letter parses back to exactly its generated items, decisions and citations."""
    problems = {}
    for L in letters:
        path = tmp_path / f"{L.case_id}.{fmt}"
        if fmt == "txt":
            path.write_text(L.text, encoding="utf-8")
        else:
            path.write_bytes(letter_pdf(L))
        diffs = _compare(L.items, parse_letter(path).items)
        if diffs:
            problems[f"{L.case_id} ({L.template})"] = diffs
    assert not problems, json.dumps(problems, indent=1)[:4000]


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fmt", ["txt", "pdf"])
def test_same_seed_same_bytes(tmp_path, fmt):
    a = write_corpus(tmp_path / "a", 25, seed=7, fmt=fmt)
    b = write_corpus(tmp_path / "b", 25, seed=7, fmt=fmt)
    c = write_corpus(tmp_path / "c", 25, seed=8, fmt=fmt)
    assert _digest(a.out_dir) == _digest(b.out_dir)
    assert _digest(a.out_dir) != _digest(c.out_dir)
    assert len(list(a.letters_dir.glob(f"*.{fmt}"))) == 25


def test_truth_file_is_labelled_and_matches_the_letters(tmp_path):
    info = write_corpus(tmp_path, 40, seed=1)
    rows = read_items(info.truth_path)
    assert len(rows) == info.n_items
    files = {p.name for p in info.letters_dir.iterdir()}
    assert {r.source_file for r in rows} == files
    assert all(r.guideline_family and r.claims_guideline_family for r in rows)


def test_labeller_recovers_the_catalogue_topic():
    checked = wrong = 0
    for L in generate_letters(400, seed=5):
        for rec, meta in zip(L.items, L.meta, strict=True):
            if rec.reviewer_guideline[0].source in ("none", "other"):
                continue  # nothing topical to label
            label_item(rec)
            checked += 1
            wrong += rec.guideline_topic != meta["topic"]
    assert checked > 500
    assert wrong == 0


def test_bad_arguments(tmp_path):
    with pytest.raises(UserError, match="--overturn-rate 1.5: the share of Overturned items must be between 0 and 1"):
        list(generate_letters(1, 0, overturn_rate=1.5))
    with pytest.raises(UserError, match="-n -3: the number of letters must be 0 or more"):
        list(generate_letters(-3, 0))
    with pytest.raises(UserError, match="--format docx: the letters are written as txt or pdf"):
        write_corpus(tmp_path / "never", 1, 0, fmt="docx")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "-1"], "-n -1: the number of letters must be 0 or more"),
        (["--overturn-rate", "2"], "--overturn-rate 2: the share of Overturned items must be between 0 and 1"),
        (["--overturn-rate", "0"], "--overturn-rate 0: the share of Overturned items must be between 0 and 1"),
        (["--overturn-rate", "nan"], "--overturn-rate nan: the share of Overturned items must be between 0 and 1"),
    ],
)
def test_synth_bad_values_are_one_line_errors(tmp_path, capsys, args, message):
    """A bad value is the user's: exit 2 and one line naming the flag, its value and why; no traceback, and no
    folder left behind."""
    out = tmp_path / "out"
    assert main(["synth", *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"imrml synth: error: {message}"], err
    assert not out.exists()


def test_synth_pdf_without_fpdf2_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "fpdf", None)  # import fpdf raises ImportError, as when it is not installed
    out = tmp_path / "out"
    assert main(["synth", "-n", "2", "--format", "pdf", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "imrml synth: error: --format pdf: PDF letters need fpdf2: pip install 'imrml[pdf]' (or use --format txt)"
    ], err
    assert not out.exists()


def test_a_written_corpus_is_marked_generated(tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["synth", "-n", "3", "--seed", "4", "-o", str(out)]) == 0
    marker = json.loads((out / GENERATED_MARKER).read_text(encoding="utf-8"))
    assert (marker["generator"], marker["seed"], marker["n_letters"], marker["format"]) == ("imrml synth", 4, 3, "txt")
    assert "not real" in marker["note"]
    letter = next((out / "letters").iterdir())
    for path in (out, out / "truth.jsonl", out / "letters", letter, out / "later" / "items.jsonl"):
        assert generated_marker(path) == (out / GENERATED_MARKER).resolve() and data_origin(path) == GENERATED, path
    # a sibling folder, or the folder above, holds no generated letters
    (tmp_path / "real").mkdir()
    assert data_origin(tmp_path / "real") == data_origin(tmp_path) == LETTERS
    assert generated_marker(tmp_path / "real") is None


def test_any_folder_can_be_marked(tmp_path):
    marker = mark_generated(tmp_path / "demo", "imrml demo", seed=0, n_letters=500)
    assert marker == tmp_path / "demo" / GENERATED_MARKER
    assert json.loads(marker.read_text(encoding="utf-8"))["generator"] == "imrml demo"
    assert data_origin(tmp_path / "demo" / "train_items.jsonl") == GENERATED
