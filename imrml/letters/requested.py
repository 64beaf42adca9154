"""An item as requested ("Norco 10/325mg #60 one tablet Q8 hours PRN") read into fields.

An IMR letter names each disputed item as the provider requested it. :func:`parse_request` reads
that text into a :class:`Request`:

- ``kind``: "medication" or "service";
- medications: the generic (active ingredients, "/"-joined) and drug class from ``data/drugs.csv``
  (brand names, generic names, typos of 6+ letters, workers'-compensation kits), strength, quantity
  and frequency;
- services: a service type (``data/service_types.csv``: physical therapy, chiropractic, MRI,
  EMG/NCV, injection, surgery, DME, ...), body parts (``data/body_parts.csv``), and the number of
  sessions or visits when a therapy request states one ("x 8", "2x4", "2 times a week for 4 weeks").

A request is *matched* when a medication has a generic or a service has a type; the text stays in
the record either way. Not named ``requests``: a module of that name would shadow the HTTP library
MLflow imports.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from .datafiles import read_data_csv

MEDICATION = "medication"
SERVICE = "service"

_NUMBER_WORDS = {
    "once": 1,
    "one": 1,
    "single": 1,
    "twice": 2,
    "two": 2,
    "thrice": 3,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "eighteen": 18,
    "twenty": 20,
    "twenty-four": 24,
    "thirty": 30,
}
_NUM = r"(?:\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"


def _num(token: str) -> int:
    token = token.lower()
    return int(token) if token.isdigit() else _NUMBER_WORDS[token]


@dataclass
class Request:
    """One item as requested, read into fields (None where the text does not say)."""

    kind: str  # MEDICATION | SERVICE
    generic: str | None = None  # also set for a service that names a drug ("Toradol injection")
    drug_class: str | None = None
    strength: str | None = None  # medications: "10/325 mg", "5%", ...
    quantity: str | None = None  # "60", "120 g"
    frequency: str | None = None  # "q8h PRN", "BID", "daily", ...
    service_type: str | None = None
    body_parts: list[str] = field(default_factory=list)
    sessions: int | None = None  # the upper end when a range is requested ("2-3 times a week for 6 weeks" -> 18)

    @property
    def matched(self) -> bool:
        """A medication with a generic, or a service with a type."""
        return bool(self.generic) if self.kind == MEDICATION else bool(self.service_type)

    def record_fields(self) -> dict[str, Any]:
        """The request's fields under their ItemRecord names."""
        return {
            "request_kind": self.kind,
            "drug_generic": self.generic,
            "drug_class": self.drug_class,
            "drug_strength": self.strength,
            "drug_quantity": self.quantity,
            "drug_frequency": self.frequency,
            "service_type": self.service_type,
            "body_parts": list(self.body_parts),
            "sessions": self.sessions,
        }


# --------------------------------------------------------------------------- drugs


@dataclass(frozen=True)
class Drug:
    name: str
    generic: str
    drug_class: str


@lru_cache(maxsize=1)
def drug_table() -> dict[str, Drug]:
    """Lower-cased name -> :class:`Drug`, from ``data/drugs.csv``."""
    return {r["name"].lower(): Drug(r["name"], r["generic"], r["drug_class"]) for r in read_data_csv("drugs.csv")}


@lru_cache(maxsize=1)
def _drug_regex() -> re.Pattern[str]:
    names = sorted(drug_table(), key=len, reverse=True)
    alts = [r"\s*".join(re.escape(w) for w in n.split()) for n in names]
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(alts) + r")(?![A-Za-z])", re.I)


FUZZY_CUTOFF = 0.85


@lru_cache(maxsize=1)
def _single_word_names() -> tuple[str, ...]:
    return tuple(n for n in drug_table() if " " not in n and "/" not in n and len(n) >= 6)


