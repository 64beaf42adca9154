"""The text of a 2013 letter, the MAXIMUS letter to the parties.

Shape of tests/fixtures/letter_2013.txt: a title, header lines, a salutation, the
numbered "Final Determination" list, the reviewer's qualifications sentence, the
case summary, then per item a numbered heading, the two "Section of the Medical
Treatment Utilization Schedule (MTUS) used by ..." labels each on a line of its own
with the citation below, and "Rationale for the Decision:" with the rationale below.
Blocks are separated by blank lines; lines carry no trailing spaces.
"""

from __future__ import annotations

import random

from ..letters.extract import PAGE_BREAK
from ..records.schema import ItemRecord
from .catalogue import phrases
from .letter import GeneratedLetter, item_meta, item_record
from .plan import Cite, LetterPlan
from .prose import credentials_sentence, rationale
from .typeset import paginate, us_date, wrap


def _citations_2013(cites: list[Cite], party: str) -> str:
    """The citation paragraph of a claims administrator (party "claims") or reviewer ("reviewer")."""
    guidelines = phrases()["guidelines"]
    acoem = phrases()["letter_2013"]["acoem_citation"]
    who = "The Claims Administrator" if party == "claims" else "The Expert Reviewer"
    if cites[0].source == "none":
        return f"{who} did not cite any evidentiary basis for its decision."
    verb = "its" if party == "claims" else "his/her"
    pieces = []
    for c in cites:
        if c.source == "MTUS":
            if c.doc in guidelines["acoem_chapter"]:
                s = acoem.format(chapter=guidelines["acoem_chapter"][c.doc], doc=c.doc)
            else:
                s = f"MTUS {c.doc} ({c.year})"
            if c.sections:
                s += ", " + ", ".join(c.sections)
            if c.pages:
                s += f", pages {c.pages}" if "-" in c.pages else f", page {c.pages}"
            pieces.append(s + ", which is part of the MTUS")
        elif c.source == "ODG":
            pieces.append(f"{guidelines['odg_name']} (ODG), {c.odg}, which is not part of the MTUS")
        else:
            pieces.append(f"{c.odg}, which is not part of the MTUS")
    return f"{who} based {verb} decision on the " + ", and the ".join(pieces) + "."


def render_2013(rng: random.Random, plan: LetterPlan, summary: str, width: int) -> GeneratedLetter:
    """Write out a decided 2013 plan, its case summary already written, wrapping at ``width`` (at most 90)."""
    words = phrases()["letter_2013"]
    d = plan.dates
    width = min(width, 90)
    lines: list[str] = []

    def P(text: str) -> None:
        lines.extend(w.rstrip(" ") for w in wrap(text, width))

    def B() -> None:
        lines.append("")

    lines += ["Independent Medical Review Final Determination Letter", ""]
    lines += [
        f"IMR Case Number: {plan.case_id}",
        f"Date of Injury: {us_date(d['injury'])}",
        f"Date Assigned: {us_date(d['assigned'])}",
        f"Date of UR Decision: {us_date(d['ur'])}",
        f"Application Received: {us_date(d['received'])}",
        f"Decision Date: {us_date(d['decision'])}",
        "Priority: Standard",
        "",
    ]
    lines += [rng.choice(("Dear Claimant:", "Dear Parties:")), ""]
    P(rng.choice(words["opening"]))
    B()
    lines.append("Final Determination")
    verdicts = []
    for idx, it in enumerate(plan.items, 1):
        verdict = "medically necessary and appropriate" if it.overturned else "not medically necessary and appropriate"
        verdicts.append(verdict)
        P(f"{idx}. " + words["determination"].format(item=it.request, verdict=verdict))
    B()
    P(rng.choice(words["binding"]))
    B()
    lines.append("HOW THE IMR FINAL DETERMINATION WAS MADE")
    P(rng.choice(words["how_made"]))
    B()
    lines.append("Medical Qualifications of the Expert Reviewer:")
    P(credentials_sentence(plan) + " The reviewer is in active practice at least half time.")
    B()
    lines.append("Expert Reviewer Case Summary:")
    P(summary)
    records: list[ItemRecord] = []
    for idx, (it, verdict) in enumerate(zip(plan.items, verdicts, strict=True), 1):
        B()
        P(f"{idx}. {it.request} is {verdict}.")
        claims_text = _citations_2013(it.claims, "claims")
        reviewer_text = _citations_2013(it.reviewer, "reviewer")
        lines.append(words["section_label"].format(who="Claims Administrator"))
        P(claims_text)
        lines.append(words["section_label"].format(who="Expert Reviewer"))
        P(reviewer_text)
        lines.append("Rationale for the Decision:")
        why = rationale(rng, it)
        P(why)
        records.append(item_record(plan, idx, it, summary, claims_text, reviewer_text, why))
    pages = paginate(rng, lines)
    text = PAGE_BREAK.join("\n".join(page) for page in pages) + "\n"
    return GeneratedLetter(plan.case_id, "2013", text, records, pages, item_meta(plan))
