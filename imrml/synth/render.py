"""The text of a planned letter: the 2016 and 2014 layouts here, 2013 letters in :mod:`.render_2013`.

Both layouts run: header (2016 only), how the determination was made, the
reviewer's credentials, the case summary, then per item the decision, the claims
administrator's and the reviewer's citations and the rationale. They differ in a
few citation forms and in how PDF text extraction left them: 2016 letters as lines
with pages separated by a form feed, 2014 letters with every line followed by an
empty one.
"""

from __future__ import annotations

import random

from ..letters.extract import PAGE_BREAK
from ..records.schema import ItemRecord
from .catalogue import phrases
from .letter import GeneratedLetter, decision, item_meta, item_record
from .plan import Cite, LetterPlan
from .prose import case_summary, credentials_sentence, rationale
from .render_2013 import render_2013
from .typeset import paginate, us_date, wrap


def _mtus_2016(c: Cite) -> str:
    s = f"{phrases()['guidelines']['mtus_printed'].get(c.doc, c.doc)} {c.year}"
    if c.sections:
        s += ", Section(s): " + ", ".join(c.sections)
    return s


def _citations_text(cites: list[Cite], party: str, template: str, rng: random.Random) -> str:
    """The citation paragraph of a claims administrator (party "claims") or reviewer ("reviewer")."""
    who = "The Claims Administrator" if party == "claims" else "The Expert Reviewer"
    if cites[0].source == "none":
        return f"{who} did not cite any medical evidence for its decision."
    mtus = [c for c in cites if c.source == "MTUS"]
    rest = [c for c in cites if c.source != "MTUS"]
    out = []
    if mtus:
        if template == "2014" and mtus[0].pages_style:
            c = mtus[0]
            s = "Decision based on MTUS Chronic Pain Treatment Guidelines"
            if c.sections:
                s += " " + ", ".join(c.sections)
            if c.pages:
                s += f" Page(s): {c.pages}."
            else:
                s += "."
            out.append(s)
        else:
            out.append("Decision based on MTUS " + ", and ".join(_mtus_2016(c) for c in mtus) + ".")
    elif template == "2014" and party == "claims" and rng.random() < 0.5:
        out.append(f"{who} did not base their decision on the MTUS.")
    else:
        out.append(f"{who} based their decision on recommendation(s) outside of the MTUS Guidelines.")
    for c in rest:
        ref = f"{phrases()['guidelines']['odg_name']} (ODG), {c.odg}" if c.source == "ODG" else c.odg
        out.append(f"Decision based on Non-MTUS Citation {ref}.")
    return " ".join(out)


def render_letter(rng: random.Random, plan: LetterPlan) -> GeneratedLetter:
    """Write out a decided plan (see :func:`.plan.decide`) as the letter of its generation."""
    summary = case_summary(rng, plan)
    width = rng.randint(88, 97)
    if plan.template == "2013":
        return render_2013(rng, plan, summary, width)
    words = phrases()["letter"]
    paras: list[tuple[str, str]] = []  # (kind, text); kind "line" is never wrapped, "para" is wrapped
    records: list[ItemRecord] = []
    d = plan.dates
    tpl = plan.template

    def P(text: str) -> None:
        paras.append(("para", text))

    def L(text: str) -> None:
        paras.append(("line", text))

    if tpl == "2016":
        L(f"Case Number: {plan.case_id}")
        L(f"Date Assigned: {us_date(d['assigned'])} Date of Injury: {us_date(d['injury'])}")
        L(f"Decision Date: {us_date(d['decision'])} UR Denial Date: {us_date(d['ur'])}")
        L(f"Priority: {plan.priority} Application ")
        L("Received: ")
        L(us_date(d["received"]))
    L("HOW THE IMR FINAL DETERMINATION WAS MADE")
    P(rng.choice(words["how_made"]))
    if plan.cred_sentence:
        P(credentials_sentence(plan))
    else:
        L("The Expert Reviewer has the following credentials:")
        sep = "," if rng.random() < 0.4 else ", "
        L("State(s) of Licensure: " + sep.join(plan.licensure))
        L("Certification(s)/Specialty: " + ", ".join(plan.specialties))
    L("CLINICAL CASE SUMMARY")
    P(words["summary_intro"])
    P(summary)
    L("IMR ISSUES, DECISIONS AND RATIONALES")
    P(words["final_determination"])
    for idx, it in enumerate(plan.items, 1):
        if it.original:
            P(
                f"{it.original} was the original request. {it.authorized} was authorized by the Claims Administrator. "
                f"The remaining IMR eligible portion of the original request, {it.request} is: {decision(it)}"
            )
        else:
            P(f"{it.request}: {decision(it)}")
        claims_text = _citations_text(it.claims, "claims", tpl, rng)
        reviewer_text = _citations_text(it.reviewer, "reviewer", tpl, rng)
        P("Claims Administrator guideline: " + claims_text)
        P("MAXIMUS guideline: " + reviewer_text)
        why = rationale(rng, it)
        P("Decision rationale: " + why)
        records.append(item_record(plan, idx, it, summary, claims_text, reviewer_text, why))

    lines: list[str] = []  # logical lines (the text of a PDF line)
    breaks: list[int] = []  # indexes in lines where a paragraph starts (for the 2014 rendering)
    for kind, text in paras:
        breaks.append(len(lines))
        lines.extend([text] if kind == "line" else wrap(text, width))
    pages = paginate(rng, lines)
    if tpl == "2016":  # as pypdfium2 leaves it: lines, pages separated by a form feed
        text = PAGE_BREAK.join("\n".join(page) for page in pages) + "\n"
    else:  # 2014: every line followed by an empty line, paragraph breaks as a line holding one space
        out = []
        starts = set(breaks)
        for i, line in enumerate(lines):
            if i in starts and i > 0:
                out.append(" \n\n")
            out.append((" " if i == 0 else "") + line.rstrip(" ") + " \n\n")
        text = "".join(out)
    return GeneratedLetter(plan.case_id, tpl, text, records, pages, item_meta(plan))