@lru_cache(maxsize=1)
def _name_letter_counts() -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Each single-word name as counts of its characters (character -> column), and the names' lengths."""
    names = _single_word_names()
    columns = {c: i for i, c in enumerate(sorted({c for n in names for c in n}))}
    counts = np.zeros((len(names), len(columns)), np.int16)
    for row, name in enumerate(names):
        for c in name:
            counts[row, columns[c]] += 1
    return columns, counts, np.array([len(n) for n in names])


def _names_that_may_match(word: str) -> list[str]:
    """The single-word names whose similarity to ``word`` can reach the cutoff: difflib's ratio is at most its
    quick_ratio, 2 * (characters in common, as multisets) / (a + b), computed here for every name at once; the
    rest get_close_matches would drop anyway, so the match is the same, found without comparing each name."""
    columns, counts, lengths = _name_letter_counts()
    mine = np.zeros(counts.shape[1], np.int16)
    for c in word:
        if c in columns:
            mine[columns[c]] += 1
    common = np.minimum(counts, mine).sum(axis=1)
    names = _single_word_names()
    return [names[i] for i in np.flatnonzero(2 * common >= FUZZY_CUTOFF * (len(word) + lengths))]


@lru_cache(maxsize=65536)
def _fuzzy_drug(word: str) -> Drug | None:
    """A misspelt single-word drug name ("lorezepam", lower-cased) -> its entry; only words of 6+ letters.
    Cached: the words of requests repeat from letter to letter."""
    if len(word) < 6:
        return None
    close = difflib.get_close_matches(word, _names_that_may_match(word), n=1, cutoff=FUZZY_CUTOFF)
    return drug_table()[close[0]] if close else None


# Words of requests that are never drug names, so never typo-matched to one.
_NOT_DRUGS = frozenset(
    [
        "therapy",
        "sessions",
        "session",
        "physical",
        "chiropractic",
        "lumbar",
        "cervical",
        "thoracic",
        "injection",
        "retrospective",
        "service",
        "associated",
        "surgical",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "contrast",
        "bilateral",
        "shoulder",
        "extremity",
        "extremities",
        "patches",
        "unknown",
        "quantity",
        "container",
        "months",
        "coverage",
        "supply",
        "refills",
        "purchase",
        "rental",
        "request",
        "medication",
        "medications",
        "compound",
        "compounded",
    ]
)


def find_drugs(text: str) -> list[tuple[str, Drug]]:
    """Every drug named in ``text``, in text order, as (text matched, :class:`Drug`).

    Exact names first; then each remaining word of 6+ letters is tried as a misspelt single-word
    name ("Hydrocodne", "Lorezepam").
    """
    found: list[tuple[int, str, Drug]] = []
    taken: list[tuple[int, int]] = []
    for m in _drug_regex().finditer(text):
        found.append((m.start(), m.group(0), drug_table()[" ".join(m.group(0).lower().split())]))
        taken.append((m.start(), m.end()))
    for m in re.finditer(r"[A-Za-z][A-Za-z-]{5,}", text):
        word = m.group(0).lower()
        if any(s <= m.start() < e for s, e in taken) or word in _NOT_DRUGS:
            continue
        d = _fuzzy_drug(word)
        if d:
            found.append((m.start(), m.group(0), d))
    return [(w, d) for _, w, d in sorted(found, key=lambda t: t[0])]


_TOPICAL = re.compile(
    r"\b(?:cream|gel|ointment|lotion|patch(?:es)?|topical|transdermal|pad|spray|liniment|balm|roll-on)\b|%", re.I
)
_COMPOUNDED = re.compile(r"\b(?:cream base|compound(?:ed)?|in (?:a )?(?:lipoderm|versapro|pcca)|base)\b", re.I)
# Systemic classes that become topical when the request is for a cream, gel, patch, ...
_TOPICALIZABLE = frozenset(
    [
        "NSAIDs",
        "muscle relaxants",
        "anticonvulsants",
        "antidepressants",
        "corticosteroids",
        "non-opioid analgesics",
        "other",
    ]
)


