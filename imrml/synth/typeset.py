"""How generated letters print: dates in the forms letters use, lines wrapped as PDF text comes out, pages."""

from __future__ import annotations

import datetime as _dt
import random


def us_date(d: _dt.date) -> str:
    """As header fields print dates: 03/07/2016."""
    return d.strftime("%m/%d/%Y")


def dash_date(d: _dt.date, rng: random.Random) -> str:
    """As 2016 case summaries write dates: 3-7-16 or 03-07-2016 (drawn)."""
    return f"{d.month}-{d.day}-{d.year % 100:02d}" if rng.random() < 0.5 else f"{d.month:02d}-{d.day:02d}-{d.year}"


def prose_date(d: _dt.date) -> str:
    """As older case summaries (and every case fact) write dates: March 7, 2016."""
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap at ``width`` characters; continued lines keep their trailing space (as PDF text does)."""
    words = text.split(" ")
    lines: list[str] = []
    cur = ""
    for w in words:
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur = cur + " " + w
        else:
            lines.append(cur + " ")
            cur = w
    lines.append(cur)
    return lines


def paginate(rng: random.Random, lines: list[str]) -> list[list[str]]:
    """The lines cut into pages of a drawn length (44 to 50 lines)."""
    per_page = rng.randint(44, 50)
    return [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]
