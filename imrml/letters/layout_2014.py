"""The 2014 and 2016 letters (2014-2017): "X: Upheld" headings with their guideline and rationale paragraphs.

An item's heading is the request and its decision ("Norco 10/325 mg #60: Upheld"),
or a partly approved request ("X was the original request. Y was authorized ...
the original request, Z is: Upheld"); then "Claims Administrator guideline:",
"MAXIMUS guideline:" and "Decision rationale:" paragraphs. The 2016 letters
put a two-column header block (Case Number, Date Assigned, ...) above the body.
"""

from __future__ import annotations

import re

from ..records.schema import OVERTURNED, UPHELD
from .errors import LetterError
from .fields import parse_header
from .headings import heading
from .text import ItemBlock, LetterParts, case_summary, join_lines, join_paragraphs, line_index

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
    r".*?(?:the\s+)?original\s+request,\s+(?P<item>.+?)(?:\s+(?:is|are))?$",
    re.I | re.S,
)
_ORIGINAL_ONLY = re.compile(r"(?:^|\.\s+)The\s+original\s+request,\s+(?P<item>.+?)(?:\s+(?:is|are))?$", re.I | re.S)
_ORIGINAL_MARK = re.compile(r"was\s+the\s+original\s+request", re.I)
HEADINGS = (
    heading("HOW THE IMR FINAL DETERMINATION WAS MADE", whole_line=True),
    heading("CLINICAL CASE SUMMARY", whole_line=True),
    heading("IMR ISSUES, DECISIONS AND RATIONALES", r"IMR\s+ISSUES,\s+DECISIONS\s+AND\s+RATIONALES", whole_line=True),
    heading("Claims Administrator guideline:"),
    heading("MAXIMUS guideline:"),
    heading("Decision rationale:"),
)
# A heading line that ends in a label whose value wrapped onto the next line ("..., DOS:" / "11/11/2016: Upheld")
_LABEL_AT_END = re.compile(r"\b(?:DOS|dates?\s+of\s+service|dated)\s*:$", re.I)


def _item_header_start(lines: list[str], verdict_line: int, floor: int) -> int:
    """Index of the first line of the item header that ends at ``verdict_line``.

    The header runs back over wrapped lines until a blank line, a line ending a
    sentence (the previous rationale) or a heading; a line ending in a date-of-service
    label ("DOS:") is the header's own, wrapped before its date. A partly approved request
    ("X was the original request. Y was authorized ... the original request, Z is:")
    spans sentences, so it runs back to the line holding "was the original request".
    """

    def stops(i: int) -> bool:
        ln = lines[i].rstrip()
        if _LABEL_AT_END.search(ln):
            return False
        return not ln.strip() or ln.endswith((".", ":", ";")) or bool(_SET_FORTH.match(ln) or _ISSUES.match(ln))

    start = verdict_line
    if ":" not in lines[verdict_line] and verdict_line - 1 >= floor and lines[verdict_line - 1].strip():
        start -= 1  # the decision wrapped onto a line of its own ("... is:" / "Upheld")
    while start - 1 >= floor and not stops(start - 1):
        start -= 1
    header = join_lines(lines[start : verdict_line + 1])
    if re.search(r"original\s+request,", header, re.I) and not _ORIGINAL_MARK.search(header):
        i = start - 1
        while i >= floor and i >= start - 12:
            if lines[i].strip() and _ORIGINAL_MARK.search(join_lines(lines[max(floor, i - 1) : i + 1])):
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


def parse_item_blocks(lines: list[str]) -> list[ItemBlock]:
    """Items of the 2014/2016 body: lines from the issues heading to the end of the letter."""
    claims_at = [i for i, ln in enumerate(lines) if _CLAIMS_G.match(ln)]
    blocks: list[ItemBlock] = []
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
        item, original, decision = split_item_header(join_lines(lines[s : v + 1]))
        blocks.append(ItemBlock(item, original, decision))
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


def recognise(lines: list[str]) -> str | None:
    """ "2016" (with a header block), "2014", or None when the letter has neither this layout's item paragraphs
    ("Claims Administrator guideline:") nor both its "HOW THE IMR ..." and "IMR ISSUES, ..." headings."""
    has_items = any(_CLAIMS_G.match(ln) for ln in lines)
    if not has_items and not (any(_HOW.match(ln) for ln in lines) and any(_ISSUES.match(ln) for ln in lines)):
        return None
    first = line_index(lines, _HOW)
    before = "\n".join(lines[:first]) if first is not None else "\n".join(lines[:400])[:600]
    return "2016" if re.search(r"\bCase\s+Number\s*:", before, re.I) else "2014"


def read(lines: list[str]) -> LetterParts:
    how = line_index(lines, _HOW)
    header = parse_header("\n".join(lines[:how])) if how is not None else {}
    cs = line_index(lines, _CASE_SUMMARY)
    issues = line_index(lines, _ISSUES)
    body_start = issues + 1 if issues is not None else (cs or 0)
    return LetterParts(
        header=header,
        reviewer_text="\n".join(lines[(how or 0) : cs]),
        summary=case_summary(lines, _CASE_SUMMARY, issues),
        blocks=parse_item_blocks(lines[body_start:]),
    )
