"""The MAXIMUS "Independent Medical Review" letters (template ``maximus_imr``).

They begin "MAXIMUS FEDERAL SERVICES, INC." then "Independent Medical Review" and a header block
(case number, dates, "UR Denial Date:"), and their sections come in this order: "HOW THE IMR FINAL
DETERMINATION WAS MADE" (with the reviewer's credentials), "DOCUMENTS REVIEWED", "CLINICAL CASE
SUMMARY", "IMR DECISION(S) AND RATIONALE(S)" (headings may wrap). The items under the last heading
are read by the item readers of the other generations: numbered determinations ("1. X is not
medically necessary and appropriate." with the "Section of the MTUS used by ..." and "Rationale for
the Decision:" paragraphs, :func:`~imrml.letters.layout_2013.parse_2013_items`) or "X: Upheld"
headings with "Claims Administrator guideline:" paragraphs
(:func:`~imrml.letters.layout_2014.parse_item_blocks`).
"""

from __future__ import annotations

from .extract import LetterError
from .fields import parse_header
from .headings import find_heading, heading
from .layout_2013 import first_2013_item_line, parse_2013_items
from .layout_2014 import parse_item_blocks
from .text import LetterParts, summary_text

TEMPLATE = "maximus_imr"

_TITLE = heading("MAXIMUS FEDERAL SERVICES, INC.", r"MAXIMUS\s+FEDERAL\s+SERVICES,?\s+INC\.?")
_IMR = heading("Independent Medical Review", whole_line=True)
_HOW = heading("HOW THE IMR FINAL DETERMINATION WAS MADE", whole_line=True)
_DOCUMENTS = heading("DOCUMENTS REVIEWED", whole_line=True)
_SUMMARY = heading("CLINICAL CASE SUMMARY", whole_line=True)
_DECISIONS = heading(
    "IMR DECISION(S) AND RATIONALE(S)", r"IMR\s+DECISION\(?S?\)?\s+AND\s+RATIONALE\(?S?\)?", whole_line=True
)
HEADINGS = (_TITLE, _IMR, _HOW, _DOCUMENTS, _SUMMARY, _DECISIONS)


def recognise(lines: list[str]) -> str | None:
    """``maximus_imr`` when the letter has the "IMR DECISION(S) AND RATIONALE(S)" heading, else None."""
    return TEMPLATE if find_heading(lines, _DECISIONS) is not None else None


def read(lines: list[str]) -> LetterParts:
    decisions = find_heading(lines, _DECISIONS)
    if decisions is None:
        raise LetterError('not a maximus_imr letter: no "IMR DECISION(S) AND RATIONALE(S)" heading')
    how, documents, summary = (find_heading(lines, h, 0, decisions.start) for h in (_HOW, _DOCUMENTS, _SUMMARY))
    sections = sorted(f.start for f in (how, documents, summary, decisions) if f is not None)
    after_how = min((s for s in sections if how is not None and s > how.start), default=decisions.start)
    body = lines[decisions.end :]
    read_items = parse_2013_items if first_2013_item_line(body) is not None else parse_item_blocks
    return LetterParts(
        header=parse_header("\n".join(lines[: sections[0]])),
        reviewer_text="\n".join(lines[how.end : after_how]) if how is not None else "",
        summary=summary_text(lines[summary.end : decisions.start]) if summary is not None else "",
        blocks=read_items(body),
    )
