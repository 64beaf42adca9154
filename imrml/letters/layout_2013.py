"""The 2013 letters: "MAXIMUS Federal Services, Inc. has determined the request for X is (not)
medically necessary", joined by number to the per-item "Section of the MTUS used by ..." paragraphs."""

from __future__ import annotations

import re
from dataclasses import replace

from ..records.schema import OVERTURNED, UPHELD
from .fields import parse_header
from .headings import heading
from .text import ItemBlock, LetterParts, case_summary, join_lines, line_index

_DETERMINED = re.compile(
    r"has\s+determined\s+the\s+request\s+for\s+(?P<item>.+?)\s+(?:is|are)\s+(?P<verdict>(?:not\s+)?medically\s+"
    r"necessary(?:\s+and\s+appropriate)?)\s*\.",
    re.I | re.S,
)
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
    r"(?:\s+and\s+appropriate)?)\s*\.?\s+(?=" + _SECTION_2013 + r"Claims)",
    re.I,
)
_CLAIMS_LABEL_2013 = re.compile(_SECTION_2013 + r"Claims\s+Administrator\s*:?\s*", re.I)
_REVIEWER_LABEL_2013 = re.compile(_SECTION_2013 + r"Expert\s+Reviewer\s*:?\s*", re.I)
_RATIONALE_LABEL_2013 = re.compile(r"Rationale\s+for\s+the\s+Decision\s*:?\s*", re.I)
HEADINGS = (
    heading("Medical Qualifications of the Expert Reviewer:", _QUALIFICATIONS_2013.pattern),
    heading("Expert Reviewer Case Summary:", _SUMMARY_2013.pattern),
    heading("Section of the MTUS used by the Claims Administrator:", _SECTION_2013 + r"Claims\s+Administrator"),
    heading("Rationale for the Decision:", _RATIONALE_LABEL_2013.pattern),
)


def parse_2013_items(lines: list[str]) -> list[ItemBlock]:
    """Items of a 2013 letter: the determination list, joined by number to the per-item sections.

    Labels such as "Section of the Medical Treatment Utilization Schedule (MTUS) used by the
    Claims Administrator:" wrap and share lines with their text, so the sections are found in
    the joined text rather than line by line.
    """
    flat = join_lines(lines)
    determined = [(m.group("item"), decision_2013(m.group("verdict"))) for m in _DETERMINED.finditer(flat)]
    heads = list(_DETAIL_2013.finditer(flat))
    details: list[ItemBlock] = []
    for k, h in enumerate(heads):
        body = flat[h.end() : heads[k + 1].start() if k + 1 < len(heads) else len(flat)]
        claims = _CLAIMS_LABEL_2013.search(body)
        reviewer = _REVIEWER_LABEL_2013.search(body)
        rationale = _RATIONALE_LABEL_2013.search(body)
        cuts = sorted(m.start() for m in (claims, reviewer, rationale) if m) + [len(body)]

        def text_after(m: re.Match | None, body: str = body, cuts: list[int] = cuts) -> str:
            if m is None:
                return ""
            return body[m.end() : next(c for c in cuts if c > m.start())].strip()

        details.append(
            ItemBlock(
                " ".join(h.group("item").split()),
                None,
                decision_2013(h.group("verdict")),
                text_after(claims),
                text_after(reviewer),
                text_after(rationale),
            )
        )
    if not determined:
        return details
    blocks = []
    for n, (item, decision) in enumerate(determined):
        b = details[n] if n < len(details) else ItemBlock(item, None, decision)
        blocks.append(replace(b, item=" ".join(item.split()), decision=decision))
    return blocks


def first_2013_item_line(lines: list[str]) -> int | None:
    """Index of the line where the first per-item section ("1. X is not medically necessary...") starts."""
    for i, ln in enumerate(lines):
        if _ITEM_2013.match(ln) and _CLAIMS_LABEL_2013.search(join_lines(lines[i : i + 6])):
            return i
    return None


def recognise(lines: list[str]) -> str | None:
    """ "2013", or None when the letter has neither the determination sentence nor the MTUS-section labels."""
    head = "\n".join(lines[:400])
    if re.search(r"has\s+determined\s+the\s+request\s+for", head, re.I) or _CLAIMS_LABEL_2013.search(" ".join(lines)):
        return "2013"
    return None


def read(lines: list[str]) -> LetterParts:
    q = line_index(lines, _QUALIFICATIONS_2013)
    s = line_index(lines, _SUMMARY_2013)
    header_end = q or s or 40
    return LetterParts(
        header=parse_header("\n".join(lines[:header_end])),
        reviewer_text="\n".join(lines[q:s]) if q is not None else "\n".join(lines),
        summary=case_summary(lines, _SUMMARY_2013, first_2013_item_line(lines)),
        blocks=parse_2013_items(lines),
    )
