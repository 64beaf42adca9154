"""The two data files the generator draws from, loaded once and checked.

- ``data/synth_catalogue.toml``: the treatments (topic, requests, guideline
  citations, how case facts move the odds of Overturned) and the body regions;
- ``data/phrases.toml``: the words of the letters (case fact sentences, reasons,
  guideline statements, verdicts, occupations, credentials, the fixed paragraphs).

Each file is checked against its shape below when first read, so a typo fails at
once with a :class:`DataFileError` naming the file and the key (a missing or
unknown key, a value of the wrong type, a ``{placeholder}`` the code does not
fill) rather than as a KeyError in the middle of a corpus, or not at all.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


class DataFileError(ValueError):
    """A data file of the generator does not have the expected shape."""

    def __init__(self, path: object, key: str, problem: str):
        super().__init__(f"{path}: {key}: {problem}" if key else f"{path}: {problem}")
        self.path = str(path)
        self.key = key


# ----------------------------------------------------------------------------- shapes
# A shape is a type (str, int, bool; float for any number), a dict of keys to shapes
# (a table with exactly these keys), a list holding one shape (an array of them), a
# tuple of shapes (an array of that length), or one of the classes below.


class Text:
    """A string whose ``{placeholders}`` are among ``fields``."""

    def __init__(self, *fields: str):
        self.fields = frozenset(fields)


class Bank:
    """A non-empty array of :class:`Text` (the phrasings one is drawn from)."""

    def __init__(self, *fields: str):
        self.text = Text(*fields)


@dataclass(frozen=True)
class Each:
    """A table with keys of the file's choosing, every value of ``shape``."""

    shape: Any


@dataclass(frozen=True)
class Default:
    """A key that may be left out, ``default`` then filled in."""

    shape: Any
    default: Any


@dataclass(frozen=True)
class OneOf:
    """A string from a fixed set."""

    values: tuple[str, ...]


def _kind(value: object) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )


def _check(value: Any, shape: Any, path: object, key: str) -> None:
    """Raise DataFileError at the first part of ``value`` (at ``key``) that does not fit ``shape``."""

    def bad(expected: str) -> DataFileError:
        return DataFileError(path, key, f"expected {expected}, found {_kind(value)}")

    def sub(k: str) -> str:
        return f"{key}.{k}" if key else k

    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise bad("a table")
        for k in value:
            if k not in shape:
                raise DataFileError(path, sub(k), "unknown key")
        for k, s in shape.items():
            if isinstance(s, Default):
                if k not in value:  # a list default is copied, so that entries do not share one
                    value[k] = list(s.default) if isinstance(s.default, list) else s.default
                    continue
                s = s.shape
            if k not in value:
                raise DataFileError(path, sub(k), "missing key")
            _check(value[k], s, path, sub(k))
    elif isinstance(shape, Each):
        if not isinstance(value, dict):
            raise bad("a table")
        for k, v in value.items():
            _check(v, shape.shape, path, sub(k))
    elif isinstance(shape, (list, Bank)):
        if not isinstance(value, list):
            raise bad("an array")
        if isinstance(shape, Bank) and not value:
            raise DataFileError(path, key, "expected at least one phrasing, found an empty array")
        element = shape.text if isinstance(shape, Bank) else shape[0]
        for i, v in enumerate(value):
            _check(v, element, path, f"{key}[{i}]")
    elif isinstance(shape, tuple):
        if not isinstance(value, list) or len(value) != len(shape):
            raise bad(f"an array of {len(shape)}")
        for i, (v, s) in enumerate(zip(value, shape, strict=True)):
            _check(v, s, path, f"{key}[{i}]")
    elif isinstance(shape, Text):
        if not isinstance(value, str):
            raise bad("a string")
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as e:
            raise DataFileError(path, key, f"bad placeholder in {value!r}: {e}") from None
        unknown = sorted(names - shape.fields)
        if unknown:
            allowed = ", ".join(f"{{{f}}}" for f in sorted(shape.fields)) or "none"
            raise DataFileError(path, key, f"unknown placeholder {{{unknown[0]}}} in {value!r} (allowed: {allowed})")
    elif isinstance(shape, OneOf):
        if value not in shape.values:
            raise bad("one of " + ", ".join(shape.values))
    elif shape is float:
        if type(value) not in (int, float):
            raise bad("a number")
    elif type(value) is not shape:  # `type is`, as TOML booleans must not pass for integers
        raise bad({str: "a string", int: "an integer", bool: "a boolean"}[shape])


# {placeholders} the code fills in each kind of sentence
FACT_FIELDS = ("name", "Name", "part", "who", "Who", "pos", "n", "small", "hi", "lo", "since")
OPENER_FIELDS = ("age", "sex", "occupation", "mechanism", "injury_date", "noun", "Noun")

