"""The generated corpus (issue 4): round trip through the parser, determinism, outcome rate, learnability."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from imrml import synth
from imrml.io import read_items
from imrml.parse import parse_letter
from imrml.schema import OVERTURNED, UPHELD

LETTER_FIELDS = (
    "case_id", "template", "decision_date", "date_assigned", "ur_denial_date", "application_received",
    "date_of_injury", "priority", "reviewer_specialties", "reviewer_licensure", "patient_age", "patient_sex",
)
ITEM_FIELDS = ("item_index", "item", "original_request", "decision", "case_summary", "claims_guideline_text",
               "reviewer_guideline_text", "rationale")
CITATION_FIELDS = ("source", "document", "year", "sections", "pages")


def _citations(cs):
    return [tuple(getattr(c, f) for f in CITATION_FIELDS) for c in cs]


def _compare(truth, parsed) -> list[str]:
    """Field-by-field differences between true and parsed records of one letter."""
    if len(truth) != len(parsed):
        return [f"{len(truth)} items generated, {len(parsed)} parsed: {[p.item for p in parsed]}"]
    diffs = []
    for t, p in zip(truth, parsed):
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
    return list(synth.generate_letters(60, seed=3))


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
            path.write_bytes(synth.letter_pdf(L))
        diffs = _compare(L.items, parse_letter(path).items)
        if diffs:
            problems[f"{L.case_id} ({L.template})"] = diffs
    assert not problems, json.dumps(problems, indent=1)[:4000]


def test_every_sentence_varies_not_one_template_per_outcome(letters):
    verdicts = {r.rationale.rsplit(". ", 1)[-1].split(" ")[0] for L in letters for r in L.items}
    assert len(verdicts) >= 3
    for r in (r for L in letters for r in L.items):
        tail = r.rationale.rstrip().lower()
        assert tail.endswith("medically necessary.") or tail.endswith("medically necessary and appropriate.")
        assert ("not medically necessary" in tail) == (r.decision == UPHELD)


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["txt", "pdf"])
def test_same_seed_same_bytes(tmp_path, fmt):
    a = synth.write_corpus(tmp_path / "a", 25, seed=7, fmt=fmt)
    b = synth.write_corpus(tmp_path / "b", 25, seed=7, fmt=fmt)
    c = synth.write_corpus(tmp_path / "c", 25, seed=8, fmt=fmt)
    assert _digest(a.out_dir) == _digest(b.out_dir)
    assert _digest(a.out_dir) != _digest(c.out_dir)
    assert len(list(a.letters_dir.glob(f"*.{fmt}"))) == 25


def test_truth_file_is_labelled_and_matches_the_letters(tmp_path):
    info = synth.write_corpus(tmp_path, 40, seed=1)
    rows = read_items(info.truth_path)
    assert len(rows) == info.n_items
    files = {p.name for p in info.letters_dir.iterdir()}
    assert {r.source_file for r in rows} == files
    assert all(r.guideline_family and r.claims_guideline_family for r in rows)


def test_labeller_recovers_the_catalogue_topic():
    from imrml.labels import label_item

    checked = wrong = 0
    for L in synth.generate_letters(400, seed=5):
        for rec, meta in zip(L.items, L.meta):
            if rec.reviewer_guideline[0].source in ("none", "other"):
                continue  # nothing topical to label
            label_item(rec)
            checked += 1
            wrong += rec.guideline_topic != meta["topic"]
    assert checked > 500
    assert wrong == 0


@pytest.mark.parametrize("rate", [0.10, 0.30])
def test_overturn_rate(rate):
    decisions = [r.decision for L in synth.generate_letters(2000, seed=11, overturn_rate=rate) for r in L.items]
    observed = decisions.count(OVERTURNED) / len(decisions)
    assert abs(observed - rate) < 0.025, observed


def test_bad_arguments():
    with pytest.raises(ValueError):
        list(synth.generate_letters(1, 0, overturn_rate=1.5))
    with pytest.raises(ValueError):
        synth.write_corpus("/tmp/never", 1, 0, fmt="docx")


def test_case_view_signal_is_learnable_but_not_trivial():
    """TF-IDF + logistic regression on pre-review text only, split by letter: clearly above chance, clearly below perfect."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupShuffleSplit

    recs = [r for L in synth.generate_letters(2500, seed=2024) for r in L.items]
    # the case view: what exists before review (never the rationale, decision or reviewer guideline)
    text = [f"{r.case_summary} {r.item} {r.claims_guideline_text}" for r in recs]
    y = np.array([r.decision == OVERTURNED for r in recs])
    groups = [r.case_id for r in recs]
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(text, y, groups))
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vec.fit_transform([text[i] for i in train])
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(x_train, y[train])
    scores = model.predict_proba(vec.transform([text[i] for i in test]))[:, 1]
    auc = roc_auc_score(y[test], scores)
    assert 0.65 < auc < 0.95, auc
