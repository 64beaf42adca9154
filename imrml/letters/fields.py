"""Letter fields outside the items: dates, the header block, the reviewer's credentials, the patient."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
_DATE_NUM = re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})\b")
_DATE_WORDS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(\d{1,2}),?\s+(\d{4})\b",
    re.I,
)


def to_iso_date(s: str | None) -> str | None:
    """'11/09/2016', '10-13-16', 'December 18, 2006' -> ISO 'YYYY-MM-DD'; None if no valid date."""
    if not s:
        return None
    m = _DATE_NUM.search(s)
    if m:
        mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if y < 100:
            y += 2000 if y < 50 else 1900
    else:
        m = _DATE_WORDS.search(s)
        if not m:
            return None
        mo, d, y = _MONTHS[m.group(1).lower()], int(m.group(2)), int(m.group(3))
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


HEADER_LABELS = {
    "IMR Case Number": "case_number",
    "Case Number": "case_number",
    "Date Assigned": "date_assigned",
    "Date of Injury": "date_of_injury",
    "Decision Date": "decision_date",
    "UR Denial Date": "ur_denial_date",
    "Date of UR Decision": "ur_denial_date",
    "Priority": "priority",
    "Application Received": "application_received",
}
_HEADER_SPLIT = re.compile(
    r"("
    + "|".join(sorted((re.escape(k).replace(r"\ ", r"\s+") for k in HEADER_LABELS), key=len, reverse=True))
    + r")\s*:",
    re.I,
)
_LABEL_KEYS = {" ".join(k.lower().split()): v for k, v in HEADER_LABELS.items()}


def parse_header(text: str) -> dict[str, str]:
    """'Case Number: CM16-0213037 Date Assigned: 11/09/2016 ...' -> {field: raw value}."""
    parts = _HEADER_SPLIT.split(" ".join(text.split()))
    fields: dict[str, str] = {}
    for label, value in zip(parts[1::2], parts[2::2], strict=True):
        key = _LABEL_KEYS[" ".join(label.lower().split())]
        fields.setdefault(key, value.strip())
    return fields


# a credentials line may wrap: its value runs to the next label, heading or paragraph break
_CRED_END = r"(?=\n\s*\n|\n\s*(?:State\(s\)|Certification\(s\)|(?-i:[A-Z][A-Z ,]{12,}$))|\Z)"
_LICENSURE = re.compile(r"State\(s\)\s+of\s+Licensure\s*:\s*(.+?)" + _CRED_END, re.I | re.S | re.M)
_SPECIALTY = re.compile(r"Certification\(s\)\s*/\s*Specialty\s*:\s*(.+?)" + _CRED_END, re.I | re.S | re.M)
_BOARD_SENTENCE = re.compile(
    r"Board\s+Certified\s+in\s+(?P<board>.+?)(?:,?\s+(?:has|with)\s+(?:a\s+)?sub-?specialty\s+in\s+(?P<sub>.+?))?"
    r",?\s+and\s+is\s+licensed\s+to\s+practice\s+in\s+(?P<states>.+?)\.",
    re.I,
)


def _split_list(s: str) -> list[str]:
    items = re.split(r"\s*,\s*|\s+and\s+|\s*;\s*", s.strip().rstrip("."))
    return [i.strip() for i in items if i.strip()]


def parse_reviewer(text: str) -> tuple[list[str], list[str]]:
    """Return (specialties, licensure states) from the credentials lines or sentence."""
    flat = " ".join(text.split())
    specialties: list[str] = []
    states: list[str] = []
    m = _SPECIALTY.search(text)
    if m:
        specialties = [" ".join(s.split()) for s in re.split(r"\s*,\s*", m.group(1).strip().rstrip(".")) if s.strip()]
    m = _LICENSURE.search(text)
    if m:
        states = [" ".join(s.split()) for s in re.split(r"\s*,\s*", m.group(1).strip().rstrip(".")) if s.strip()]
    if not specialties or not states:
        m = _BOARD_SENTENCE.search(flat)
        if m:
            if not specialties:
                specialties = [m.group("board").strip()] + ([m.group("sub").strip()] if m.group("sub") else [])
            if not states:
                states = _split_list(m.group("states"))
    return specialties, states


_AGE_SEX = re.compile(
    r"\b(\d{1,3})[\s-]*(?:year|yr)s?[\s-]*old(?:[\s,]+(?:(?:right|left)[\s-]+hand(?:ed|\s+dominant)\s+)?"
    r"(?P<sex>male|female|man|woman|gentleman|lady|boy|girl))?",
    re.I,
)
_SEX_WORD = re.compile(r"\b(male|female|man|woman|gentleman|lady)\b", re.I)
_SEX = {
    "male": "male",
    "man": "male",
    "gentleman": "male",
    "boy": "male",
    "female": "female",
    "woman": "female",
    "lady": "female",
    "girl": "female",
}
_INJURY_DATE = re.compile(
    r"(?:industrial\s+injury|injury|injured|date\s+of\s+injury)\s*(?:of|on|dated|date\s+of)?\s*:?\s*"
    r"(\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\s+\d{1,2},?\s+\d{4})",
    re.I,
)


_DATE_ALT = (
    r"(\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|(?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\s+\d{1,2},?\s+\d{4})"
)
_UR_DATE = re.compile(
    r"utilization\s+review\s+(?:report|determination|decision|letter)?\s*(?:dated|on|of)\s+"
    + _DATE_ALT
    + r"|(?:On|Dated)\s+"
    + _DATE_ALT
    + r",?\s+(?:the\s+)?utilization\s+review",
    re.I,
)


def ur_date_from_summary(summary: str) -> str | None:
    """2014 letters have no header: the UR denial date is stated in the case summary, if anywhere."""
    m = _UR_DATE.search(summary)
    return to_iso_date(m.group(1) or m.group(2)) if m else None


def parse_patient(summary: str) -> tuple[int | None, str | None]:
    age = sex = None
    m = _AGE_SEX.search(summary)
    if m:
        a = int(m.group(1))
        age = a if 14 <= a <= 100 else None
        if m.group("sex"):
            sex = _SEX[m.group("sex").lower()]
    if sex is None:
        m = _SEX_WORD.search(summary[:400])
        if m:
            sex = _SEX[m.group(1).lower()]
    return age, sex


def injury_date_from_summary(summary: str) -> str | None:
    m = _INJURY_DATE.search(summary)
    return to_iso_date(m.group(1)) if m else None
