"""The generator's data files: the shipped ones pass their checks; a broken one fails naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

import imrml.synth
from imrml.synth.catalogue import DataFileError, catalogue, load_catalogue, load_phrases, phrases

DATA = Path(imrml.synth.__file__).parent / "data"
PHRASES = DATA / "phrases.toml"
CATALOGUE = DATA / "synth_catalogue.toml"


def _edited(src: Path, tmp_path: Path, old: str, new: str) -> Path:
    """A copy of ``src`` with the first ``old`` replaced by ``new``."""
    text = src.read_text("utf-8")
    assert old in text, f"{old!r} is not in {src.name}"
    out = tmp_path / src.name
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def test_shipped_files_pass():
    ph, cat = phrases(), catalogue()
    assert {"facts", "summary", "rationale", "letter", "letter_2013"} <= set(ph)
    assert all(set(t["effects"]) <= set(ph["facts"]) for t in cat["treatment"])
    assert all(t["topic"] in ph["rationale"]["guidance"] for t in cat["treatment"])
    assert all("regional" in t and "qty" in t for t in cat["treatment"])  # defaults filled in


@pytest.mark.parametrize(
    "old, new, key, problem",
    [
        (
            'final_determination = "The Final',
            'final_determinaton = "The Final',
            "letter.final_determinaton",
            "unknown key",
        ),
        ('odg_name = "Official Disability Guidelines"\n', "", "guidelines.odg_name", "missing key"),
        ("[facts.function]\np = 0.35", '[facts.function]\np = "often"', "facts.function.p", "expected a number"),
        ("weight = 20 }", 'weight = "20" }', "reviewer.specialties[0].weight", "expected a number"),
        (
            '"Physical Medicine & Rehabilitation" = "Physical Medicine and Rehabilitation"',
            '"Physical Medicine & Rehabilitation" = 3',
            "reviewer.specialty_prose.Physical Medicine & Rehabilitation",
            "expected a string",
        ),
        (
            "{Who} reported that {name} allowed",
            "{Whom} reported that {name} allowed",
            "facts.function.yes[0]",
            "unknown placeholder {Whom}",
        ),
    ],
)
def test_broken_phrases_name_the_file_and_key(tmp_path, old, new, key, problem):
    path = _edited(PHRASES, tmp_path, old, new)
    with pytest.raises(DataFileError) as e:
        load_phrases(path)
    assert str(path) in str(e.value) and f": {key}: " in str(e.value) and problem in str(e.value)
    assert e.value.key == key


@pytest.mark.parametrize(
    "old, new, key, problem",
    [
        ("prior = -0.3", 'prior = "-0.3"', "treatment[0].prior", "expected a number"),
        ('key = "hydrocodone"\nprior = -0.3\n', 'key = "hydrocodone"\n', "treatment[0].prior", "missing key"),
        ("effects = { function = 1.7", "effects = { fuction = 1.7", "treatment[0].effects.fuction", "unknown fact"),
        (
            '"Opioids, criteria for use"',
            '"Opioids, Criteria for use"',
            "treatment[0].mtus[0].sections",
            "would be split by the parser",
        ),
        ('kind = "medication"\nweight = 9', 'kind = "medicine"\nweight = 9', "treatment[0].kind", "expected one of"),
    ],
)
def test_broken_catalogue_names_the_file_and_key(tmp_path, old, new, key, problem):
    path = _edited(CATALOGUE, tmp_path, old, new)
    with pytest.raises(DataFileError) as e:
        load_catalogue(path, phrases())
    assert str(path) in str(e.value) and f": {key}: " in str(e.value) and problem in str(e.value)


def test_missing_or_unreadable_file_names_the_file(tmp_path):
    with pytest.raises(DataFileError, match="absent.toml: file not found"):
        load_phrases(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("facts = [", encoding="utf-8")
    with pytest.raises(DataFileError, match="bad.toml: not valid TOML"):
        load_phrases(bad)
