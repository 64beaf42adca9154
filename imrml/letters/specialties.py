"""A reviewer's verbatim credentials normalized: specialties to ABMS names, licensure states to USPS codes.

IMR letters state the expert reviewer's board certification(s) and state(s) of licensure as free
text ("Physical Medicine & Rehabilitation, Pain Management", "Orthopedic Surgery, Sports
Medicinea", "California, Texas"). This module maps them onto controlled vocabularies:

- specialties onto the ABMS certificate names of ``data/abms_specialties.csv`` (one row per
  certificate and board), through an exact match of a normalized key, a table of older or
  informal names (:data:`ALIASES`), and a close-spelling match for typos; professions that no
  ABMS board certifies (chiropractors, podiatrists, psychologists, ...) onto the names of
  ``data/non_abms_professions.csv`` (kind "profession"), never onto a look-alike ABMS name;
- states onto two-letter USPS codes (:data:`US_STATES`).

Names that match nothing are kept verbatim, in place, and also listed in ``unknown`` so that a
caller can report them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .datafiles import read_data_csv

# Older, informal or misspelt names seen in reviewer credentials -> ABMS certificate name.
# Keys are in the form produced by :func:`_key`.
ALIASES: dict[str, str] = {
    "family practice": "Family Medicine",
    "general practice": "Family Medicine",
    "pain management": "Pain Medicine",
    "interventional pain management": "Pain Medicine",
    "interventional pain medicine": "Pain Medicine",
    "physiatry": "Physical Medicine and Rehabilitation",
    "pmandr": "Physical Medicine and Rehabilitation",
    "pm and r": "Physical Medicine and Rehabilitation",
    "pmr": "Physical Medicine and Rehabilitation",
    "physical medicine and rehab": "Physical Medicine and Rehabilitation",
    "physical medicine": "Physical Medicine and Rehabilitation",
    "rehabilitation medicine": "Physical Medicine and Rehabilitation",
    "general surgery": "Surgery",
    "orthopaedics": "Orthopaedic Surgery",
    "orthopaedic": "Orthopaedic Surgery",
    "orthopaedic spine surgery": "Orthopaedic Surgery",
    "neurosurgery": "Neurological Surgery",
    "hand surgery": "Surgery of the Hand",
    "occupational and environmental medicine": "Occupational Medicine",
    "public health": "Public Health and General Preventive Medicine",
    "general preventive medicine": "Public Health and General Preventive Medicine",
    "female pelvic medicine and reconstructive surgery": "Urogynecology and Reconstructive Pelvic Surgery",
    "hospice and palliative care": "Hospice and Palliative Medicine",
    "palliative medicine": "Hospice and Palliative Medicine",
    "critical care": "Critical Care Medicine",
    "cardiology": "Cardiovascular Disease",
    "endocrinology": "Endocrinology, Diabetes and Metabolism",
    "infectious diseases": "Infectious Disease",
    "pulmonology": "Pulmonary Disease",
    "pulmonary medicine": "Pulmonary Disease",
    "otolaryngology": "Otolaryngology - Head and Neck Surgery",
    "ent": "Otolaryngology - Head and Neck Surgery",
    "obstetrics gynecology": "Obstetrics and Gynecology",
    "ob gyn": "Obstetrics and Gynecology",
    "obgyn": "Obstetrics and Gynecology",
    "radiology": "Diagnostic Radiology",
    "vascular and interventional radiology": "Interventional Radiology and Diagnostic Radiology",
    "interventional radiology": "Interventional Radiology and Diagnostic Radiology",
    "geriatrics": "Geriatric Medicine",
    "toxicology": "Medical Toxicology",
    "undersea medicine": "Undersea and Hyperbaric Medicine",
    "hyperbaric medicine": "Undersea and Hyperbaric Medicine",
    "psychosomatic medicine": "Consultation-Liaison Psychiatry",
    "thoracic surgery": "Thoracic and Cardiac Surgery",
    "cardiothoracic surgery": "Thoracic and Cardiac Surgery",
    "neurophysiology": "Clinical Neurophysiology",
    "electrodiagnostic medicine": "Clinical Neurophysiology",
    "spinal cord injury": "Spinal Cord Injury Medicine",
    "brain injury": "Brain Injury Medicine",
    "sleep disorders": "Sleep Medicine",
    "rheumatology": "Rheumatology",
}

# Words of a credential phrase that are not part of the specialty's name.
_NOISE = re.compile(
    r"^(?:(?:and\s+)?(?:is\s+)?(?:board[- ]certified|certified|diplomate|subspecialty|sub-specialty|"
    r"specialty|certification)s?\s+(?:in|of)\s+(?:the\s+)?)+|\(?\bABMS\b\)?|\bboard[- ]certified\b",
    re.I,
)

_FUZZY_CUTOFF = 0.9

# Licensed professions that no ABMS board certifies: never corrected into an ABMS name
# ("Podiatric Surgery" is not a typo of "Pediatric Surgery"); the profession table may know them.
NON_ABMS = re.compile(
    r"chiropract|podiatr|psycholog|dentist|dental|optometr|acupunct|physical therap|occupational therap|"
    r"nurse|nursing|pharmac|physician assistant|naturopath|speech",
    re.I,
)


def _key(text: str) -> str:
    """Comparison key: lower case, '&' -> 'and', British/US spelling of ortho-, no punctuation."""
    s = text.lower().replace("&", " and ")
    s = re.sub(r"\borthoped", "orthopaed", s)
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return " ".join(s.split())


@dataclass(frozen=True)
class Specialty:
    """One normalized specialty: the ABMS name, its kind, the boards it is read as, and how."""

    name: str
    kind: str  # "specialty" | "subspecialty" | "profession" | "unknown"
    boards: tuple[str, ...]
    verbatim: str
    how: str  # "exact" | "alias" | "fuzzy" | "context" | "profession" | "unknown"


@dataclass
class SpecialtyResult:
    """The normalized list: ``names`` in input order (unknown ones verbatim), ``unknown`` apart."""

    matches: list[Specialty] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.matches]

    @property
    def unknown(self) -> list[str]:
        return [m.verbatim for m in self.matches if m.how == "unknown"]


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """key -> (ABMS name, kind, boards) from ``data/abms_specialties.csv``.

    A name that is a specialty of one board and a subspecialty of another keeps "specialty".
    """
    out: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for row in read_data_csv("abms_specialties.csv"):
        k = _key(row["name"])
        name, kind, boards = out.get(k, (row["name"], row["kind"], ()))
        if row["kind"] == "specialty":
            kind = "specialty"
        out[k] = (name, kind, boards + (row["board"],))
    return out


@lru_cache(maxsize=1)
def professions() -> dict[str, tuple[str, str]]:
    """key (a name or one of its aliases) -> (profession, licensing board), from ``data/non_abms_professions.csv``."""
    out: dict[str, tuple[str, str]] = {}
    for row in read_data_csv("non_abms_professions.csv"):
        for alias in [row["name"], *row["aliases"].split(";")]:
            if alias.strip():
                out[_key(alias)] = (row["name"], row["board"])
    return out


def vocabulary_kind(name: str) -> str | None:
    """The kind of a normalized name ("specialty", "subspecialty", "profession"); None when in no vocabulary."""
    k = _key(name)
    if k in vocabulary():
        return vocabulary()[k][1]
    return "profession" if k in professions() else None


def _lookup(phrase: str) -> tuple[str, str] | None:
    """(ABMS name, how) for one phrase, or None."""
    vocab = vocabulary()
    k = _key(_NOISE.sub(" ", phrase))
    if not k:
        return None
    if k in vocab:
        return vocab[k][0], "exact"
    if k in ALIASES:
        return ALIASES[k], "alias"
    if k in professions():
        return professions()[k][0], "profession"
    if NON_ABMS.search(k):
        return None
    candidates = list(vocab) + list(ALIASES)
    for c in difflib.get_close_matches(k, candidates, n=3, cutoff=_FUZZY_CUTOFF):
        if _typo_of(k, c):
            return (vocab[c][0] if c in vocab else ALIASES[c]), "fuzzy"
    return None


def _typo_of(key: str, candidate: str) -> bool:
    """A typo keeps the words: same count, all equal but one, which keeps its first two letters."""
    a, b = key.split(), candidate.split()
    if len(a) != len(b):
        return False
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(diff) == 1 and diff[0][0][:2] == diff[0][1][:2]


def _pieces(text: str) -> list[str]:
    """Split a credentials string at commas, semicolons and slashes (rejoined later if need be)."""
    text = re.sub(r",?\s+(?:with|has)\s+(?:a\s+)?sub-?specialt(?:y|ies)\s+(?:in|of)\s+", ", ", text, flags=re.I)
    return [p.strip() for p in re.split(r"[,;/]|\s+-\s+|\n", text) if p.strip()]


def _match_string(text: str) -> list[tuple[str, str | None, str]]:
    """[(verbatim, ABMS name or None, how)] for one input string.

    The whole string is tried first; else its comma/semicolon/slash pieces, greedily joining
    adjacent pieces when the joined text is a name ("Endocrinology, Diabetes and Metabolism");
    an unknown piece is then tried split at "and"/"&" when every part is a name.
    """
    whole = _lookup(text)
    if whole:
        return [(text.strip(), whole[0], whole[1])]
    pieces = _pieces(text)
    out: list[tuple[str, str | None, str]] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            joined = ", ".join(pieces[i:j])
            hit = _lookup(joined)
            if hit:
                out.append((joined, hit[0], hit[1]))
                i = j
                break
        else:
            piece = pieces[i]
            parts = [p for p in re.split(r"\s+(?:and|&)\s+", piece) if p.strip()]
            hits = [_lookup(p) for p in parts] if len(parts) > 1 else [None]
            if all(hits):
                out.extend((p, h[0], h[1]) for p, h in zip(parts, hits, strict=True))
            else:
                out.append((piece, None, "unknown"))
            i += 1
    return out


def _resolve_boards(raw: list[tuple[str, str | None, str]]) -> list[Specialty]:
    """Attach kinds and boards, reading a subspecialty in the light of the listed specialties.

    A subspecialty offered by a board of a listed specialty is read as that board's. When none of
    those boards offers it but one offers a board-specific form of it, the name becomes that form
    ("Orthopedic Surgery, Sports Medicine" -> "Orthopaedic Sports Medicine").
    """
    vocab = vocabulary()
    context: set[str] = set()
    for _, name, how in raw:
        if name and how != "profession":
            _, kind, boards = vocab[_key(name)]
            if kind == "specialty":
                context.update(boards)
    out: list[Specialty] = []
    for verbatim, name, how in raw:
        if name is None:
            out.append(Specialty(verbatim, "unknown", (), verbatim, "unknown"))
            continue
        if how == "profession":
            out.append(Specialty(name, "profession", (professions()[_key(name)][1],), verbatim, how))
            continue
        abms, kind, boards = vocab[_key(name)]
        if kind == "subspecialty" and context:
            inside = tuple(b for b in boards if b in context)
            if inside:
                boards = inside
            else:
                variant = next(
                    (
                        v
                        for k, v in vocab.items()
                        if v[1] == "subspecialty" and k.endswith(" " + _key(abms)) and set(v[2]) & context
                    ),
                    None,
                )
                if variant:
                    abms, kind, boards, how = (
                        variant[0],
                        variant[1],
                        tuple(b for b in variant[2] if b in context),
                        "context",
                    )
        out.append(Specialty(abms, kind, boards, verbatim, how))
    return out


def normalize_specialties(values: str | Iterable[str]) -> SpecialtyResult:
    """Normalize a reviewer's specialties (one string or the parser's list) to ABMS names.

    >>> normalize_specialties(["Physical Medicine & Rehabilitation", "Pain Management"]).names
    ['Physical Medicine and Rehabilitation', 'Pain Medicine']
    >>> normalize_specialties("Orthopedic Surgery, Sports Medicinea").names
    ['Orthopaedic Surgery', 'Orthopaedic Sports Medicine']
    >>> normalize_specialties(["Chiropractor"]).names
    ['Chiropractic']
    >>> normalize_specialties(["Reiki Mastery"]).unknown
    ['Reiki Mastery']
    """
    strings = [values] if isinstance(values, str) else list(values)
    raw: list[tuple[str, str | None, str]] = []
    for s in strings:
        if s and s.strip():
            raw.extend(_match_string(s))
    seen: set[str] = set()
    matches = []
    for m in _resolve_boards(raw):
        if m.name not in seen:
            seen.add(m.name)
            matches.append(m)
    return SpecialtyResult(matches)


# --------------------------------------------------------------------------- licensure states

US_STATES: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "District of Columbia": "DC",
    "Puerto Rico": "PR",
    "Guam": "GU",
    "U.S. Virgin Islands": "VI",
    "American Samoa": "AS",
    "Northern Mariana Islands": "MP",
}
_STATE_ALIASES = {
    "washington dc": "DC",
    "washington d c": "DC",
    "d c": "DC",
    "virgin islands": "VI",
    "us virgin islands": "VI",
    "commonwealth of puerto rico": "PR",
    "commonwealth of massachusetts": "MA",
    "commonwealth of pennsylvania": "PA",
    "commonwealth of virginia": "VA",
    "commonwealth of kentucky": "KY",
}


def _state_key(text: str) -> str:
    s = re.sub(r"^\s*(?:the\s+)?state\s+of\s+", "", text.lower())
    return " ".join(re.sub(r"[^a-z]+", " ", s).split())


@lru_cache(maxsize=1)
def _state_index() -> dict[str, str]:
    idx = {_state_key(name): code for name, code in US_STATES.items()}
    idx.update(_STATE_ALIASES)
    return idx


def state_code(text: str) -> str | None:
    """USPS code of one state name or code ("California", "Calif.", "ca", "Californa"), or None."""
    raw = text.strip().rstrip(".")
    if re.fullmatch(r"[A-Za-z]{2}", raw) and raw.upper() in US_STATES.values():
        return raw.upper()
    k = _state_key(raw)
    idx = _state_index()
    if k in idx:
        return idx[k]
    prefix = [code for name, code in idx.items() if len(k) >= 4 and name.startswith(k)]
    if len(set(prefix)) == 1:  # abbreviations such as "Calif", "Penn", "Mass"
        return prefix[0]
    close = difflib.get_close_matches(k, list(idx), n=1, cutoff=0.85)
    return idx[close[0]] if close else None


@dataclass
class StateResult:
    """Codes in input order (unknown names kept verbatim) and the unknown names apart."""

    codes: list[str]
    unknown: list[str]


def normalize_states(values: str | Iterable[str]) -> StateResult:
    """Normalize licensure states to USPS codes.

    >>> normalize_states(["California", "New York"]).codes
    ['CA', 'NY']
    >>> normalize_states("Texas, Ohio and Florida").codes
    ['TX', 'OH', 'FL']
    """
    strings = [values] if isinstance(values, str) else list(values)
    parts: list[str] = []
    for s in strings:
        if state_code(s or ""):
            parts.append(s)
        else:
            parts.extend(p for p in re.split(r"\s*[,;/]\s*|\s+and\s+|\s*&\s*", s or "") if p.strip())
    codes: list[str] = []
    unknown: list[str] = []
    for p in parts:
        c = state_code(p)
        if c is None:
            unknown.append(p.strip())
            codes.append(p.strip())
        elif c not in codes:
            codes.append(c)
    return StateResult(codes, unknown)
