"""The prose all letter generations share: the case summary, an item's rationale, the credentials sentence.

Sentences come from ``data/phrases.toml``; a rationale is written after the
decision: a guideline statement, the case facts that support the decision, and a
verdict sentence, each drawn from several phrasings.
"""

from __future__ import annotations

import datetime as _dt
import random

from .catalogue import catalogue, phrases
from .plan import LetterPlan, PlannedItem
from .typeset import dash_date, prose_date


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _prose_list(items: list[str]) -> str:
    """Items joined as prose: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _pronouns(plan: LetterPlan) -> tuple[str, str]:
    if plan.sex_stated and plan.sex:
        return ("he", "his") if plan.sex == "male" else ("she", "her")
    return plan.noun, plan.noun + "'s"


def _fact_sentence(rng: random.Random, plan: LetterPlan, it: PlannedItem, fact: str) -> str:
    s = rng.choice(phrases()["facts"][fact]["yes" if it.facts[fact] else "no"])
    if not s:
        return ""
    who, pos = _pronouns(plan)
    return s.format(
        name=it.name, Name=_cap(it.name), part=it.part or "affected area", who=who, Who=_cap(who), pos=pos, **it.values
    )


def _opener(rng: random.Random, plan: LetterPlan) -> str:
    summary = phrases()["summary"]
    doi = dash_date(plan.dates["injury"], rng) if plan.template == "2016" else prose_date(plan.dates["injury"])
    options = summary["opener"] if plan.sex_stated else summary["opener_sex_unstated"]
    return rng.choice(options).format(
        age=plan.age,
        sex=plan.sex,
        occupation=plan.occupation,
        mechanism=plan.mechanism,
        injury_date=doi,
        noun=plan.noun,
        Noun=_cap(plan.noun),
    )


def case_summary(rng: random.Random, plan: LetterPlan) -> str:
    """The reviewer's case summary: the worker and injury, diagnoses, last visit, prior care, the facts, UR."""
    cat = catalogue()
    ph = phrases()
    summary = ph["summary"]
    who, _ = _pronouns(plan)
    parts = [_opener(rng, plan)]
    dx = [rng.choice(cat["regions"][r]["diagnoses"]) for r in plan.regions]
    if rng.random() < 0.4:
        dx.append(rng.choice(ph["worker"]["general_diagnoses"]))
    parts.append(rng.choice(summary["diagnoses"]).format(diagnoses=_prose_list(dx), Who=_cap(who)))
    complaint = cat["regions"][plan.regions[0]]["complaint"]
    visit = plan.dates["ur"] - _dt.timedelta(days=rng.randint(7, 60))
    vdate = dash_date(visit, rng) if plan.template == "2016" else prose_date(visit)
    pain = rng.randint(4, 9)  # drawn even for the phrasings without a score, so every seed keeps its letters
    parts.append(rng.choice(summary["visit"]).format(visit_date=vdate, who=who, complaint=complaint, pain=pain))
    care = rng.sample(ph["worker"]["prior_care"], k=rng.randint(2, 4))
    parts.append(rng.choice(summary["treatment_to_date"]).format(care=_prose_list(care)))
    for it in plan.items:
        facts = list(it.facts)
        rng.shuffle(facts)
        for f in facts:
            s = _fact_sentence(rng, plan, it, f)
            if s:
                parts.append(s)
    ur = dash_date(plan.dates["ur"], rng) if plan.template == "2016" else prose_date(plan.dates["ur"])
    req = [it.original or it.request for it in plan.items]
    modified = any(it.original for it in plan.items)
    verb = "modified" if modified else rng.choice(("non-certified", "denied"))
    several = len(req) > 1
    parts.append(
        rng.choice(summary["utilization_review"]).format(
            ur_date=ur, verb=verb, requests=_prose_list(req), s="s" if several else "", was="were" if several else "was"
        )
    )
    return " ".join(parts)


def rationale(rng: random.Random, it: PlannedItem) -> str:
    """The reviewer's rationale for a decided item: guidance, the reasons that support the decision, a verdict."""
    words = phrases()["rationale"]
    facts = phrases()["facts"]
    t = it.treatment
    sents = []
    if rng.random() < 0.85:
        sents.append(rng.choice(words["guidance"][t["topic"]]))
    pro, con = [], []
    for f, e in t["effects"].items():
        v = it.facts[f]
        helps = (v and e > 0) or (not v and e < 0)
        (pro if helps else con).append(rng.choice(facts[f]["reason_yes" if v else "reason_no"]))
    reasons = pro if it.overturned else con
    if not reasons:
        reasons = [rng.choice(words["generic_for"] if it.overturned else words["generic_against"])]
    rng.shuffle(reasons)
    reasons = reasons[: rng.randint(1, 3)]
    body = _cap(rng.choice(words["openers"]) + reasons[0]) + "."
    for r in reasons[1:]:
        j = rng.choice(words["joiners"])
        body += j + (r if j.strip() else _cap(r)) + "."  # after a bare space the reason starts a sentence
    sents.append(body)
    verdicts = words["verdict_overturned"] if it.overturned else words["verdict_upheld"]
    sents.append(rng.choice(verdicts).format(item=it.request))
    return " ".join(sents)


def credentials_sentence(plan: LetterPlan) -> str:
    """The reviewer's board certifications and licensure as one sentence (2013 letters, some 2014 ones)."""
    prose = phrases()["reviewer"]["specialty_prose"]
    spec = [prose.get(s, s) for s in plan.specialties[:2]]
    s = f"The expert reviewer is Board Certified in {spec[0]}"
    if len(spec) > 1:
        s += f", has a subspecialty in {spec[1]}"
    return s + f" and is licensed to practice in {_prose_list(list(plan.licensure))}."
