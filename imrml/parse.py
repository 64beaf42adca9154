"""IMR final determination letters (PDF or text, every generation) -> one ItemRecord per disputed item.

Three letter generations exist, recognised by their wording:

* ``2013``: "MAXIMUS Federal Services, Inc. has determined the request for X is (not)
  medically necessary and appropriate", per-item "Section of the Medical Treatment
  Utilization Schedule (MTUS) used by ..." paragraphs and "Rationale for the Decision:".
* ``2014`` (2014-2016): no header block; "HOW THE IMR FINAL DETERMINATION WAS MADE",
  items "X: Upheld" with "Claims Administrator guideline:", "MAXIMUS guideline:",
  "Decision rationale:" blocks.
* ``2016`` (2016-2017): the 2014 body under a two-column header block (Case Number,
  Date Assigned, Date of Injury, Decision Date, UR Denial Date, Priority, Application
  Received); items may be the "IMR eligible portion" of a partly approved request.

Public entry points: :func:`parse_letter` (one letter) and :func:`parse_paths` (a batch,
with a reject reason for every file that yields no items).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .citations import parse_guideline_paragraph
from .extract import PAGE_BREAK, LetterError, letter_text
from .io import Reject, find_inputs, write_jsonl, write_table
from .schema import OVERTURNED, UPHELD, ItemRecord, Letter

TEMPLATE_2013 = "2013"
TEMPLATE_2014 = "2014"
TEMPLATE_2016 = "2016"

# --------------------------------------------------------------------------- text clean-up

_FURNITURE = re.compile(
    r"^\s*(?:Page\s+\d+\s+(?:of\s+\d+)?|-\s*\d+\s*-|\d+\s*/\s*\d+|CM\d\d-\d{5,8}(?:\s+Page\s+\d+.*)?)\s*$", re.I
)


def clean_lines(text: str) -> list[str]:
    """Letter text -> lines, with extraction artefacts removed; '' marks a paragraph break.

    Text extracted from the 2014-2016 PDFs has an empty line after every line and a
    line holding one space where a paragraph ends: drop the former, keep the latter as ''.
    Page breaks and page furniture (page numbers, a repeated case number) are dropped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u00ad", "").replace("\x02", "-")
    raw = text.replace(PAGE_BREAK, "\n").split("\n")
    empty = sum(1 for ln in raw if ln == "")
    doubled = len(raw) > 10 and empty >= 0.4 * len(raw)
    out: list[str] = []
    for ln in raw:
        if doubled and ln == "":
            continue
        ln = ln.rstrip()
        if ln and _FURNITURE.match(ln):
            continue
        out.append(ln.strip() and ln)
    return out


