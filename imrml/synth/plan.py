"""The plan of a generated letter: what it is about and how each item is decided, before any wording.

How an item is made (all draws from the caller's ``random.Random``, so the same
seed gives the same plans):

1. a treatment from the catalogue (``data/synth_catalogue.toml``) with its topic
   and the guideline citations reviewers use for it;
2. case facts that apply to that treatment (documented functional improvement,
   long use, red flags, failed conservative care, sessions beyond the guideline's
   count...), each holding with its probability in ``data/phrases.toml``;
3. a latent logit: intercept + the catalogue's shift for each true fact +
   Gaussian noise; Overturned with probability sigmoid(logit). The intercept
   (:func:`intercept_for`) makes the overall Overturned share match the requested
   rate. So the case view (summary, item, claims citation) carries a learnable but
   noisy signal;
4. citations for the claims administrator and the reviewer (agreeing often, not
   always).

The renderers then write the plan out as a letter of its generation (template).
"""

from __future__ import annotations

import datetime as _dt
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache

from ..records.errors import UserError
from .catalogue import catalogue, phrases
from .typeset import prose_date

TEMPLATES = ("2016", "2014", "2013")
TEMPLATE_WEIGHTS = (0.60, 0.30, 0.10)
EFFECT_SCALE = 1.6  # multiplies every catalogue effect (the catalogue gives relative sizes)
NOISE_SD = 0.8  # standard deviation of the Gaussian noise added to each item's logit
CLAIMS_NO_CITATION_SHIFT = 0.4  # a claims denial that cites nothing is a little weaker


@dataclass
class Cite:
    """One guideline citation as planned; the renderers print it in their generation's form."""

    source: str  # MTUS, ODG, other, none
    doc: str | None = None
    year: int | None = None
    sections: tuple[str, ...] = ()
    pages: str = ""  # printed page range (2014/2013 forms)
    odg: str = ""  # ODG chapter and topic, or the other reference
    pages_style: bool = False  # 2014 "Chronic Pain Treatment Guidelines <section> Page(s): n" form


@dataclass
class PlannedItem:
    """One disputed item: the treatment, the case facts about it, its logit, citations and decision."""

    treatment: dict
    region: str | None
    part: str | None
    name: str
    request: str
    original: str | None
    authorized: str | None
    facts: dict[str, bool]
    values: dict[str, str]  # numbers and dates the fact sentences use
    base: float  # logit without the intercept
    claims: list[Cite] = field(default_factory=list)
    reviewer: list[Cite] = field(default_factory=list)
    overturned: bool = False
    p_overturned: float = 0.0


@dataclass
class LetterPlan:
    """Everything a letter states, drawn before its text is written."""

    template: str
    case_id: str
    sex: str | None
    sex_stated: bool
    age: int
    occupation: str
    mechanism: str
    regions: list[str]
    dates: dict[str, _dt.date]
    priority: str | None
    specialties: tuple[str, ...]
    licensure: tuple[str, ...]
    cred_sentence: bool
    items: list[PlannedItem]
    noun: str


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _reviewer_citations(rng: random.Random, t: dict, region: dict | None, template: str) -> list[Cite]:
    """The reviewer's citations for a treatment, as the template's era would print them."""
    guidelines = phrases()["guidelines"]
    fill = {"chapter": region["chapter"] if region else "Pain Chapter"}
    odg_topics = [o.format(**fill) for o in t["odg"]]

    def mtus_cite() -> Cite | None:
        options = t["mtus"]
        if template == "2014" and t["pages14"] and rng.random() < 0.7:
            sec, pages = rng.choice(t["pages14"])
            return Cite(
                "MTUS",
                "Chronic Pain Medical Treatment Guidelines",
                None,
                (sec,) if sec else (),
                pages,
                pages_style=True,
            )
        if not options:
            return None
        c = rng.choice(options)
        doc, year = c["doc"], c["year"]
        if doc == "{region}":
            if region is None:
                return None
            doc, year = region["doc"], region["year"]
        if template != "2016":
            if doc == "Opioids Treatment Guidelines":
                doc = "Chronic Pain Medical Treatment Guidelines"
            if doc == "Chronic Pain Medical Treatment Guidelines":
                year = 2009
        if template == "2013":
            if doc in guidelines["acoem_chapter"]:  # cited as the ACOEM 2nd edition (2004) chapter
                year = 2004
            pages = rng.choice(t["pages14"])[1] if t["pages14"] and rng.random() < 0.6 else ""
            return Cite("MTUS", doc, year, tuple(c["sections"]), pages)
        return Cite("MTUS", doc, year, tuple(c["sections"]))

    roll = rng.random()
    if roll < 0.03:
        return [Cite("none")]
    if roll < 0.05:
        return [Cite("other", odg=rng.choice(guidelines["other_references"]).format(topic=t["topic"].lower()))]
    m = mtus_cite()
    if m is None or roll < 0.05 + t["odg_weight"] * 0.6:
        return [Cite("ODG", odg=rng.choice(odg_topics))]
    cites = [m]
    if template == "2016" and rng.random() < 0.12 and region is not None and m.doc != region["doc"]:
        # a chained second MTUS document ("..., Section(s): X, and Low Back Complaints 2004.")
        cites.append(Cite("MTUS", region["doc"], region["year"], ("Summary",) if rng.random() < 0.5 else ()))
    if rng.random() < t["odg_weight"] * 0.8:
        cites.append(Cite("ODG", odg=rng.choice(odg_topics)))
    return cites


