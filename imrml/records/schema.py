"""The one record schema of imrml: parser, labels, features and scorer all use it.

A letter yields one :class:`ItemRecord` per disputed item. Letter-level fields
(case id, dates, reviewer, case summary) are repeated on every item so a record
stands alone in a JSONL line, a Parquet row or a DataFrame row.

The field list is documented once, in README.md ("The record").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SOURCES = ("MTUS", "ODG", "ACOEM", "other", "none")
UPHELD = "Upheld"
OVERTURNED = "Overturned"


@dataclass
class Citation:
    """One guideline cited by the claims administrator or by the IMR reviewer."""

    source: str  # one of SOURCES
    document: str | None = None  # e.g. "Chronic Pain Medical Treatment Guidelines", "Low Back Complaints"
    year: int | None = None
    sections: list[str] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    text: str = ""  # the citation as written, whitespace normalized

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Citation:
        return cls(
            source=d["source"],
            document=d.get("document"),
            year=d.get("year"),
            sections=list(d.get("sections") or []),
            pages=[int(p) for p in (d.get("pages") or [])],
            text=d.get("text") or "",
        )


@dataclass
class ItemRecord:
    """One disputed item of one letter, with its letter's fields."""

    # from the letter
    source_file: str
    case_id: str
    template: str  # "2013", "2014" or "2016": the letter generation it parsed as
    decision_date: str | None = None  # ISO dates or None
    date_assigned: str | None = None
    ur_denial_date: str | None = None
    application_received: str | None = None
    date_of_injury: str | None = None
    priority: str | None = None
    reviewer_specialties: list[str] = field(default_factory=list)
    reviewer_licensure: list[str] = field(default_factory=list)
    # the same in controlled vocabularies (imrml.letters.specialties); a name that maps to nothing stays verbatim
    reviewer_specialties_normalized: list[str] = field(default_factory=list)  # ABMS names, or a non-ABMS profession
    reviewer_licensure_normalized: list[str] = field(default_factory=list)  # two-letter USPS codes
    patient_age: int | None = None
    patient_sex: str | None = None  # "male", "female" or None
    case_summary: str = ""
    # from the item
    item_index: int = 1
    item: str = ""
    original_request: str | None = None  # set when only an "IMR eligible portion" was disputed
    # the item as requested, read into fields (imrml.letters.requested); None where the text does not say
    request_kind: str | None = None  # "medication" or "service"
    drug_generic: str | None = None  # active ingredients, "/"-joined ("hydrocodone/acetaminophen")
    drug_class: str | None = None  # "opioids", "muscle relaxants", ...
    drug_strength: str | None = None  # "10/325 mg"
    drug_quantity: str | None = None  # "60", "120 g"
    drug_frequency: str | None = None  # "q8h PRN", "BID"
    service_type: str | None = None  # "physical therapy", "MRI", "EMG/NCV", ...
    body_parts: list[str] = field(default_factory=list)  # "lumbar spine", "knee", ...
    sessions: int | None = None  # sessions or visits requested
    decision: str | None = None  # "Upheld", "Overturned", another verb verbatim; None before review
    claims_guideline_text: str = ""
    reviewer_guideline_text: str = ""
    claims_guideline: list[Citation] = field(default_factory=list)
    reviewer_guideline: list[Citation] = field(default_factory=list)
    rationale: str = ""
    # the reviewer's conclusion read from the rationale (imrml.letters.verdict): upheld, overturned, partial,
    # unclear; None before review. verdict_disagrees: it contradicts the stated decision (check such letters by hand)
    rationale_verdict: str | None = None
    verdict_disagrees: bool = False
    # labels (imrml.labels fills them from the citations; None until labelled)
    guideline_family: str | None = None  # reviewer's families, combined: "MTUS", "MTUS+ODG", "none", ...
    guideline_topic: str | None = None  # reviewer's primary topic
    claims_guideline_family: str | None = None  # the same for the claims administrator (exists before review)
    claims_guideline_topic: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ItemRecord:
        """A record from a dict (a JSON line, a table row); unknown keys are ignored, whole numbers written as
        text (a CSV cell) become ints, and anything else that is not a whole number raises ValueError."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        for key in _INT_FIELDS:
            if kw.get(key) is not None:
                kw[key] = whole_number(kw[key], key)
        for key in _BOOL_FIELDS:
            if key in kw:
                kw[key] = truth_value(kw[key], key)
        for key in ("claims_guideline", "reviewer_guideline"):
            kw[key] = [c if isinstance(c, Citation) else Citation.from_dict(c) for c in (kw.get(key) or [])]
        for key in LIST_FIELDS:
            kw[key] = list(kw.get(key) or [])
        return cls(**kw)


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ItemRecord))
_INT_FIELDS = ("item_index", "patient_age", "sessions")
_BOOL_FIELDS = ("verdict_disagrees",)
LIST_FIELDS = (
    "reviewer_specialties",
    "reviewer_licensure",
    "reviewer_specialties_normalized",
    "reviewer_licensure_normalized",
    "body_parts",
)


def whole_number(value: Any, name: str) -> int:
    """``value`` as an int (3, 3.0, "3"), or ValueError naming the field."""
    if isinstance(value, bool):
        raise ValueError(f"{name} is not a whole number: {value!r}")
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} is not a whole number: {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"{name} is not a whole number: {value!r}")
    return int(number)


def truth_value(value: Any, name: str) -> bool:
    """``value`` as a bool (True, "true", "False", 1, 0; missing is False), or ValueError naming the field."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError(f"{name} is not true or false: {value!r}")


@dataclass
class Letter:
    """A parsed letter: its source, the generation it parsed as, and its items."""

    source_file: str
    case_id: str
    template: str
    items: list[ItemRecord]


@dataclass
class Reject:
    """An input (a file, or a row of a file) that produced no record, and why."""

    source: str
    reason: str
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"source": self.source, "reason": self.reason}
        if self.row is not None:
            d["row"] = self.row
        return d

    def __str__(self) -> str:
        where = f" row {self.row}" if self.row is not None else ""
        return f"{self.source}{where}: {self.reason}"