def join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines into one paragraph string, re-joining words hyphenated at a line end."""
    s = ""
    for ln in lines:
        ln = ln.strip()
        if not ln:
            continue
        if s.endswith("-") and len(s) > 1 and s[-2].isalpha() and ln[:1].islower():
            s += ln
        else:
            s = f"{s} {ln}" if s else ln
    return " ".join(s.split())


def join_paragraphs(lines: list[str]) -> str:
    """Join lines, keeping paragraph breaks as blank lines."""
    paras: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            paras[-1].append(ln)
        elif paras[-1]:
            paras.append([])
    return "\n\n".join(join_lines(p) for p in paras if p)


# --------------------------------------------------------------------------- dates and header

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], 1)}
_DATE_NUM = re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})\b")
_DATE_WORDS = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
                         r"\s+(\d{1,2}),?\s+(\d{4})\b", re.I)


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
    r"(" + "|".join(sorted((re.escape(k).replace(r"\ ", r"\s+") for k in HEADER_LABELS), key=len, reverse=True))
    + r")\s*:", re.I)
_LABEL_KEYS = {" ".join(k.lower().split()): v for k, v in HEADER_LABELS.items()}


def parse_header(text: str) -> dict[str, str]:
    """'Case Number: CM16-0213037 Date Assigned: 11/09/2016 ...' -> {field: raw value}."""
    parts = _HEADER_SPLIT.split(" ".join(text.split()))
    fields: dict[str, str] = {}
    for label, value in zip(parts[1::2], parts[2::2]):
        key = _LABEL_KEYS[" ".join(label.lower().split())]
        fields.setdefault(key, value.strip())
    return fields


# --------------------------------------------------------------------------- reviewer and case summary

# a credentials line may wrap: its value runs to the next label, heading or paragraph break
_CRED_END = r"(?=\n\s*\n|\n\s*(?:State\(s\)|Certification\(s\)|(?-i:[A-Z][A-Z ,]{12,}$))|\Z)"
_LICENSURE = re.compile(r"State\(s\)\s+of\s+Licensure\s*:\s*(.+?)" + _CRED_END, re.I | re.S | re.M)
_SPECIALTY = re.compile(r"Certification\(s\)\s*/\s*Specialty\s*:\s*(.+?)" + _CRED_END, re.I | re.S | re.M)
_BOARD_SENTENCE = re.compile(
    r"Board\s+Certified\s+in\s+(?P<board>.+?)(?:,?\s+(?:has|with)\s+(?:a\s+)?sub-?specialty\s+in\s+(?P<sub>.+?))?"
    r",?\s+and\s+is\s+licensed\s+to\s+practice\s+in\s+(?P<states>.+?)\.", re.I)


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
    r"(?P<sex>male|female|man|woman|gentleman|lady|boy|girl))?", re.I)
_SEX_WORD = re.compile(r"\b(male|female|man|woman|gentleman|lady)\b", re.I)
_SEX = {"male": "male", "man": "male", "gentleman": "male", "boy": "male",
        "female": "female", "woman": "female", "lady": "female", "girl": "female"}
_INJURY_DATE = re.compile(
    r"(?:industrial\s+injury|injury|injured|date\s+of\s+injury)\s*(?:of|on|dated|date\s+of)?\s*:?\s*"
    r"(\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\s+\d{1,2},?\s+\d{4})", re.I)


_DATE_ALT = (r"(\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|(?:January|February|March|April|May|June|July|August|September|"
             r"October|November|December)\s+\d{1,2},?\s+\d{4})")
_UR_DATE = re.compile(
    r"utilization\s+review\s+(?:report|determination|decision|letter)?\s*(?:dated|on|of)\s+" + _DATE_ALT
    + r"|(?:On|Dated)\s+" + _DATE_ALT + r",?\s+(?:the\s+)?utilization\s+review", re.I)


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


# --------------------------------------------------------------------------- items (2014 / 2016)

_CLAIMS_G = re.compile(r"^\s*Claims\s+Administrator\s+guideline\s*:", re.I)
_REVIEWER_G = re.compile(r"^\s*MAXIMUS\s+guideline\s*:", re.I)
_RATIONALE = re.compile(r"^\s*Decision\s+rationale\s*:", re.I)
_ISSUES = re.compile(r"^\s*IMR\s+ISSUES,\s+DECISIONS\s+AND\s+RATIONALES\s*$", re.I)
_SET_FORTH = re.compile(r"^\s*The\s+Final\s+Determination\s+was\s+based\s+on\s+decisions", re.I)
_CASE_SUMMARY = re.compile(r"^\s*CLINICAL\s+CASE\s+SUMMARY\s*$", re.I)
_HOW = re.compile(r"^\s*HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE\s*$", re.I)
_VERDICT = re.compile(r"^(?P<item>.*\S)\s*:\s*(?P<verb>[A-Za-z][A-Za-z ]{1,40}?)\.?$", re.S)
_PARTIAL = re.compile(
    r"^(?P<original>.+?)\s+was\s+the\s+original\s+request\.\s+(?P<authorized>.+?)\s+(?:was|were)\s+authorized"
    r".*?(?:the\s+)?original\s+request,\s+(?P<item>.+?)(?:\s+(?:is|are))?$", re.I | re.S)
_ORIGINAL_ONLY = re.compile(r"(?:^|\.\s+)The\s+original\s+request,\s+(?P<item>.+?)(?:\s+(?:is|are))?$", re.I | re.S)
_ORIGINAL_MARK = re.compile(r"was\s+the\s+original\s+request", re.I)


def _item_header_start(lines: list[str], verdict_line: int, floor: int) -> int:
    """Index of the first line of the item header that ends at ``verdict_line``.

    The header runs back over wrapped lines until a blank line, a line ending a
    sentence (the previous rationale) or a heading. A partly approved request
    ("X was the original request. Y was authorized ... the original request, Z is:")
    spans sentences, so it runs back to the line holding "was the original request".
    """
    def stops(i: int) -> bool:
        ln = lines[i].rstrip()
        return not ln.strip() or ln.endswith((".", ":", ";")) or bool(_SET_FORTH.match(ln) or _ISSUES.match(ln))

    start = verdict_line
    if ":" not in lines[verdict_line] and verdict_line - 1 >= floor and lines[verdict_line - 1].strip():
        start -= 1  # the decision wrapped onto a line of its own ("... is:" / "Upheld")
    while start - 1 >= floor and not stops(start - 1):
        start -= 1
    header = join_lines(lines[start: verdict_line + 1])
    if re.search(r"original\s+request,", header, re.I) and not _ORIGINAL_MARK.search(header):
        i = start - 1
        while i >= floor and i >= start - 12:
            if lines[i].strip() and _ORIGINAL_MARK.search(join_lines(lines[max(floor, i - 1): i + 1])):
                start = i
                while start - 1 >= floor and not stops(start - 1):
                    start -= 1
                break
            i -= 1
    return start


def normalize_decision(verb: str) -> str:
    v = " ".join(verb.split())
    low = v.lower()
    if low == "upheld":
        return UPHELD
    if low in ("overturned", "overturn"):
        return OVERTURNED
    return v


def split_item_header(header: str) -> tuple[str, str | None, str]:
    """'X: Upheld' (or a partly approved request) -> (item, original_request, decision)."""
    m = _VERDICT.match(header)
    if not m:
        raise LetterError(f"item heading without a decision: {header[:80]!r}")
    item, verb = m.group("item").strip(), m.group("verb")
    original = None
    pm = _PARTIAL.match(item)
    if pm:
        original, item = pm.group("original").strip(), pm.group("item").strip()
    else:
        om = _ORIGINAL_ONLY.search(item)
        if om:
            before = item[: om.start()]
            om2 = re.search(r"(?:^|\.\s+)(?P<orig>[^.]+?)\s+was\s+the\s+original\s+request", before, re.I)
            original = om2.group("orig").strip() if om2 else None
            item = om.group("item").strip()
    return item, original, normalize_decision(verb)


@dataclass
class _Block:
    item: str
    original_request: str | None
    decision: str | None
    claims_text: str = ""
    reviewer_text: str = ""
    rationale: str = ""


def parse_item_blocks(lines: list[str]) -> list[_Block]:
    """Items of the 2014/2016 body: lines from the issues heading to the end of the letter."""
    claims_at = [i for i, ln in enumerate(lines) if _CLAIMS_G.match(ln)]
    blocks: list[_Block] = []
    starts: list[int] = []
    floor = 0
    for c in claims_at:
        v = c - 1
        while v >= floor and not lines[v].strip():
            v -= 1
        if v < floor:
            raise LetterError(f"a 'Claims Administrator guideline' paragraph with no item above it (line {c + 1})")
        s = _item_header_start(lines, v, floor)
        starts.append(s)
        item, original, decision = split_item_header(join_lines(lines[s: v + 1]))
        blocks.append(_Block(item, original, decision))
        floor = c + 1
    for k, c in enumerate(claims_at):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        section = lines[c:end]
        r_at = next((i for i, ln in enumerate(section) if _REVIEWER_G.match(ln)), None)
        d_at = next((i for i, ln in enumerate(section) if _RATIONALE.match(ln)), None)
        g_end = r_at if r_at is not None else (d_at if d_at is not None else len(section))
        blocks[k].claims_text = _strip_label(join_lines(section[:g_end]), _CLAIMS_G)
        if r_at is not None:
            r_end = d_at if d_at is not None and d_at > r_at else len(section)
            blocks[k].reviewer_text = _strip_label(join_lines(section[r_at:r_end]), _REVIEWER_G)
        if d_at is not None:
            blocks[k].rationale = _strip_label(join_paragraphs(section[d_at:]), _RATIONALE)
    return blocks


def _strip_label(text: str, label: re.Pattern) -> str:
    return label.sub("", text, count=1).strip()


# --------------------------------------------------------------------------- items (2013)

_DETERMINED = re.compile(
    r"has\s+determined\s+the\s+request\s+for\s+(?P<item>.+?)\s+(?:is|are)\s+(?P<verdict>(?:not\s+)?medically\s+"
    r"necessary(?:\s+and\s+appropriate)?)\s*\.", re.I | re.S)
_ITEM_2013 = re.compile(r"^\s*(?P<n>\d{1,2})\s*[.)]\s+(?P<rest>.*)$")
_SUMMARY_2013 = re.compile(r"^\s*Expert\s+Reviewer\s+Case\s+Summary\s*:?", re.I)
_QUALIFICATIONS_2013 = re.compile(r"^\s*Medical\s+Qualifications\s+of\s+the\s+Expert\s+Reviewer\s*:?", re.I)


def decision_2013(verdict: str) -> str:
    v = " ".join(verdict.lower().split())
    if v.startswith("not "):
        return UPHELD
    if v.startswith("medically necessary"):
        return OVERTURNED
    return " ".join(verdict.split())


_SECTION_2013 = r"Section\s+of\s+the\s+Medical\s+Treatment\s+Utilization\s+Schedule\s+\(MTUS\)\s+used\s+by\s+the\s+"
_DETAIL_2013 = re.compile(
    r"(?:^|(?<=\s))(?P<n>\d{1,2})\s*[.)]\s+(?P<item>[^\n]+?)\s+(?:is|are)\s+(?P<verdict>(?:not\s+)?medically\s+necessary"
    r"(?:\s+and\s+appropriate)?)\s*\.?\s+(?=" + _SECTION_2013 + r"Claims)", re.I)
_CLAIMS_LABEL_2013 = re.compile(_SECTION_2013 + r"Claims\s+Administrator\s*:?\s*", re.I)
_REVIEWER_LABEL_2013 = re.compile(_SECTION_2013 + r"Expert\s+Reviewer\s*:?\s*", re.I)
_RATIONALE_LABEL_2013 = re.compile(r"Rationale\s+for\s+the\s+Decision\s*:?\s*", re.I)


def parse_2013_items(lines: list[str]) -> list[_Block]:
    """Items of a 2013 letter: the determination list, joined by number to the per-item sections.

    Labels such as "Section of the Medical Treatment Utilization Schedule (MTUS) used by the
    Claims Administrator:" wrap and share lines with their text, so the sections are found in
    the joined text rather than line by line.
    """
    flat = join_lines(lines)
    determined = [(m.group("item"), decision_2013(m.group("verdict"))) for m in _DETERMINED.finditer(flat)]
    heads = list(_DETAIL_2013.finditer(flat))
    details: list[_Block] = []
    for k, h in enumerate(heads):
        body = flat[h.end(): heads[k + 1].start() if k + 1 < len(heads) else len(flat)]
        claims = _CLAIMS_LABEL_2013.search(body)
        reviewer = _REVIEWER_LABEL_2013.search(body)
        rationale = _RATIONALE_LABEL_2013.search(body)
        cuts = sorted(m.start() for m in (claims, reviewer, rationale) if m) + [len(body)]

        def text_after(m: re.Match | None) -> str:
            if m is None:
                return ""
            return body[m.end(): next(c for c in cuts if c > m.start())].strip()

        details.append(_Block(" ".join(h.group("item").split()), None, decision_2013(h.group("verdict")),
                              text_after(claims), text_after(reviewer), text_after(rationale)))
    if not determined:
        return details
    blocks = []
    for n, (item, decision) in enumerate(determined):
        b = details[n] if n < len(details) else _Block(item, None, decision)
        blocks.append(replace(b, item=" ".join(item.split()), decision=decision))
    return blocks


def first_2013_item_line(lines: list[str]) -> int | None:
    """Index of the line where the first per-item section ("1. X is not medically necessary...") starts."""
    for i, ln in enumerate(lines):
        if _ITEM_2013.match(ln) and _CLAIMS_LABEL_2013.search(join_lines(lines[i: i + 6])):
            return i
    return None


# --------------------------------------------------------------------------- letters


def detect_template(lines: list[str]) -> str:
    head = "\n".join(lines[:400])
    if re.search(r"has\s+determined\s+the\s+request\s+for", head, re.I) or _CLAIMS_LABEL_2013.search(" ".join(lines)):
        return TEMPLATE_2013
    if not any(_CLAIMS_G.match(ln) for ln in lines) and not any(_HOW.match(ln) for ln in lines):
        raise LetterError("not an IMR final determination letter (none of its headings or item blocks found)")
    first = next((i for i, ln in enumerate(lines) if _HOW.match(ln)), None)
    before = "\n".join(lines[:first]) if first is not None else head[:600]
    if re.search(r"\bCase\s+Number\s*:", before, re.I):
        return TEMPLATE_2016
    return TEMPLATE_2014


def _index(lines: list[str], rx: re.Pattern, start: int = 0) -> int | None:
    return next((i for i in range(start, len(lines)) if rx.match(lines[i])), None)


def _case_summary(lines: list[str], start_rx: re.Pattern, end_at: int | None) -> str:
    s = _index(lines, start_rx)
    if s is None:
        return ""
    body = lines[s + 1: end_at]
    # drop the one-sentence preamble ("The expert reviewer developed the following ... records:")
    for i, ln in enumerate(body[:6]):
        if ln.rstrip().endswith("records:"):
            body = body[i + 1:]
            break
    return join_paragraphs(body)


def parse_text(text: str, source_file: str = "<text>") -> Letter:
    """Parse a letter's text. Raises LetterError with a one-line reason when it yields no items."""
    if not text.strip():
        raise LetterError("empty file")
    lines = clean_lines(text)
    template = detect_template(lines)
    stem = Path(source_file).stem if source_file not in ("", "<text>") else None

    if template == TEMPLATE_2013:
        header_end = _index(lines, _QUALIFICATIONS_2013) or _index(lines, _SUMMARY_2013) or 40
        header = parse_header("\n".join(lines[:header_end]))
        q = _index(lines, _QUALIFICATIONS_2013)
        s2013 = _index(lines, _SUMMARY_2013)
        reviewer_text = "\n".join(lines[q: s2013]) if q is not None else "\n".join(lines)
        summary = _case_summary(lines, _SUMMARY_2013, first_2013_item_line(lines))
        blocks = parse_2013_items(lines)
    else:
        how = _index(lines, _HOW)
        header = parse_header("\n".join(lines[:how])) if how is not None else {}
        cs = _index(lines, _CASE_SUMMARY)
        issues = _index(lines, _ISSUES)
        reviewer_text = "\n".join(lines[(how or 0): cs])
        summary = _case_summary(lines, _CASE_SUMMARY, issues)
        body_start = issues + 1 if issues is not None else (cs or 0)
        blocks = parse_item_blocks(lines[body_start:])
    if not blocks:
        raise LetterError("IMR letter with no parseable disputed items")

    specialties, states = parse_reviewer(reviewer_text)
    age, sex = parse_patient(summary)
    case_id = header.get("case_number", "").split()[0] if header.get("case_number") else (stem or "unknown")
    priority = header.get("priority")
    records = []
    for n, b in enumerate(blocks, 1):
        records.append(ItemRecord(
            source_file=source_file,
            case_id=case_id,
            template=template,
            decision_date=to_iso_date(header.get("decision_date")),
            date_assigned=to_iso_date(header.get("date_assigned")),
            ur_denial_date=to_iso_date(header.get("ur_denial_date")) or ur_date_from_summary(summary),
            application_received=to_iso_date(header.get("application_received")),
            date_of_injury=to_iso_date(header.get("date_of_injury")) or injury_date_from_summary(summary),
            priority=priority.split()[0] if priority else None,
            reviewer_specialties=list(specialties),
            reviewer_licensure=list(states),
            patient_age=age,
            patient_sex=sex,
            case_summary=summary,
            item_index=n,
            item=" ".join(b.item.split()),
            original_request=b.original_request,
            decision=b.decision,
            claims_guideline_text=b.claims_text,
            reviewer_guideline_text=b.reviewer_text,
            claims_guideline=parse_guideline_paragraph(b.claims_text),
            reviewer_guideline=parse_guideline_paragraph(b.reviewer_text),
            rationale=b.rationale,
        ))
    return Letter(source_file=source_file, case_id=case_id, template=template, items=records)


