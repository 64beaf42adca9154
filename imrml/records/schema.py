"""The one record schema of imrml: parser, labels, features and scorer all use it.

A letter yields one :class:`ItemRecord` per disputed item. Letter-level fields
(case id, dates, reviewer, case summary) are repeated on every item so a record
stands alone in a JSONL line, a Parquet row or a DataFrame row.

The field list is documented once, in README.md ("The record").
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import types
import typing
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
        """A citation from a dict checked against the schema (:func:`checked_citation`); ValueError says why not."""
        d = checked_citation(d)
        return cls(
            source=d["source"],
            document=d.get("document"),
            year=d.get("year"),
            sections=d.get("sections") or [],
            pages=d.get("pages") or [],
            text=d.get("text") or "",
        )


def _plain(value: Any) -> Any:
    """A field's value as plain data: lists, dicts and dataclasses (citations) copied, anything else as it is."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in value.__dict__.items()}
    return value


@dataclass
class ItemRecord:
    """One disputed item of one letter, with its letter's fields."""

    # from the letter
    source_file: str
    case_id: str
    template: str  # "2013", "2014", "2016", "maximus_imr" or "professional_review": the layout it parsed as
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
    # labels (imrml.letters.labels fills them from the citations; None until labelled)
    guideline_family: str | None = None  # reviewer's families, combined: "MTUS", "MTUS+ODG", "none", ...
    guideline_topic: str | None = None  # reviewer's primary topic
    claims_guideline_family: str | None = None  # the same for the claims administrator (exists before review)
    claims_guideline_topic: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data (lists and citations copied): what asdict() gives, in a fifth of its time
        (asdict's generic deep copy was most of the cost of writing parsed letters)."""
        return {k: _plain(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ItemRecord:
        """A record from a dict (a JSON line, a table row) checked against the schema (:func:`checked_row`):
        unknown keys are ignored, and a value of the wrong type raises ValueError saying which and why."""
        kw = {k: v for k, v in checked_row(d).items() if k in _RECORD_TYPES}
        for key in ("claims_guideline", "reviewer_guideline"):
            kw[key] = [Citation.from_dict(c) for c in (kw.get(key) or [])]
        for key in LIST_FIELDS:
            kw[key] = kw.get(key) or []
        for key in _BOOL_FIELDS:
            if key in kw:
                kw[key] = bool(kw[key])  # missing is False
        return cls(**kw)


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ItemRecord))
# The record fields that name an item, and their types: a scored row and a precedent row begin with them.
ID_TYPES: dict[str, type] = {"case_id": str, "source_file": str, "item_index": int, "item": str}
ID_COLUMNS: tuple[str, ...] = tuple(ID_TYPES)
_BOOL_FIELDS = ("verdict_disagrees",)
LIST_FIELDS = (
    "reviewer_specialties",
    "reviewer_licensure",
    "reviewer_specialties_normalized",
    "reviewer_licensure_normalized",
    "body_parts",
)
DATE_FIELDS = ("decision_date", "date_assigned", "ur_denial_date", "application_received", "date_of_injury")
CITATION_FIELDS = ("claims_guideline", "reviewer_guideline")

# ---------------------------------------------------------------- checking rows against the schema
#
# A row from outside (a JSON line, a CSV or Parquet row) is checked once, field by field, against the types
# declared above, before anything reads it: a value of the wrong type would otherwise fail far from its row
# (MLflow's schema enforcement, a feature, a Parquet writer) and take its whole chunk with it.

_INT64 = 2**63


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text_value(value: Any, name: str) -> str:
    """``value`` as text: str (encodable as UTF-8), or bytes that decode as UTF-8; ValueError otherwise."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{name} is not UTF-8 text") from None
    if not isinstance(value, str):
        raise ValueError(f"{name} is not text: {_shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\\ud800" in JSON, undecodable bytes in a CSV)
        raise ValueError(f"{name} is not UTF-8 text") from None
    return value


def whole_number(value: Any, name: str) -> int:
    """``value`` as an int (3, 3.0, "3") that fits in 64 bits, or ValueError naming the field."""
    if isinstance(value, bool):
        raise ValueError(f"{name} is not a whole number: {value!r}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    else:
        try:
            number = float(value if isinstance(value, numbers.Real) else text_value(value, name))
        except (TypeError, ValueError):
            raise ValueError(f"{name} is not a whole number: {_shown(value)}") from None
        if not number.is_integer():  # also inf, -inf
            raise ValueError(f"{name} is not a whole number: {_shown(value)}")
        number = int(number)
    if not -_INT64 <= number < _INT64:
        raise ValueError(f"{name} is out of range: {_shown(value)}")
    return number


def iso_date(value: Any, name: str) -> str:
    """``value`` as an ISO date text (a date, a timestamp, or text that starts with YYYY-MM-DD)."""
    if isinstance(value, dt.date):  # a Parquet date or timestamp column
        return value.isoformat()[:10] if isinstance(value, dt.datetime) else value.isoformat()
    try:
        text = text_value(value, name)
    except ValueError:
        raise ValueError(f"{name} is not a date: {_shown(value)}") from None
    try:
        dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{name} is not an ISO date (YYYY-MM-DD): {_shown(value)}") from None
    return text


def _list_of(check, value: Any, name: str) -> list:
    if isinstance(value, (str, bytes)) and check is text_value:  # one name written alone (a CSV cell)
        return [text_value(value, name)]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} is not a list: {_shown(value)}")
    return [check(v, f"{name}[{i}]") for i, v in enumerate(value, 1)]


def _checker(name: str, hint: Any):
    """The function that checks (and normalizes) one field of the schema, from its declared type."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if typing.get_origin(hint) in (typing.Union, types.UnionType) else hint
    if name in DATE_FIELDS:
        return iso_date
    if base is str:
        return text_value
    if base is int:
        return whole_number
    if base is bool:
        return truth_value
    if typing.get_origin(base) is list:
        (inner,) = typing.get_args(base)
        if inner is Citation:
            return lambda v, n: _list_of(checked_citation, v, n)
        item = _checker(name, inner)
        return lambda v, n: _list_of(item, v, n)
    raise TypeError(f"no check for {name}: {hint}")  # a field of a new type: add its check here


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _checked(row: dict[str, Any], checks: dict[str, Any], where: str = "") -> dict[str, Any]:
    out = dict(row)
    for key, value in row.items():
        check = checks.get(key)
        if check is None:
            continue  # not a field of the record: nothing reads it
        out[key] = None if _missing(value) else check(value, f"{where}{key}")
    return out


def checked_citation(citation: Any, name: str = "citation") -> dict[str, Any]:
    """A citation dict with every field of its declared type; ValueError naming the citation and field."""
    if isinstance(citation, Citation):
        return asdict(citation)
    if not isinstance(citation, dict) or _missing(citation.get("source")):
        raise ValueError(f"{name} is not a citation (an object with a source): {_shown(citation)}")
    return _checked(citation, _CITATION_CHECKS, f"{name}.")


def checked_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with every record field of its declared type (ints as ints, dates as ISO text, bytes decoded,
    NaN as missing); other keys are kept as they are. Raises ValueError with the one-line reason."""
    return _checked(row, _RECORD_CHECKS)


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


_CITATION_CHECKS = {n: _checker(n, t) for n, t in typing.get_type_hints(Citation).items()}
_RECORD_TYPES = typing.get_type_hints(ItemRecord)
_RECORD_CHECKS = {n: _checker(n, t) for n, t in _RECORD_TYPES.items()}