def _claims_citations(
    rng: random.Random, reviewer: list[Cite], t: dict, region: dict | None, template: str
) -> list[Cite]:
    """The claims administrator's citations: the reviewer's as often as not, otherwise another form."""
    roll = rng.random()
    if roll < 0.55:
        return list(reviewer)
    if roll < 0.72:
        return [Cite("none")]
    other = _reviewer_citations(rng, t, region, template)
    if rng.random() < 0.3 and other[0].source == "MTUS":
        c = other[0]  # a bare document with no sections ("Decision based on MTUS Knee Complaints 2004.")
        other = [Cite("MTUS", c.doc, c.year, (), "", pages_style=c.pages_style)] + other[1:]
    return other


def _case_number(rng: random.Random, yy: int, used: set[str]) -> str:
    while True:
        cid = f"CM{yy:02d}-{rng.randrange(1000, 260000):07d}"
        if cid not in used:
            used.add(cid)
            return cid


def plan_letter(rng: random.Random, used: set[str]) -> LetterPlan:
    """Draw the plan of one letter; ``used`` holds the case numbers drawn so far (each is drawn once)."""
    cat = catalogue()
    ph = phrases()
    template = _weighted(rng, TEMPLATES, TEMPLATE_WEIGHTS)
    # dates: decision date in the generation's years; the rest walk backwards from it
    span = {
        "2016": (_dt.date(2016, 6, 1), 540),
        "2014": (_dt.date(2014, 3, 1), 720),
        "2013": (_dt.date(2013, 9, 1), 240),
    }
    start, days = span[template]
    decision = start + _dt.timedelta(days=rng.randrange(days))
    assigned = decision - _dt.timedelta(days=rng.randint(10, 35))
    received = assigned - _dt.timedelta(days=rng.randint(1, 10))
    ur = received - _dt.timedelta(days=rng.randint(5, 40))
    years_back = rng.choice((0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12))
    injury = ur - _dt.timedelta(days=20 + 365 * years_back + rng.randrange(300))
    dates = {"decision": decision, "assigned": assigned, "received": received, "ur": ur, "injury": injury}
    case_id = _case_number(rng, assigned.year % 100 if template != "2013" else 13, used)

    sex = "male" if rng.random() < 0.55 else "female"
    sex_stated = template == "2016" or rng.random() < 0.92
    age = rng.randint(21, 72)
    regions = rng.sample(sorted(cat["regions"]), k=rng.choice((1, 1, 2, 2, 3)))
    specialties = ph["reviewer"]["specialties"]
    spec = tuple(_weighted(rng, [s["boards"] for s in specialties], [s["weight"] for s in specialties]))
    lic = ["California"] if rng.random() < 0.35 else rng.sample(ph["reviewer"]["states"], k=rng.choice((1, 2, 2, 3)))
    lic = tuple(dict.fromkeys(lic))
    cred_sentence = template == "2013" or (template == "2014" and rng.random() < 0.4)
    if cred_sentence and "California" not in lic:
        lic = lic + ("California",)
    priority = None  # 2014 letters state no priority; 2013 letters print "Priority: Standard"
    if template == "2016":
        priority = "Expedited" if rng.random() < 0.03 else "Standard"
    elif template == "2013":
        priority = "Standard"
    noun = {
        "2016": "the injured worker",
        "2014": rng.choice(("the applicant", "the patient", "the injured worker")),
        "2013": rng.choice(("the patient", "the claimant")),
    }[template]

    n_items = _weighted(rng, (1, 2, 3, 4, 5, 6), (44, 26, 15, 8, 4, 3))
    treatments = cat["treatment"]
    weights = [t["weight"] for t in treatments]
    chosen: list[dict] = []
    while len(chosen) < n_items:
        t = _weighted(rng, treatments, weights)
        if t not in chosen:
            chosen.append(t)
    items = []
    for t in chosen:
        region_key = rng.choice(regions) if t["regional"] else None
        region = cat["regions"][region_key] if region_key else None
        part = rng.choice(region["parts"]) if region else rng.choice(cat["regions"][regions[0]]["parts"])
        req_t = rng.choice(t["requests"])
        name = rng.choice(t["names"])
        if t["kind"] == "medication" and "cream" not in req_t:
            name = req_t.split()[0]  # the summary names the drug the item names
        qty = rng.choice(t["qty"]) if "{qty}" in req_t else None
        request = req_t.format(qty=qty, part=part)
        original = authorized = None
        if template == "2016" and qty and qty >= 4 and rng.random() < 0.10:
            auth_q = rng.randint(max(1, qty // 4), qty - 1)
            original, authorized = request, req_t.format(qty=auth_q, part=part)
            request = req_t.format(qty=qty - auth_q, part=part)
        facts = {f: rng.random() < ph["facts"][f]["p"] for f in t["effects"]}
        base = EFFECT_SCALE * (t["prior"] + sum(e for f, e in t["effects"].items() if facts[f]))
        base += rng.gauss(0.0, NOISE_SD)
        values = {
            "n": str(rng.choice((12, 18, 24, 30, 36)) if t["kind"] == "therapy" else rng.choice((6, 9, 12, 18, 24))),
            "small": str(rng.choice((2, 3, 4))),
            "hi": str(rng.randint(6, 9)),
            "lo": str(rng.randint(2, 5)),
            "since": prose_date(injury + _dt.timedelta(days=rng.randrange(max(1, (ur - injury).days)))),
        }
        it = PlannedItem(t, region_key, part, name, request, original, authorized, facts, values, base)
        it.reviewer = _reviewer_citations(rng, t, region, template)
        it.claims = _claims_citations(rng, it.reviewer, t, region, template)
        if it.claims[0].source == "none":
            it.base += CLAIMS_NO_CITATION_SHIFT
        items.append(it)
    return LetterPlan(
        template,
        case_id,
        sex,
        sex_stated,
        age,
        rng.choice(ph["worker"]["occupations"]),
        rng.choice(ph["worker"]["mechanisms"]),
        regions,
        dates,
        priority,
        spec,
        lic,
        cred_sentence,
        items,
        noun,
    )


def decide(rng: random.Random, plan: LetterPlan, intercept: float) -> None:
    """Draw each item's decision: Overturned with probability sigmoid(base logit + ``intercept``)."""
    for it in plan.items:
        it.p_overturned = _sigmoid(it.base + intercept)
        it.overturned = rng.random() < it.p_overturned


def check_overturn_rate(overturn_rate: float) -> None:
    """Raise UserError unless ``overturn_rate`` (``--overturn-rate``) is a share strictly between 0 and 1: at 0
    or 1 no intercept reaches it."""
    if not 0.0 < overturn_rate < 1.0:  # NaN fails too
        raise UserError(f"--overturn-rate {overturn_rate:g}: the share of Overturned items must be between 0 and 1")


@lru_cache(maxsize=32)
def intercept_for(overturn_rate: float) -> float:
    """The logit intercept that makes the expected Overturned share ``overturn_rate``.

    Solved by bisection on a fixed simulation of 3,000 letter plans (its own seed),
    so it is the same for every corpus seed.
    """
    check_overturn_rate(overturn_rate)
    rng = random.Random(20160401)
    used: set[str] = set()
    bases = [it.base for _ in range(3000) for it in plan_letter(rng, used).items]
    lo, hi = -15.0, 15.0
    for _ in range(50):
        mid = (lo + hi) / 2
        rate = sum(_sigmoid(b + mid) for b in bases) / len(bases)
        lo, hi = (mid, hi) if rate < overturn_rate else (lo, mid)
    return (lo + hi) / 2