def parse_letter(path_or_text: str | Path, source_file: str | None = None) -> Letter:
    """Parse one letter: a path to a .pdf/.txt file, or the letter's text itself.

    Raises :class:`imrml.extract.LetterError` with a one-line reason if it yields no items.
    """
    if isinstance(path_or_text, Path) or ("\n" not in path_or_text and len(path_or_text) < 4096
                                          and Path(path_or_text).suffix.lower() in (".pdf", ".txt")):
        path = Path(path_or_text)
        return parse_text(letter_text(path), source_file=source_file or path.name)
    return parse_text(path_or_text, source_file=source_file or "<text>")


# --------------------------------------------------------------------------- batches


@dataclass
class ParseResult:
    records: list[ItemRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    n_files: int = 0
    n_letters: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.n_files} files: {self.n_letters} letters parsed into {len(self.records)} items, "
                f"{len(self.rejects)} rejected ({self.seconds:.1f} s)")


def iter_parsed(paths: Iterable[Path], progress: bool = False) -> Iterator[Letter | Reject]:
    """Yield a Letter or a Reject for each file, in order."""
    files = list(paths)
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="letter", desc="parse", file=sys.stderr)
    try:
        for f in files:
            try:
                yield parse_letter(Path(f), source_file=str(f))
            except LetterError as e:
                yield Reject(str(f), str(e))
            except OSError as e:
                yield Reject(str(f), f"cannot read: {e.strerror or e}")
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()


