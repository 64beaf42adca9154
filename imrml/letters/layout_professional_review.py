"""The "MEDICAL PROFESSIONAL REVIEW" letters (template ``professional_review``).

They begin "MEDICAL PROFESSIONAL REVIEW" and have these sections, whose headings may wrap across
lines: "ISSUE AT DISPUTE:", "CASE SUMMARY:", "DOCUMENTS REVIEWED FOR DETERMINATION:", "MEDICAL
TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:", "RATIONALE FOR WHY THE
REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:" and "MEDICAL REVIEWER
QUALIFICATIONS:". Several items are numbered alike in the issue, guideline and rationale sections
and joined by number (in order when unnumbered). There is no claims administrator's guideline.

No line states an item's decision (the rationale heading says "IS/WAS NOT" whatever the outcome),
so it is read from the wording: the issue's own when it states one ("X is not medically
necessary."), else the rationale's conclusion by :func:`~imrml.letters.verdict.rationale_verdict`
(upheld -> Upheld, overturned -> Overturned); null when neither says.
"""

from __future__ import annotations

import re

from ..records.schema import OVERTURNED, UPHELD
from .extract import LetterError
from .fields import parse_header
from .headings import Found, find_heading, heading
from .layout_2013 import decision_2013
from .text import ItemBlock, LetterParts, join_lines, summary_text
from .verdict import rationale_verdict

TEMPLATE = "professional_review"

_TITLE = heading("MEDICAL PROFESSIONAL REVIEW", whole_line=True)
_ISSUE = heading("ISSUE AT DISPUTE:", r"ISSUES?\s+AT\s+DISPUTE\s*:")
_SUMMARY = heading("CASE SUMMARY:", r"CASE\s+SUMMARY\s*:")
_DOCUMENTS = heading("DOCUMENTS REVIEWED FOR DETERMINATION:", r"DOCUMENTS\s+REVIEWED\s+FOR\s+DETERMINATION\s*:")
_GUIDELINES = heading(
    "MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:",
    r"MEDICAL\s+TREATMENT\s+GUIDELINE\(?S?\)?\s+RELIED\s+UPON\s+BY\s+(?:THE\s+)?PROFESSIONAL\s+REVIEWER\s+AND\s+WHY\s*:",
)
_RATIONALE = heading(
    "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:",
    r"RATIONALE\s+FOR\s+WHY\s+THE\s+REQUESTED\s+TREATMENT\s*/\s*SERVICE\s+IS\s*/\s*WAS\s+(?:NOT\s+)?"
    r"MEDICALLY\s+NECESSARY\s*:",
)
_QUALIFICATIONS = heading("MEDICAL REVIEWER QUALIFICATIONS:", r"MEDICAL\s+REVIEWER\s+QUALIFICATIONS\s*:")
HEADINGS = (_TITLE, _ISSUE, _SUMMARY, _DOCUMENTS, _GUIDELINES, _RATIONALE, _QUALIFICATIONS)
_SECTIONS = (_ISSUE, _SUMMARY, _DOCUMENTS, _GUIDELINES, _RATIONALE, _QUALIFICATIONS)

_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.)]\s+(?P<rest>.*)$")
_QUESTION = re.compile(
    r"^(?:is|are|was|were|whether)\s+(?:the\s+)?(?:request(?:ed)?\s+(?:for\s+)?)?(?P<item>.+?)\s+"
    r"(?:(?:is|are)\s+)?medically\s+necessary(?:\s+and\s+appropriate)?\s*\??$",
    re.I,
)
_STATEMENT = re.compile(
    r"^(?:the\s+request\s+for\s+)?(?P<item>.+?)\s+(?:is|are|was|were)\s+"
    r"(?P<verdict>(?:not\s+)?medically\s+necessary)(?:\s+and\s+appropriate)?\s*\.?$",
    re.I,
)
_DECISIONS = {"upheld": UPHELD, "overturned": OVERTURNED}


def recognise(lines: list[str]) -> str | None:
    """``professional_review`` when the letter has the issue and the rationale headings, else None."""
    if find_heading(lines, _ISSUE) is not None and find_heading(lines, _RATIONALE) is not None:
        return TEMPLATE
    return None


def numbered_entries(lines: list[str]) -> list[str]:
    """A section's entries "1. ...", "2. ..." (numbered in sequence), each joined; the whole section when unnumbered."""
    entries: list[list[str]] = []
    for ln in lines:
        m = _NUMBERED.match(ln)
        if m and int(m.group(1)) == len(entries) + 1:
            entries.append([m.group("rest")])
        elif entries:
            entries[-1].append(ln)
    if not entries:
        whole = join_lines(lines)
        return [whole] if whole else []
    return [join_lines(e) for e in entries]


def issue_item(issue: str) -> tuple[str, str | None]:
    """An issue ("Is the request for X medically necessary and appropriate?") -> (X, the decision it states)."""
    m = _QUESTION.match(issue)
    if m:
        return re.sub(r"^(?:a|an)\s+", "", m.group("item"), flags=re.I), None
    m = _STATEMENT.match(issue)
    if m:
        return m.group("item"), decision_2013(m.group("verdict"))
    return issue.rstrip(" ?."), None


def _section_lines(lines: list[str], found: dict[str, Found], h) -> list[str]:
    at = found.get(h.name)
    if at is None:
        return []
    ends = [f.start for f in found.values() if f.start > at.start]
    return [at.rest, *lines[at.end : min(ends, default=len(lines))]]


def read(lines: list[str]) -> LetterParts:
    found = {h.name: f for h in _SECTIONS if (f := find_heading(lines, h)) is not None}
    if _ISSUE.name not in found:
        raise LetterError('not a professional_review letter: no "ISSUE AT DISPUTE:" heading')
    issues = numbered_entries(_section_lines(lines, found, _ISSUE))
    guidelines = numbered_entries(_section_lines(lines, found, _GUIDELINES))
    rationales = numbered_entries(_section_lines(lines, found, _RATIONALE))
    blocks = []
    for n, issue in enumerate(issues):
        item, stated = issue_item(issue)
        rationale = rationales[n] if n < len(rationales) else ""
        decision = stated or _DECISIONS.get(rationale_verdict(rationale))
        guideline = guidelines[n] if n < len(guidelines) else ""
        blocks.append(ItemBlock(item, None, decision, reviewer_text=guideline, rationale=rationale))
    return LetterParts(
        header=parse_header("\n".join(lines[: found[_ISSUE.name].start])),
        reviewer_text=join_lines(_section_lines(lines, found, _QUALIFICATIONS)),
        summary=summary_text(_section_lines(lines, found, _SUMMARY)),
        blocks=blocks,
    )