def _read_drugs(text: str) -> tuple[str | None, str | None, str | None]:
    """(first drug as written, generic, class) of the drugs named in a request.

    A drug named twice ("Norco (hydrocodone/acetaminophen)") counts once; several ingredients join
    with "/" and a cream, gel or compound of them is a topical compound.
    """
    found = find_drugs(text)
    if not found:
        return None, None, None
    kept: list[Drug] = []
    ingredients: list[str] = []
    for _, d in found:
        parts = [g.strip() for g in d.generic.split("/") if g.strip()]
        if all(i in ingredients for i in parts):
            continue
        kept.append(d)
        ingredients.extend(i for i in parts if i not in ingredients)
    first = kept[0]
    topical = bool(_TOPICAL.search(text))
    if len(kept) > 1:
        cls = "topical compounds" if topical or _COMPOUNDED.search(text) else first.drug_class
        return found[0][0], "/".join(ingredients), cls
    cls = first.drug_class
    if topical and cls in _TOPICALIZABLE:
        cls = "topical compounds" if _COMPOUNDED.search(text) else "topical analgesics"
    return found[0][0], first.generic, cls


# --------------------------------------------------------------------------- medication fields

_STRENGTH = re.compile(
    r"(?<![\w.])(\d*\.?\d+(?:\s*/\s*\d*\.?\d+)*)\s*(mg|mcg|µg|%|units?|meq|mg/ml|mg/5ml)(?![a-z])", re.I
)
_GRAMS = re.compile(r"(?<![\w.])#?\s*(\d*\.?\d+)\s*(?:g|gm|gms|grams?)\b", re.I)
_QTY = re.compile(r"(?:#|\bqty\.?:?|\bquantity:?)\s*(\d+)(?!\s*(?:mg|mcg|%))", re.I)
_TIMES_A_DAY = r"times (?:a|per) day|x(?:/| a | per )?day"
_FREQUENCIES = [
    (re.compile(r"\bq\.?\s*(\d+)\s*(?:h|hr|hrs|hours?)\b|\bevery\s+(\d+)\s*(?:-\s*\d+\s*)?hours?\b", re.I), None),
    (re.compile(rf"\b(?:qid|(?:four|4) ?(?:{_TIMES_A_DAY}))\b", re.I), "QID"),
    (re.compile(rf"\b(?:tid|(?:three|3) ?(?:{_TIMES_A_DAY}))\b", re.I), "TID"),
    (re.compile(rf"\b(?:bid|twice (?:a |per )?day|twice daily|(?:two|2) ?(?:{_TIMES_A_DAY}))\b", re.I), "BID"),
    (re.compile(r"\b(?:qhs|hs|at bedtime|at night|nightly|before bed)\b", re.I), "QHS"),
    (
        re.compile(r"\b(?:qd|daily|once (?:a )?day|one (?:a )?day|once daily|one daily|every day|per day)\b", re.I),
        "daily",
    ),
    (re.compile(r"\b(?:weekly|once (?:a|per) week|every week)\b", re.I), "weekly"),
]
_PRN = re.compile(r"\b(?:prn|as needed)\b", re.I)
_NOT_A_STRENGTH = re.compile(r"\s*(?:g|gm|grams?|days?|months?|weeks?|refills?|times|x)\b", re.I)


def _strength(text: str, drug_written: str | None) -> str | None:
    found = []
    for m in _STRENGTH.finditer(text):
        amount = re.sub(r"\s+", "", m.group(1))
        unit = m.group(2).lower()
        found.append(f"{amount}%" if unit == "%" else f"{amount} {unit}")
    if found:
        return ", ".join(dict.fromkeys(found))
    if drug_written:  # "Klonopin .5 #30": a bare number right after the drug's name
        m = re.search(re.escape(drug_written) + r"\s+(\d*\.?\d+(?:/\d*\.?\d+)*)", text, re.I)
        if m and not _NOT_A_STRENGTH.match(text[m.end() :]):
            return m.group(1)
    return None