def parse_paths(paths: Iterable[str | Path], progress: bool = False) -> ParseResult:
    """Parse letter files and folders (searched recursively for .pdf/.txt)."""
    t0 = time.perf_counter()
    files = find_inputs(paths)
    result = ParseResult(n_files=len(files))
    for out in iter_parsed(files, progress=progress):
        if isinstance(out, Reject):
            result.rejects.append(out)
        else:
            result.n_letters += 1
            result.records.extend(out.items)
    result.seconds = time.perf_counter() - t0
    return result


def default_rejects_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name.split(".")[0] + ".rejects.jsonl")


def parse_files_command(letters: list[str], output: str, rejects: str | None = None,
                        allow_rejects: bool = False, progress: bool = True) -> int:
    """`imrml parse`: write items and the rejects report; non-zero exit if any file was rejected."""
    missing = [p for p in letters if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    result = parse_paths(letters, progress=progress)
    write_table((r.to_dict() for r in result.records), output)
    rejects_path = Path(rejects) if rejects else default_rejects_path(output)
    write_jsonl((r.to_dict() for r in result.rejects), rejects_path)
    for r in result.rejects:
        print(f"rejected: {r.source}: {r.reason}", file=sys.stderr)
    print(f"{result.summary()}; items -> {output}; rejects -> {rejects_path}")
    if result.n_files == 0:
        print("warning: no .pdf or .txt letters found in the given paths", file=sys.stderr)
    return 1 if result.rejects and not allow_rejects else 0