PHRASES_SHAPE = {
    "facts": Each(
        {"p": float, "yes": Bank(*FACT_FIELDS), "no": Bank(*FACT_FIELDS), "reason_yes": Bank(), "reason_no": Bank()}
    ),
    "summary": {
        "opener": Bank(*OPENER_FIELDS),
        "opener_sex_unstated": Bank(*OPENER_FIELDS),
        "diagnoses": Bank("diagnoses", "Who"),
        "visit": Bank("visit_date", "who", "complaint", "pain"),
        "treatment_to_date": Bank("care"),
        "utilization_review": Bank("ur_date", "verb", "requests", "s", "was"),
    },
    "rationale": {
        "generic_for": Bank(),
        "generic_against": Bank(),
        "openers": Bank(),
        "joiners": Bank(),
        "verdict_upheld": Bank("item"),
        "verdict_overturned": Bank("item"),
        "guidance": Each(Bank()),
    },
    "worker": {"occupations": Bank(), "mechanisms": Bank(), "general_diagnoses": Bank(), "prior_care": Bank()},
    "reviewer": {"states": Bank(), "specialties": [{"boards": Bank(), "weight": float}], "specialty_prose": Each(str)},
    "guidelines": {
        "odg_name": str,
        "other_references": Bank("topic"),
        "mtus_printed": Each(str),
        "acoem_chapter": Each(int),
    },
    "letter": {"how_made": Bank(), "summary_intro": Text(), "final_determination": Text()},
    "letter_2013": {
        "opening": Bank(),
        "binding": Bank(),
        "how_made": Bank(),
        "determination": Text("item", "verdict"),
        "section_label": Text("who"),
        "acoem_citation": Text("chapter", "doc"),
    },
}

KINDS = ("medication", "therapy", "study", "procedure", "equipment", "program", "lab", "visit")

CATALOGUE_SHAPE = {
    "regions": Each({"parts": Bank(), "doc": str, "year": int, "chapter": str, "diagnoses": Bank(), "complaint": str}),
    "treatment": [
        {
            "key": str,
            "topic": str,
            "kind": OneOf(KINDS),
            "weight": float,
            "prior": float,
            "regional": Default(bool, False),
            "names": Bank(),
            "requests": Bank("qty", "part"),
            "qty": Default([int], []),
            "effects": Each(float),
            "mtus": [{"doc": str, "year": int, "sections": [str]}],
            "pages14": [(str, str)],
            "odg": Bank("chapter"),
            "odg_weight": float,
        }
    ],
}

# ----------------------------------------------------------------------------- loading


def _data_file(name: str) -> Traversable:
    return resources.files("imrml.synth").joinpath("data", name)


def _read(path: Path | Traversable, shape: dict) -> dict:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DataFileError(path, "", "file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise DataFileError(path, "", f"not valid TOML: {e}") from None
    _check(data, shape, path, "")
    return data


def load_phrases(path: Path | Traversable) -> dict:
    """The phrases file at ``path``, checked (see ``data/phrases.toml`` for what each key holds)."""
    return _read(path, PHRASES_SHAPE)


def load_catalogue(path: Path | Traversable, phrase_book: dict) -> dict:
    """The catalogue at ``path``, checked, and checked against ``phrase_book`` for the facts and topics it needs."""
    data = _read(path, CATALOGUE_SHAPE)
    for i, t in enumerate(data["treatment"]):
        where, name = f"treatment[{i}]", t["key"]
        for fact in t["effects"]:
            if fact not in phrase_book["facts"]:
                raise DataFileError(
                    path, f"{where}.effects.{fact}", f"unknown fact of {name} (no [facts.{fact}] phrases)"
                )
        if t["topic"] not in phrase_book["rationale"]["guidance"]:
            raise DataFileError(path, f"{where}.topic", f"{t['topic']!r} of {name} has no [rationale.guidance] phrases")
        if not t["qty"] and any("{qty}" in r for r in t["requests"]):
            raise DataFileError(path, f"{where}.qty", f"{name} has requests with {{qty}} but no counts to draw")
        for j, c in enumerate(t["mtus"]):
            for s in c["sections"]:
                # the parser splits sections on ", " unless the next piece starts lowercase
                for piece in s.split(", ")[1:]:
                    if piece[:1].isupper():
                        raise DataFileError(path, f"{where}.mtus[{j}].sections", f"{s!r} would be split by the parser")
    return data


@lru_cache(maxsize=1)
def phrases() -> dict:
    """The words of the letters (``imrml/synth/data/phrases.toml``), read and checked once."""
    return load_phrases(_data_file("phrases.toml"))


@lru_cache(maxsize=1)
def catalogue() -> dict:
    """The treatment catalogue (``imrml/synth/data/synth_catalogue.toml``), read and checked once."""
    return load_catalogue(_data_file("synth_catalogue.toml"), phrases())
