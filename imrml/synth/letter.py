"""A generated letter and its answer key: the records the parser should read back, and what drove each decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records.schema import OVERTURNED, UPHELD, Citation, ItemRecord
from .catalogue import phrases
from .plan import Cite, LetterPlan, PlannedItem


@dataclass
class GeneratedLetter:
    """One generated letter: its text as PDF extraction leaves it, its pages of lines, and its true items."""

    case_id: str
    template: str
    text: str
    items: list[ItemRecord]
    pages: list[list[str]]  # the lines of each page, as drawn into a PDF
    meta: list[dict] = field(default_factory=list)  # per item: catalogue key and topic, facts, P(Overturned)


def _pages(s: str) -> list[int]:
    """Page numbers of a printed range: "78-79" -> [78, 79], "24" -> [24], "41, 64" -> [41, 64]."""
    out: list[int] = []
    for part in s.split(","):
        part = part.strip()
        if "-" in part:
            a, b = (int(x) for x in part.split("-"))
            out.extend(range(a, b + 1))
        elif part:
            out.append(int(part))
    return out


def _true_citations(cites: list[Cite]) -> list[Citation]:
    odg_name = phrases()["guidelines"]["odg_name"]
    out = []
    for c in cites:
        if c.source == "none":
            out.append(Citation("none"))
        elif c.source == "MTUS":
            out.append(Citation("MTUS", c.doc, c.year, list(c.sections), _pages(c.pages)))
        elif c.source == "ODG":
            out.append(Citation("ODG", odg_name, None, [c.odg], []))
        else:
            out.append(Citation("other", c.odg, None, [], [], c.odg))
    return out


def decision(it: PlannedItem) -> str:
    """The decision label of a decided item."""
    return OVERTURNED if it.overturned else UPHELD


def item_record(
    plan: LetterPlan, idx: int, it: PlannedItem, summary: str, claims_text: str, reviewer_text: str, rationale: str
) -> ItemRecord:
    """The record the parser should read back for item ``idx`` (from 1) given the text the letter printed."""
    d = plan.dates
    tpl = plan.template
    has_header = tpl in ("2016", "2013")  # 2014: injury and UR dates are read from the summary
    prose = phrases()["reviewer"]["specialty_prose"]
    return ItemRecord(
        source_file=f"{plan.case_id}.txt",
        case_id=plan.case_id,
        template=tpl,
        decision_date=d["decision"].isoformat() if has_header else None,
        date_assigned=d["assigned"].isoformat() if has_header else None,
        ur_denial_date=d["ur"].isoformat(),
        application_received=d["received"].isoformat() if has_header else None,
        date_of_injury=d["injury"].isoformat(),
        priority=plan.priority,
        reviewer_specialties=[prose.get(s, s) for s in plan.specialties[:2]]
        if plan.cred_sentence
        else list(plan.specialties),
        reviewer_licensure=list(plan.licensure),
        patient_age=plan.age,
        patient_sex=plan.sex if plan.sex_stated else None,
        case_summary=summary,
        item_index=idx,
        item=it.request,
        original_request=it.original,
        decision=decision(it),
        claims_guideline_text=claims_text,
        reviewer_guideline_text=reviewer_text,
        claims_guideline=_true_citations(it.claims),
        reviewer_guideline=_true_citations(it.reviewer),
        rationale=rationale,
    )


def item_meta(plan: LetterPlan) -> list[dict]:
    """What drove each decision, for tests and analyses: catalogue key and topic, facts, P(Overturned)."""
    return [
        {
            "treatment": it.treatment["key"],
            "topic": it.treatment["topic"],
            "facts": dict(it.facts),
            "p_overturned": round(it.p_overturned, 4),
        }
        for it in plan.items
    ]