def _quantity(text: str) -> str | None:
    m = _QTY.search(text)
    if m:
        grams = re.match(r"\s*(?:g|gm|gms|grams?)\b", text[m.end() :], re.I)
        return f"{m.group(1)} g" if grams else m.group(1)
    m = _GRAMS.search(text)
    if m:
        return f"{m.group(1)} g"
    m = re.search(rf"\b({_NUM})\s+(?:containers?|tubes?|bottles?|boxes|box|patches)\b", text, re.I)
    return str(_num(m.group(1))) if m else None


def _frequency(text: str) -> str | None:
    freq = None
    for rx, label in _FREQUENCIES:
        m = rx.search(text)
        if m:
            freq = label or f"q{m.group(1) or m.group(2)}h"
            break
    if _PRN.search(text):
        freq = f"{freq} PRN" if freq else "PRN"
    return freq


# --------------------------------------------------------------------------- services


@lru_cache(maxsize=1)
def service_types() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Ordered (service type, pattern) rows of ``data/service_types.csv``: the first match names the type."""
    return tuple((r["service_type"], re.compile(r["pattern"], re.I)) for r in read_data_csv("service_types.csv"))


@lru_cache(maxsize=1)
def body_part_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(body part, pattern) rows of ``data/body_parts.csv``."""
    return tuple((r["body_part"], re.compile(r["pattern"], re.I)) for r in read_data_csv("body_parts.csv"))


def _body_parts(text: str) -> list[str]:
    parts = [b for b, rx in body_part_patterns() if rx.search(text)]
    if "spine" in parts and any(p.endswith(" spine") for p in parts):
        parts.remove("spine")
    return parts


# A counted heat/ice/e-stim treatment is a modality; an uncounted wrap, pad or unit is equipment.
_COUNTED = re.compile(
    rf"\btimes\s+{_NUM}\b|\bsessions?\b|\bvisits?\b|{_NUM}\s*(?:x|times)\s*(?:a|per|/)?\s*(?:week|wk)", re.I
)
_EQUIPMENT = re.compile(r"\b(?:unit|pad|wrap|pack|purchase|rental)\b", re.I)

_PER_WEEK = re.compile(
    rf"({_NUM})(?:\s*-\s*({_NUM}))?\s*(?:x|times|visits|sessions)?\s*(?:a|per|/)?\s*(?:week|weekly|wk)\s*"
    rf"(?:for|x|times|over)?\s*(?:a total of\s*)?({_NUM})(?:\s*-\s*({_NUM}))?\s*(?:weeks?|wks?)",
    re.I,
)
_TIMES_WEEKLY_SHORT = re.compile(r"\b(\d)\s*x\s*(\d)\b", re.I)  # "2x4"
_TIMES_N_BY_M = re.compile(rf"\b({_NUM})\s+times\s+({_NUM})\b(?!\s*(?:a|per)\b)", re.I)  # "two times four visits"
_PAREN_COUNT = re.compile(
    r"\((\d+)\)(?:\s*(?:sessions|visits|treatments))?|\((\d+)\s*(?:sessions|visits|treatments)\)", re.I
)
_N_SESSIONS = re.compile(
    rf"\b({_NUM})\s*(?:\(\d+\)\s*)?(?:additional\s+)?(?:[a-z/-]+\s+){{0,3}}?(?:sessions?|visits?|treatments?)\b", re.I
)
_HASH_COUNT = re.compile(r"#\s*(\d+)\b")
_TIMES_COUNT = re.compile(rf"\b(?:times|x)\s*({_NUM})\b(?!\s*(?:a|per)\b)", re.I)
# Services that come in a number of sessions or visits.
_COUNTED_TYPES = frozenset(
    [
        "physical therapy",
        "occupational therapy",
        "chiropractic",
        "acupuncture",
        "physical modality",
        "psychological",
        "home health",
        "consultation",
    ]
)


