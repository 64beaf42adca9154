"""Section headings: finding one that wraps across lines, and naming the headings of a letter no layout knows.

Each layout module lists the headings of its letters (``HEADINGS``, :class:`Heading`). A heading is
matched at the start of a line, or across up to :data:`MAX_WRAP` lines joined, because extracted
text wraps long headings ("MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL" /
"REVIEWER AND WHY:"). A letter that no layout recognises is rejected with the headings it has and
those the nearest layout would also need (:func:`unknown_layout_reason`), so a user can report it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_WRAP = 3  # lines a heading may wrap over


@dataclass(frozen=True)
class Heading:
    """A heading as printed (``name``), the pattern that finds it at the start of a (joined) line, and its words
    found anywhere (``anywhere``: a letter without them cannot have the heading, checked in one pass first)."""

    name: str
    pattern: re.Pattern[str]
    anywhere: re.Pattern[str]


def heading(name: str, pattern: str | None = None, whole_line: bool = False) -> Heading:
    """A :class:`Heading`; without ``pattern``, ``name`` itself with any run of spaces matching any whitespace.

    ``whole_line``: the heading stands alone on its (joined) line, so "DOCUMENTS REVIEWED" does not
    find "DOCUMENTS REVIEWED FOR DETERMINATION:".
    """
    if pattern is None:
        pattern = r"\s+".join(re.escape(word) for word in name.split())
    at_line_start = re.compile(r"\s*(?:" + pattern + r")" + (r"\s*:?\s*$" if whole_line else ""), re.I)
    return Heading(name, at_line_start, re.compile(pattern, re.I))


@dataclass(frozen=True)
class Found:
    """Where a heading is: its first line, the line after its last, and the text after it on that line."""

    start: int
    end: int
    rest: str


def find_heading(lines: Sequence[str], h: Heading, start: int = 0, stop: int | None = None) -> Found | None:
    """The first place from ``start`` (before ``stop``) where ``h`` begins a line, wrapped or not."""
    stop = len(lines) if stop is None else stop
    if h.anywhere.search("\n".join(lines[start:stop])) is None:  # most letters lack most layouts' headings
        return None
    for i in range(start, stop):
        if not lines[i].strip():
            continue
        joined = ""
        for k in range(i, min(i + MAX_WRAP, stop)):
            if k > i and not lines[k].strip():
                break
            before = len(joined)
            joined = f"{joined} {lines[k].strip()}" if joined else lines[k].strip()
            m = h.pattern.match(joined)
            if m and m.end() > before:
                return Found(i, k + 1, joined[m.end() :].strip())
    return None


def headings_found(lines: Sequence[str], headings: Iterable[Heading]) -> list[str]:
    """Names of ``headings`` that the letter has, in the order given."""
    return [h.name for h in headings if find_heading(lines, h) is not None]


def unknown_layout_reason(lines: Sequence[str], layouts: dict[str, Sequence[Heading]]) -> str:
    """The reject reason of a letter no layout recognised: the known headings it has and, for the layout
    whose headings it shares most, those it lacks. ``layouts``: template name -> that layout's headings."""
    found_by_layout = {name: headings_found(lines, hs) for name, hs in layouts.items()}
    found = list(dict.fromkeys(h for names in found_by_layout.values() for h in names))
    if not found:
        return "not an IMR final determination letter (none of its headings or item blocks found)"
    nearest = max(layouts, key=lambda name: len(found_by_layout[name]) / len(layouts[name]))
    missing = [h.name for h in layouts[nearest] if h.name not in found_by_layout[nearest]]
    return (
        f"IMR letter in a layout imrml does not know: found headings {_quoted(found)}; "
        f"nearest layout {nearest!r} also needs {_quoted(missing)}"
    )


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names) or "nothing more"
