"""Letter text as extraction leaves it -> clean lines and paragraphs, and the raw pieces of one item.

PDF text of the 2014-2016 letters has an empty line after every line, page
numbers and a repeated case number on every page, and words hyphenated at line
ends; these helpers undo that so the layouts can read headings line by line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .extract import PAGE_BREAK


@dataclass
class ItemBlock:
    """The raw text of one disputed item, as a layout found it."""

    item: str
    original_request: str | None
    decision: str | None
    claims_text: str = ""
    reviewer_text: str = ""
    rationale: str = ""


@dataclass
class LetterParts:
    """What a layout reads from a letter: header fields (raw), the reviewer's credentials text, the case
    summary and the items."""

    header: dict[str, str]
    reviewer_text: str
    summary: str
    blocks: list[ItemBlock]


_FURNITURE = re.compile(
    r"^\s*(?:Page\s+\d+\s+(?:of\s+\d+)?|-\s*\d+\s*-|\d+\s*/\s*\d+|CM\d\d-\d{5,8}(?:\s+Page\s+\d+.*)?)\s*$", re.I
)


def clean_lines(text: str) -> list[str]:
    """Letter text -> lines, with extraction artefacts removed; '' marks a paragraph break.

    Text extracted from the 2014-2016 PDFs has an empty line after every line and a
    line holding one space where a paragraph ends: drop the former, keep the latter as ''.
    Page breaks and page furniture (page numbers, a repeated case number) are dropped.
    """
    text = (
        text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u00ad", "").replace("\x02", "-")
    )
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


def line_index(lines: list[str], rx: re.Pattern, start: int = 0) -> int | None:
    """Index of the first line from ``start`` that ``rx`` matches, or None."""
    return next((i for i in range(start, len(lines)) if rx.match(lines[i])), None)


def case_summary(lines: list[str], start_rx: re.Pattern, end_at: int | None) -> str:
    """The paragraphs after the line ``start_rx`` matches, up to ``end_at``, without their one-sentence preamble."""
    s = line_index(lines, start_rx)
    if s is None:
        return ""
    return summary_text(lines[s + 1 : end_at])


def summary_text(body: list[str]) -> str:
    """A case summary section's paragraphs, without their one-sentence preamble ("The expert reviewer developed
    the following clinical case summary based on a review of the case file, including all medical records:")."""
    for i, ln in enumerate(body[:6]):
        if ln.rstrip().endswith("records:"):
            body = body[i + 1 :]
            break
    return join_paragraphs(body)