def _sessions(text: str) -> int | None:
    """The number of sessions or visits a request states (the upper end of a range), or None."""
    m = _PAREN_COUNT.search(text)
    if m:
        return int(m.group(1) or m.group(2))
    m = _PER_WEEK.search(text)
    if m:
        per_week = _num(m.group(2) or m.group(1))
        weeks = _num(m.group(4) or m.group(3))
        return per_week * weeks
    counts = [_num(m.group(1)) for m in _N_SESSIONS.finditer(text)]
    if counts:  # "two ... sessions for the knee and eight ... sessions for the wrist" -> 10
        return sum(counts)
    m = _TIMES_WEEKLY_SHORT.search(text) or _TIMES_N_BY_M.search(text)
    if m:
        return _num(m.group(1)) * _num(m.group(2))
    m = _HASH_COUNT.search(text) or _TIMES_COUNT.search(text)
    return _num(m.group(1)) if m else None


def _service_type(body: str) -> str | None:
    stype = next((t for t, rx in service_types() if rx.search(body)), None)
    if stype in ("DME", "physical modality"):
        modality = next(rx for t, rx in service_types() if t == "physical modality")
        if modality.search(body) and _COUNTED.search(body):
            return "physical modality"
        if stype == "physical modality" and _EQUIPMENT.search(body):
            return "DME"
    return stype


# --------------------------------------------------------------------------- the reader

_ASSOCIATED = re.compile(r"^\s*associated surgical services?\s*:\s*", re.I)
_DATE_OF_SERVICE = re.compile(r"\b(?:DOS|date of service)\s*:?\s*\d{1,2}/\d{1,2}/\d{2,4}", re.I)
_PROCEDURE_WITH_DRUG = re.compile(
    r"inject|infusion|\bblock\b|epidural|trigger point|intra-?articular|\bIM\b|\bIV\b", re.I
)
_MEDICATION_CUE = re.compile(
    r"\d\s*(?:mg|mcg|µg|ml)\b|\d\s*%|\b(?:tabs?|tablets?|caps?|capsules?|cream|gel|ointment|lotion|"
    r"suspension|solution|patch|refills?|by mouth|p\.?o\.?|medication|drug)\b",
    re.I,
)


def parse_request(text: str | None) -> Request:
    """Read one item as requested into a :class:`Request` (a copy of the one read before from the same words:
    requests repeat from letter to letter)."""
    read = _cached_request(" ".join((text or "").split()))
    return replace(read, body_parts=list(read.body_parts))


@lru_cache(maxsize=65536)
def _cached_request(text: str) -> Request:
    return _request_of(text)


def _request_of(text: str | None) -> Request:
    """Read one item as requested into a :class:`Request`.

    >>> r = parse_request("Norco 10/325mg #60 one tablet Q8 hours PRN")
    >>> (r.kind, r.generic, r.drug_class, r.strength, r.quantity, r.frequency)
    ('medication', 'hydrocodone/acetaminophen', 'opioids', '10/325 mg', '60', 'q8h PRN')
    >>> r = parse_request("Physical therapy 2x4 lumbar spine")
    >>> (r.kind, r.service_type, r.body_parts, r.sessions)
    ('service', 'physical therapy', ['lumbar spine'], 8)
    """
    body = _ASSOCIATED.sub("", " ".join((text or "").split()))
    body = re.sub(r"\(\s*\)", " ", _DATE_OF_SERVICE.sub(" ", body))
    drug, generic, cls = _read_drugs(body)
    stype = _service_type(body)
    if drug and _PROCEDURE_WITH_DRUG.search(body):
        stype = "injection"
    elif drug or (stype is None and _MEDICATION_CUE.search(body)):
        return Request(
            MEDICATION,
            generic=generic,
            drug_class=cls,
            strength=_strength(body, drug),
            quantity=_quantity(body),
            frequency=_frequency(body),
        )
    return Request(
        SERVICE,
        generic=generic,
        drug_class=cls,
        service_type=stype,
        body_parts=_body_parts(body),
        sessions=_sessions(body) if stype in _COUNTED_TYPES or stype is None else None,
    )
