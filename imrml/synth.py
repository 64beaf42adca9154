"""Generate a corpus of realistic IMR letters with their true items (issue 4).

Real letters cannot ship with the project, so the demo, the tests and the scale
benchmarks use letters made here. Each generated letter looks to the parser like a
real one of one of the three letter generations ("2016" with a header block,
"2014" as older PDF text extraction left it, "2013" the MAXIMUS letter to the
parties), and comes with the records the parser should read back from it.

How an item is made (all draws from one ``random.Random(seed)``, so the same seed
gives byte-identical output):

1. a treatment from the catalogue (``imrml/data/synth_catalogue.toml``) with its
   topic and the guideline citations reviewers use for it;
2. case facts that apply to that treatment (documented functional improvement,
   long use, red flags, failed conservative care, sessions beyond the guideline's
   count...). Each is written into the case summary in one of several phrasings;
3. a latent logit: intercept + the catalogue's shift for each true fact +
   Gaussian noise; Overturned with probability sigmoid(logit). The intercept is
   calibrated (on a fixed simulation) so the overall Overturned share matches
   ``overturn_rate``. So the case view (summary, item, claims citation) carries a
   learnable but noisy signal;
4. citations for the claims administrator and the reviewer (agreeing often, not
   always), and a rationale written after the decision: a guideline statement,
   the case facts that support the decision, and a verdict sentence, each drawn
   from several phrasings.

Every sentence here is the project's own; nothing is copied from real letters.
"""

from __future__ import annotations

import datetime as _dt
import math
import random
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .extract import PAGE_BREAK
from .schema import OVERTURNED, UPHELD, Citation, ItemRecord

TEMPLATES = ("2016", "2014", "2013")
TEMPLATE_WEIGHTS = (0.60, 0.30, 0.10)
EFFECT_SCALE = 1.6  # multiplies every catalogue effect (the catalogue gives relative sizes)
NOISE_SD = 0.8  # standard deviation of the Gaussian noise added to each item's logit
CLAIMS_NO_CITATION_SHIFT = 0.4  # a claims denial that cites nothing is a little weaker

# ----------------------------------------------------------------------------- catalogue


@lru_cache(maxsize=1)
def catalogue() -> dict:
    """The treatment catalogue (``imrml/data/synth_catalogue.toml``), checked once."""
    data = tomllib.loads(resources.files("imrml").joinpath("data/synth_catalogue.toml").read_text("utf-8"))
    for t in data["treatment"]:
        t.setdefault("regional", False)
        t.setdefault("qty", [])
        for fact in t["effects"]:
            if fact not in FACTS:
                raise ValueError(f"catalogue entry {t['key']}: unknown fact {fact!r}")
        for c in t["mtus"]:
            for s in c["sections"]:
                # the parser splits sections on ", " unless the next piece starts lowercase
                for piece in s.split(", ")[1:]:
                    if piece[:1].isupper():
                        raise ValueError(f"catalogue entry {t['key']}: section {s!r} would be split by the parser")
    return data


MTUS_PRINTED = {  # canonical MTUS document -> as 2016-layout letters print it before the year
    "Chronic Pain Medical Treatment Guidelines": "Chronic Pain Medical Treatment",
    "Acupuncture Medical Treatment Guidelines": "Acupuncture Treatment",
    "Opioids Treatment Guidelines": "Opioid Treatment",
    "Postsurgical Treatment Guidelines": "Postsurgical Treatment",
}

ODG_NAME = "Official Disability Guidelines"

# ----------------------------------------------------------------------------- case facts
# Each fact: probability it holds, and sentences for the case summary when it holds
# ("yes") and when it does not ("no"). Placeholders: {name} the treatment as the
# summary names it, {Name} capitalized, {part} body part, {who} the worker noun,
# {Who} capitalized, {pos} possessive ("his", "her", "the worker's"), {n} a count.

FACTS: dict[str, dict] = {
    "function": dict(p=0.35, yes=(
        "{Who} reported that {name} allowed longer walks and a return to light household chores.",
        "With {name}, pain scores fell from {hi} to {lo} out of 10 and {pos} sitting tolerance doubled.",
        "The treating physician documented measurable gains in daily activities attributed to {name}.",
        "Progress notes recorded that {name} helped {who} keep working modified duty.",
    ), no=(
        "The notes did not describe any change in function attributable to {name}.",
        "Pain remained {hi} out of 10 and no gain in activity was recorded with {name}.",
        "No objective functional benefit from {name} was documented at recent visits.",
        "",
        "",
    )),
    "duration": dict(p=0.55, yes=(
        "{Name} had been prescribed continuously for more than {n} months.",
        "{Who} had been taking {name} since at least {since}.",
        "Records showed long term use of {name} over the past several years.",
    ), no=(
        "{Name} was started recently as a short trial.",
        "{Name} was newly prescribed at the last visit.",
        "",
    )),
    "monitoring": dict(p=0.4, yes=(
        "A urine drug screen on {since} was consistent with the prescribed medications.",
        "A signed medication agreement was on file and the state prescription database showed no other prescribers.",
        "Recent toxicology results were appropriate and no aberrant behavior was noted.",
    ), no=(
        "No recent drug screen or medication agreement was found in the records.",
        "The file did not document any monitoring for misuse.",
        "",
    )),
    "neuropathic": dict(p=0.4, yes=(
        "There was burning pain with numbness in a dermatomal pattern.",
        "Sensation was decreased along the {part} distribution with positive nerve tension signs.",
        "The treating provider described the pain as neuropathic, with tingling and allodynia.",
    ), no=(
        "No radicular or neuropathic features were described.",
        "Sensation and nerve tension testing were normal.",
        "",
    )),
    "gi_risk": dict(p=0.3, yes=(
        "{Who} reported dyspepsia while on anti-inflammatory medication and had a history of gastritis.",
        "There was a prior gastrointestinal bleed and ongoing use of an anti-inflammatory drug.",
        "Stomach upset with oral anti-inflammatory medication was documented.",
    ), no=(
        "No gastrointestinal complaints or risk factors were recorded.",
        "The review of systems was negative for gastrointestinal symptoms.",
        "",
    )),
    "failed": dict(p=0.45, yes=(
        "Symptoms persisted despite months of physical therapy, medications and activity modification.",
        "{Who} had not improved with rest, home exercise and anti-inflammatory medication.",
        "Conservative care including therapy and medication had failed to relieve the {part} symptoms.",
    ), no=(
        "There was no record of a recent course of conservative care for the {part}.",
        "A trial of therapy and home exercise had not yet been completed.",
        "",
    )),
    "red_flags": dict(p=0.2, yes=(
        "Examination showed progressive weakness and diminished reflexes on the affected side.",
        "New bowel and bladder changes were reported along with worsening leg weakness.",
        "The provider noted a new neurological deficit involving the {part}.",
        "There was concern for an unstable lesion after a second fall at work.",
    ), no=(
        "The neurological examination was intact.",
        "Strength, reflexes and sensation were within normal limits.",
        "No red flag findings were documented.",
        "",
    )),
    "prior_study": dict(p=0.3, yes=(
        "A similar study of the {part} had been done in {since} and showed degenerative changes.",
        "Prior imaging of the {part} was already on file.",
    ), no=(
        "No earlier studies of the {part} were available.",
        "",
    )),
    "exceeds": dict(p=0.45, yes=(
        "{Who} had already attended {n} sessions of {name} for this injury.",
        "At least {n} prior visits of {name} had been completed.",
        "This request followed {n} sessions of {name} authorized earlier in the claim.",
    ), no=(
        "No prior {name} had been provided for this condition.",
        "This would be the first course of {name}.",
        "Only {small} visits of {name} had been completed to date.",
    )),
    "postop": dict(p=0.25, yes=(
        "{Who} had undergone surgery of the {part} on {since}.",
        "The request followed a recent operation on the {part}.",
    ), no=(
        "",
        "No surgery had been performed on the {part}.",
    )),
    "psych": dict(p=0.35, yes=(
        "{Who} endorsed depressed mood, poor sleep and fear of reinjury.",
        "A psychological screen showed moderate depression and anxiety related to the injury.",
    ), no=(
        "Mood was described as stable.",
        "",
    )),
    "imaging_confirms": dict(p=0.4, yes=(
        "Imaging of the {part} showed a lesion that matched the examination findings.",
        "The MRI demonstrated a finding of the {part} amenable to surgical correction.",
    ), no=(
        "Imaging showed only mild changes that did not match the symptoms.",
        "No confirming imaging of the {part} was provided.",
    )),
    "aberrant": dict(p=0.15, yes=(
        "The provider noted early refill requests and a lost prescription.",
        "There were concerns about medication misuse, with inconsistent pill counts.",
    ), no=(
        "",
        "No aberrant medication behavior was described.",
    )),
    "homebound": dict(p=0.25, yes=(
        "{Who} was largely homebound and needed help with bathing and dressing.",
        "{Who} could not transfer independently and lived alone.",
    ), no=(
        "{Who} was independent with self care and drove to appointments.",
        "",
    )),
}

# Reasons a rationale gives, per fact and whether it held. The direction (for or
# against the treatment) follows the sign of the catalogue's effect.
REASONS: dict[tuple[str, bool], tuple[str, ...]] = {
    ("function", True): (
        "the records show a meaningful gain in function and a drop in pain with this treatment",
        "the treating notes quantify improved activity tolerance from the treatment",
    ),
    ("function", False): (
        "the records do not document any objective functional improvement from prior use",
        "there is no measurable gain in function or reduction in pain on file",
    ),
    ("duration", True): (
        "the treatment has already been used far longer than the short course the guidelines support",
        "use has continued for many months, beyond the period for which benefit is established",
    ),
    ("duration", False): (
        "the request is for a short course, within the time frame the guidelines allow",
        "use has been brief and a limited trial is reasonable",
    ),
    ("monitoring", True): (
        "monitoring for safe use is documented with consistent testing",
        "a current medication agreement and appropriate test results are on file",
    ),
    ("monitoring", False): (
        "there is no documented monitoring for adverse effects or misuse",
        "no recent screening or agreement supports continued prescribing",
    ),
    ("neuropathic", True): (
        "the examination describes a neuropathic component that this treatment targets",
        "the findings are consistent with nerve related pain",
    ),
    ("neuropathic", False): (
        "no neuropathic component is described",
        "the findings do not suggest nerve related pain",
    ),
    ("gi_risk", True): (
        "the patient has documented gastrointestinal risk factors",
        "gastrointestinal symptoms on anti-inflammatory medication are recorded",
    ),
    ("gi_risk", False): (
        "no gastrointestinal risk factor is documented",
        "the records describe no gastrointestinal complaint that would call for it",
    ),
    ("failed", True): (
        "an adequate course of conservative care has failed",
        "symptoms have persisted despite appropriate first line treatment",
    ),
    ("failed", False): (
        "a reasonable course of conservative care has not yet been completed",
        "first line measures have not been exhausted",
    ),
    ("red_flags", True): (
        "there are red flag findings that warrant further evaluation",
        "a progressive neurological deficit is documented",
    ),
    ("red_flags", False): (
        "no red flag condition or progressive deficit is documented",
        "the neurological findings are stable and unremarkable",
    ),
    ("prior_study", True): (
        "a comparable study has already been performed and no significant change is described",
        "repeat testing is not justified without a change in the clinical picture",
    ),
    ("prior_study", False): (
        "no prior study of this region is available",
        "this would be the first study of the area",
    ),
    ("exceeds", True): (
        "the sessions already completed meet or exceed the number the guidelines recommend",
        "the request would take the total visits past the recommended course",
    ),
    ("exceeds", False): (
        "the request falls within the number of visits the guidelines allow",
        "the total number of sessions stays within the recommended course",
    ),
    ("postop", True): (
        "the request supports recovery after a recent operation",
        "postoperative rehabilitation is supported in this period",
    ),
    ("postop", False): (
        "there is no recent surgery that would support it",
        "the patient is not in a postoperative period",
    ),
    ("psych", True): (
        "psychological factors are documented and addressing them is appropriate",
        "the file records depressive and anxiety symptoms related to the injury",
    ),
    ("psych", False): (
        "no psychological barrier to recovery is documented",
        "psychological screening has not identified a need",
    ),
    ("imaging_confirms", True): (
        "imaging confirms a lesion that correlates with the examination",
        "the imaging findings match the clinical findings",
    ),
    ("imaging_confirms", False): (
        "imaging does not show a lesion that correlates with the symptoms",
        "there is no imaging correlation for the proposed treatment",
    ),
    ("aberrant", True): (
        "aberrant medication behavior has been documented",
        "there are documented concerns about misuse",
    ),
    ("aberrant", False): (
        "there is no sign of aberrant medication behavior",
        "no concern about misuse is recorded",
    ),
    ("homebound", True): (
        "the patient is homebound and needs skilled help",
        "the patient cannot manage self care alone",
    ),
    ("homebound", False): (
        "the patient is independent with self care",
        "the patient is not homebound",
    ),
}

GENERIC_AGAINST = (
    "the records do not establish the medical need for this request",
    "the submitted documentation does not support the request as written",
    "the request is not accompanied by a clear treatment goal",
)
GENERIC_FOR = (
    "the documentation supports the request as written",
    "the clinical findings support the need for this request",
    "the request is reasonable given the documented findings",
)

GUIDANCE: dict[str, tuple[str, ...]] = {  # what the guideline says, per topic
    "Opioids": (
        "The guidelines support continued opioid use only with documented pain relief, improved function and monitoring for misuse.",
        "Ongoing opioid therapy calls for periodic review of analgesia, activity, side effects and aberrant behavior.",
    ),
    "Benzodiazepines": (
        "Benzodiazepines are not recommended for long term use because efficacy is unproven and dependence develops quickly.",
        "The guidelines limit benzodiazepines to a few weeks owing to tolerance and the risk of dependence.",
    ),
    "Muscle relaxants": (
        "Muscle relaxants are recommended only as a short second line option for acute flares of chronic back pain.",
        "The guidelines support sedating muscle relaxants for brief use and note that benefit fades with time.",
    ),
    "Anti-epilepsy drugs": (
        "Antiepileptic drugs are recommended for neuropathic pain, with a response judged by pain relief and function.",
        "The guidelines support these agents as a first line option for nerve pain when a benefit is documented.",
    ),
    "NSAIDs": (
        "Anti-inflammatory drugs are recommended at the lowest dose for the shortest period for flares of pain.",
        "The guidelines support anti-inflammatory medication for short periods with attention to gastrointestinal and renal risk.",
    ),
    "Topical analgesics": (
        "Topical analgesics are largely experimental and are reserved for neuropathic pain after oral agents have failed.",
        "Any compounded product that contains at least one unsupported ingredient is not recommended.",
    ),
    "Antidepressants": (
        "Antidepressants are recommended as a first line option for neuropathic pain and may help nonneuropathic pain.",
        "The guidelines support antidepressants for chronic pain when the response is assessed by function and sleep.",
    ),
    "Other medications": (
        "Supportive medications need a documented indication and a response to continue.",
        "The guidelines support such agents only for a clear indication and for a limited period.",
    ),
    "Imaging/special studies": (
        "Imaging is indicated when red flags are present or when surgery is being considered after failed conservative care.",
        "The guidelines reserve advanced imaging for clear neurological findings or for planning a procedure.",
    ),
    "Electrodiagnostic studies": (
        "Electrodiagnostic testing may help when the examination suggests nerve involvement that is not yet clear.",
        "The guidelines support nerve testing when the clinical picture of radiculopathy or entrapment is equivocal.",
    ),
    "Physical medicine": (
        "The guidelines allow about nine to ten visits over eight weeks for these conditions, then a home program.",
        "Active therapy is recommended with a fading frequency and a transition to home exercise.",
    ),
    "Chiropractic/manipulation": (
        "Manipulation is recommended as a trial of six visits, with more only when objective improvement follows.",
        "The guidelines support manual therapy for low back pain with a time limited trial.",
    ),
    "Acupuncture": (
        "Acupuncture is an option when pain medication is reduced or not tolerated, with functional gains expected within six treatments.",
        "The guidelines allow extension of acupuncture only when functional improvement is documented.",
    ),
    "Psychological treatment": (
        "Psychological treatment is recommended for appropriately identified patients during chronic pain care.",
        "The guidelines support an initial trial of a few sessions, with more after evidence of improvement.",
    ),
    "Injections": (
        "Injections are recommended as an option when the findings correlate with imaging and conservative care has failed.",
        "The guidelines support injections for a clear pain generator after failure of first line treatment.",
    ),
    "Surgery": (
        "Surgery is considered when there are clear clinical and imaging findings of a lesion that benefits from repair and conservative care has failed.",
        "The guidelines call for activity limitation, failed conservative care and correlating imaging before an operation.",
    ),
    "DME": (
        "Durable equipment is recommended when it is primarily medical, can withstand repeated use and serves a documented need.",
        "The guidelines support equipment of this kind mainly in the postoperative period or for a clear functional need.",
    ),
    "TENS/electrical stimulation": (
        "Electrical stimulation is not a primary treatment and is considered only as an adjunct to a program of functional restoration.",
        "A one month trial with documented benefit is expected before a purchase of the device.",
    ),
    "Programs": (
        "Such programs are recommended when previous methods have failed and the patient is motivated to change.",
        "The guidelines support these programs for selected patients with significant loss of function and no other options.",
    ),
    "Labs/drug testing": (
        "Drug testing is recommended as an option to assess for the use or presence of illegal drugs in patients on controlled medications.",
        "The frequency of testing should follow the risk of misuse documented in the record.",
    ),
    "Home health/facility care": (
        "Home health services are recommended only for medical treatment of patients who are homebound.",
        "The guidelines support facility care when the patient needs skilled services that cannot be given at home.",
    ),
    "Office visits/consultations": (
        "A referral is appropriate when the diagnosis is uncertain or the plan may benefit from added expertise.",
        "Office visits are determined by the clinical course and the need for monitoring.",
    ),
}

VERDICT_UPHELD = (
    "Therefore, the request for {item} is not medically necessary.",
    "As a result, {item} is not medically necessary.",
    "Given the above, the request is not medically necessary.",
    "The request for {item} is therefore not medically necessary and appropriate.",
    "Accordingly, this request is not medically necessary.",
)
VERDICT_OVERTURNED = (
    "Therefore, the request for {item} is medically necessary.",
    "As a result, {item} is medically necessary.",
    "Given the above, the request is medically necessary.",
    "The request for {item} is therefore medically necessary and appropriate.",
    "Accordingly, this request is medically necessary.",
)
OPENERS = (
    "",
    "In this case, ",
    "Here, ",
    "For this patient, ",
    "In the present case, ",
)
JOINERS = (" In addition, ", " Also, ", " Moreover, ", " Furthermore, ", " ")

# ----------------------------------------------------------------------------- letter furniture

# Our own paraphrases of the boilerplate paragraph real letters open with.
HOW_MADE = (
    "MAXIMUS Federal Services passed the full case file to an independent physician reviewer. The reviewer "
    "has no ties to the employer, the employee, the treating providers or the claims administrator, has "
    "practiced for more than five years and still sees patients every week. The reviewer was chosen for "
    "training and experience in a specialty that treats the condition and the disputed services, and knows "
    "the laws, regulations and hierarchy of medical evidence that govern Independent Medical Review.",
    "The complete case file was sent by MAXIMUS Federal Services to an expert reviewer with no connection to "
    "any party, provider or claims administrator in this case. The reviewer has been in clinical practice for "
    "over five years, continues to practice each week, was matched to the case by specialty and experience "
    "with the condition and services in dispute, and is familiar with the standards of evidence that apply "
    "to Independent Medical Review.",
)
SUMMARY_INTRO = "The expert reviewer wrote this summary after going through the whole case file and all medical records:"
FINAL_DET_LINE = "The Final Determination was based on decisions for the disputed items/services set forth below:"

STATES = (
    "California", "California", "California", "California", "Texas", "New York", "Florida", "Oregon",
    "Washington", "Arizona", "Nevada", "Pennsylvania", "Ohio", "Illinois", "New Jersey", "Michigan",
    "North Carolina", "Massachusetts", "Colorado", "Georgia", "Maryland", "West Virginia", "Virginia",
)
SPECIALTIES = (  # (board certifications as listed, weight)
    (("Family Practice",), 20),
    (("Preventive Medicine", "Occupational Medicine"), 18),
    (("Physical Medicine & Rehabilitation", "Pain Management"), 9),
    (("Physical Medicine & Rehabilitation",), 8),
    (("Internal Medicine",), 5),
    (("Orthopedic Surgery",), 6),
    (("Orthopedic Surgery", "Sports Medicine"), 2),
    (("Anesthesiology", "Pain Management"), 5),
    (("Emergency Medicine",), 3),
    (("Neurology",), 2),
    (("Psychiatry",), 2),
    (("Chiropractor",), 2),
    (("Acupuncturist",), 1),
    (("Neurological Surgery",), 1),
    (("Plastic Surgery", "Hand Surgery"), 1),
    (("Preventive Medicine", "Occupational Medicine", "Medical Toxicology"), 2),
)
SPECIALTY_PROSE = {  # as the 2013/2014 credentials sentence spells a specialty
    "Physical Medicine & Rehabilitation": "Physical Medicine and Rehabilitation",
}
OCCUPATIONS = (
    "warehouse worker", "bus driver", "registered nurse", "correctional officer", "cashier", "truck driver",
    "construction laborer", "office assistant", "machine operator", "custodian", "firefighter", "teacher",
    "home care aide", "mechanic", "farm worker", "police officer", "cook", "delivery driver",
)
MECHANISMS = (
    "lifting a heavy box", "slipping on a wet floor", "falling from a ladder", "pulling a pallet jack",
    "performing repetitive keyboard work", "restraining an inmate", "stepping off a truck",
    "moving a patient", "being struck by a falling object", "twisting while carrying supplies",
)
GENERAL_DX = ("chronic pain syndrome", "depression", "anxiety", "insomnia", "hypertension")
PRIOR_CARE = (
    "physical therapy", "chiropractic care", "acupuncture", "medications", "activity modification",
    "home exercise", "a TENS unit", "injections", "work restrictions", "imaging studies", "bracing",
)

# ----------------------------------------------------------------------------- small helpers


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


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


def _wrap(text: str, width: int) -> list[str]:
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


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _us(d: _dt.date) -> str:
    return d.strftime("%m/%d/%Y")


def _dash(d: _dt.date, rng: random.Random) -> str:
    return f"{d.month}-{d.day}-{d.year % 100:02d}" if rng.random() < 0.5 else f"{d.month:02d}-{d.day:02d}-{d.year}"


def _prose_date(d: _dt.date) -> str:
    return f"{d.strftime('%B')} {d.day}, {d.year}"


# ----------------------------------------------------------------------------- the plan of a letter


@dataclass
class _Cite:
    source: str  # MTUS, ODG, other, none
    doc: str | None = None
    year: int | None = None
    sections: tuple[str, ...] = ()
    pages: str = ""  # printed page range (2014/2013 forms)
    odg: str = ""  # ODG chapter and topic, or the other reference
    pages_style: bool = False  # 2014 "Chronic Pain Treatment Guidelines <section> Page(s): n" form


@dataclass
class _Item:
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
    claims: list[_Cite] = field(default_factory=list)
    reviewer: list[_Cite] = field(default_factory=list)
    overturned: bool = False


@dataclass
class _Plan:
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
    items: list[_Item]
    noun: str


def _draw_citations(rng: random.Random, t: dict, region: dict | None, template: str) -> list[_Cite]:
    """The reviewer's citations for a treatment, as the template's era would print them."""
    fill = {"chapter": region["chapter"] if region else "Pain Chapter"}
    odg_topics = [o.format(**fill) for o in t["odg"]]

    def mtus_cite() -> _Cite | None:
        options = t["mtus"]
        if template == "2014" and t["pages14"] and rng.random() < 0.7:
            sec, pages = rng.choice(t["pages14"])
            return _Cite("MTUS", "Chronic Pain Medical Treatment Guidelines", None,
                         (sec,) if sec else (), pages, pages_style=True)
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
            if doc in ACOEM_CHAPTER:  # cited as the ACOEM 2nd edition (2004) chapter
                year = 2004
            pages = (rng.choice(t["pages14"])[1] if t["pages14"] and rng.random() < 0.6 else "")
            return _Cite("MTUS", doc, year, tuple(c["sections"]), pages)
        return _Cite("MTUS", doc, year, tuple(c["sections"]))

    roll = rng.random()
    if roll < 0.03:
        return [_Cite("none")]
    if roll < 0.05:
        return [_Cite("other", odg=rng.choice(OTHER_REFERENCES).format(topic=t["topic"].lower()))]
    m = mtus_cite()
    if m is None or roll < 0.05 + t["odg_weight"] * 0.6:
        return [_Cite("ODG", odg=rng.choice(odg_topics))]
    cites = [m]
    if template == "2016" and rng.random() < 0.12 and region is not None and m.doc != region["doc"]:
        # a chained second MTUS document ("..., Section(s): X, and Low Back Complaints 2004.")
        cites.append(_Cite("MTUS", region["doc"], region["year"], ("Summary",) if rng.random() < 0.5 else ()))
    if rng.random() < t["odg_weight"] * 0.8:
        cites.append(_Cite("ODG", odg=rng.choice(odg_topics)))
    return cites


OTHER_REFERENCES = (
    "Manufacturer prescribing information",
    "Clinical practice review on {topic} in occupational medicine",
    "National guideline summary on {topic}",
)


def _claims_citations(rng: random.Random, reviewer: list[_Cite], t: dict, region: dict | None, template: str) -> list[_Cite]:
    """The claims administrator's citations: the reviewer's as often as not, otherwise another form."""
    roll = rng.random()
    if roll < 0.55:
        return list(reviewer)
    if roll < 0.72:
        return [_Cite("none")]
    other = _draw_citations(rng, t, region, template)
    if rng.random() < 0.3 and other[0].source == "MTUS":
        c = other[0]  # a bare document with no sections ("Decision based on MTUS Knee Complaints 2004.")
        other = [_Cite("MTUS", c.doc, c.year, (), "", pages_style=c.pages_style)] + other[1:]
    return other


def _case_number(rng: random.Random, yy: int, used: set[str]) -> str:
    while True:
        cid = f"CM{yy:02d}-{rng.randrange(1000, 260000):07d}"
        if cid not in used:
            used.add(cid)
            return cid


def _plan_letter(rng: random.Random, used: set[str]) -> _Plan:
    cat = catalogue()
    template = _weighted(rng, TEMPLATES, TEMPLATE_WEIGHTS)
    # dates: decision date in the generation's years; the rest walk backwards from it
    span = {"2016": (_dt.date(2016, 6, 1), 540), "2014": (_dt.date(2014, 3, 1), 720), "2013": (_dt.date(2013, 9, 1), 240)}
    start, days = span[template]
    decision = start + _dt.timedelta(days=rng.randrange(days))
    assigned = decision - _dt.timedelta(days=rng.randint(10, 35))
    received = assigned - _dt.timedelta(days=rng.randint(1, 10))
    ur = received - _dt.timedelta(days=rng.randint(5, 40))
    years_back = rng.choice((0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12))
    injury = ur - _dt.timedelta(days=20 + 365 * years_back + rng.randrange(300))
    dates = dict(decision=decision, assigned=assigned, received=received, ur=ur, injury=injury)
    case_id = _case_number(rng, assigned.year % 100 if template != "2013" else 13, used)

    sex = "male" if rng.random() < 0.55 else "female"
    sex_stated = template == "2016" or rng.random() < 0.92
    age = rng.randint(21, 72)
    regions = rng.sample(sorted(cat["regions"]), k=rng.choice((1, 1, 2, 2, 3)))
    spec = _weighted(rng, [s for s, _ in SPECIALTIES], [w for _, w in SPECIALTIES])
    lic = ["California"] if rng.random() < 0.35 else rng.sample(STATES, k=rng.choice((1, 2, 2, 3)))
    lic = tuple(dict.fromkeys(lic))
    cred_sentence = template == "2013" or (template == "2014" and rng.random() < 0.4)
    if cred_sentence and "California" not in lic:
        lic = lic + ("California",)
    priority = None  # 2014 letters state no priority; 2013 letters print "Priority: Standard"
    if template == "2016":
        priority = "Expedited" if rng.random() < 0.03 else "Standard"
    elif template == "2013":
        priority = "Standard"
    noun = {"2016": "the injured worker", "2014": rng.choice(("the applicant", "the patient", "the injured worker")),
            "2013": rng.choice(("the patient", "the claimant"))}[template]

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
        facts = {f: rng.random() < FACTS[f]["p"] for f in t["effects"]}
        base = EFFECT_SCALE * (t["prior"] + sum(e for f, e in t["effects"].items() if facts[f]))
        base += rng.gauss(0.0, NOISE_SD)
        values = dict(
            n=str(rng.choice((12, 18, 24, 30, 36)) if t["kind"] == "therapy" else rng.choice((6, 9, 12, 18, 24))),
            small=str(rng.choice((2, 3, 4))),
            hi=str(rng.randint(6, 9)), lo=str(rng.randint(2, 5)),
            since=_prose_date(injury + _dt.timedelta(days=rng.randrange(max(1, (ur - injury).days)))),
        )
        it = _Item(t, region_key, part, name, request, original, authorized, facts, values, base)
        it.reviewer = _draw_citations(rng, t, region, template)
        it.claims = _claims_citations(rng, it.reviewer, t, region, template)
        if it.claims[0].source == "none":
            it.base += CLAIMS_NO_CITATION_SHIFT
        items.append(it)
    return _Plan(template, case_id, sex, sex_stated, age, rng.choice(OCCUPATIONS), rng.choice(MECHANISMS), regions,
                 dates, priority, spec, lic, cred_sentence, items, noun)


@lru_cache(maxsize=32)
def intercept_for(overturn_rate: float) -> float:
    """The logit intercept that makes the expected Overturned share ``overturn_rate``.

    Solved by bisection on a fixed simulation of 3,000 letter plans (its own seed),
    so it is the same for every corpus seed.
    """
    if not 0.0 < overturn_rate < 1.0:
        raise ValueError(f"overturn rate must be between 0 and 1, not {overturn_rate}")
    rng = random.Random(20160401)
    used: set[str] = set()
    bases = [it.base for _ in range(3000) for it in _plan_letter(rng, used).items]
    lo, hi = -15.0, 15.0
    for _ in range(50):
        mid = (lo + hi) / 2
        rate = sum(_sigmoid(b + mid) for b in bases) / len(bases)
        lo, hi = (mid, hi) if rate < overturn_rate else (lo, mid)
    return (lo + hi) / 2


# ----------------------------------------------------------------------------- writing the text


def _pronouns(plan: _Plan) -> tuple[str, str]:
    if plan.sex_stated and plan.sex:
        return ("he", "his") if plan.sex == "male" else ("she", "her")
    return plan.noun, plan.noun + "'s"


def _fact_sentence(rng: random.Random, plan: _Plan, it: _Item, fact: str) -> str:
    options = FACTS[fact]["yes" if it.facts[fact] else "no"]
    s = rng.choice(options)
    if not s:
        return ""
    who, pos = _pronouns(plan)
    return s.format(name=it.name, Name=_cap(it.name), part=it.part or "affected area", who=who, Who=_cap(who),
                    pos=pos, **it.values)


def _opener(rng: random.Random, plan: _Plan) -> str:
    doi = _dash(plan.dates["injury"], rng) if plan.template == "2016" else _prose_date(plan.dates["injury"])
    age, occ, mech = plan.age, plan.occupation, plan.mechanism
    if not plan.sex_stated:
        return rng.choice((
            f"The applicant is a {age}-year-old {occ} who has filed a claim for an injury of {doi} sustained while {mech}.",
            f"This is a {age}-year-old {occ} injured on {doi} while {mech}.",
        ))
    sex = plan.sex
    noun = _cap(plan.noun)
    return rng.choice((
        f"{noun} is a {age} year old {sex} who was injured on {doi} at work while {mech}.",
        f"{noun} is a {age} year old {sex} {occ} with a date of injury of {doi}.",
        f"This {age} year old {sex} {occ} reported an industrial injury on {doi} after {mech}.",
        f"According to the records, {plan.noun} is a {age}-year-old {sex} injured on {doi} while {mech}.",
        f"The file concerns a {age} year old {sex} {occ} who was injured on {doi}.",
    ))


def _summary(rng: random.Random, plan: _Plan) -> str:
    cat = catalogue()
    who, pos = _pronouns(plan)
    parts = [_opener(rng, plan)]
    dx = [rng.choice(cat["regions"][r]["diagnoses"]) for r in plan.regions]
    if rng.random() < 0.4:
        dx.append(rng.choice(GENERAL_DX))
    dx_text = dx[0] if len(dx) == 1 else ", ".join(dx[:-1]) + " and " + dx[-1]
    parts.append(rng.choice((
        f"The diagnoses include {dx_text}.",
        f"{_cap(who)} is being treated for {dx_text}.",
        f"Current diagnoses are {dx_text}.",
    )))
    complaint = cat["regions"][plan.regions[0]]["complaint"]
    visit = plan.dates["ur"] - _dt.timedelta(days=rng.randint(7, 60))
    vdate = _dash(visit, rng) if plan.template == "2016" else _prose_date(visit)
    parts.append(rng.choice((
        f"At the visit of {vdate}, {who} described {complaint}, rated {rng.randint(4, 9)} out of 10.",
        f"On {vdate}, {who} reported ongoing {complaint}.",
        f"The most recent progress report, dated {vdate}, noted {complaint} and tenderness on examination.",
    )))
    care = rng.sample(PRIOR_CARE, k=rng.randint(2, 4))
    parts.append(rng.choice((
        f"Treatment to date has included {', '.join(care[:-1])} and {care[-1]}.",
        f"Prior treatment consisted of {', '.join(care[:-1])} and {care[-1]}.",
    )))
    for it in plan.items:
        facts = list(it.facts)
        rng.shuffle(facts)
        for f in facts:
            s = _fact_sentence(rng, plan, it, f)
            if s:
                parts.append(s)
    ur = _dash(plan.dates["ur"], rng) if plan.template == "2016" else _prose_date(plan.dates["ur"])
    req = [it.original or it.request for it in plan.items]
    req_text = req[0] if len(req) == 1 else ", ".join(req[:-1]) + " and " + req[-1]
    modified = any(it.original for it in plan.items)
    verb = "modified" if modified else rng.choice(("non-certified", "denied"))
    parts.append(rng.choice((
        f"On {ur}, utilization review {verb} the request for {req_text}.",
        f"Utilization review of {ur} {verb} {req_text}.",
        f"The request{'s' if len(req) > 1 else ''} for {req_text} {'were' if len(req) > 1 else 'was'} {verb} in utilization review on {ur}.",
    )))
    return " ".join(parts)


def _rationale(rng: random.Random, plan: _Plan, it: _Item, item_text: str) -> str:
    t = it.treatment
    sents = []
    if rng.random() < 0.85:
        sents.append(rng.choice(GUIDANCE[t["topic"]]))
    pro, con = [], []
    for f, e in t["effects"].items():
        v = it.facts[f]
        helps = (v and e > 0) or (not v and e < 0)
        (pro if helps else con).append(rng.choice(REASONS[(f, v)]))
    reasons = pro if it.overturned else con
    if not reasons:
        reasons = [rng.choice(GENERIC_FOR if it.overturned else GENERIC_AGAINST)]
    rng.shuffle(reasons)
    reasons = reasons[: rng.randint(1, 3)]
    body = _cap(rng.choice(OPENERS) + reasons[0]) + "."
    for r in reasons[1:]:
        j = rng.choice(JOINERS)
        body += j + (r if j.strip() else _cap(r)) + "."
    sents.append(body)
    verdicts = VERDICT_OVERTURNED if it.overturned else VERDICT_UPHELD
    sents.append(rng.choice(verdicts).format(item=item_text))
    return " ".join(sents)


def _mtus_2016(c: _Cite) -> str:
    s = f"{MTUS_PRINTED.get(c.doc, c.doc)} {c.year}"
    if c.sections:
        s += ", Section(s): " + ", ".join(c.sections)
    return s


def _odg_text(c: _Cite) -> str:
    return f"{ODG_NAME} (ODG), {c.odg}"


def _cites_text(cites: list[_Cite], party: str, template: str, rng: random.Random) -> str:
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
        ref = _odg_text(c) if c.source == "ODG" else c.odg
        out.append(f"Decision based on Non-MTUS Citation {ref}.")
    return " ".join(out)


def _truth_citations(cites: list[_Cite], template: str) -> list[Citation]:
    out = []
    for c in cites:
        if c.source == "none":
            out.append(Citation("none"))
        elif c.source == "MTUS":
            out.append(Citation("MTUS", c.doc, c.year, list(c.sections), _pages(c.pages)))
        elif c.source == "ODG":
            out.append(Citation("ODG", ODG_NAME, None, [c.odg], []))
        else:
            out.append(Citation("other", c.odg, None, [], [], c.odg))
    return out


def _credentials_sentence(plan: _Plan) -> str:
    spec = [SPECIALTY_PROSE.get(s, s) for s in plan.specialties[:2]]
    lic = list(plan.licensure)
    lic_text = lic[0] if len(lic) == 1 else ", ".join(lic[:-1]) + " and " + lic[-1]
    s = f"The expert reviewer is Board Certified in {spec[0]}"
    if len(spec) > 1:
        s += f", has a subspecialty in {spec[1]}"
    return s + f" and is licensed to practice in {lic_text}."


# ----------------------------------------------------------------------------- the generated letter


@dataclass
class GeneratedLetter:
    """One generated letter: its text as PDF extraction leaves it, its pages of lines, and its true items."""

    case_id: str
    template: str
    text: str
    items: list[ItemRecord]
    pages: list[list[str]]  # the lines of each page, as drawn into a PDF
    meta: list[dict] = field(default_factory=list)  # per item: catalogue key and topic, facts, P(Overturned)

    @property
    def file_stem(self) -> str:
        return self.case_id


def _render(rng: random.Random, plan: _Plan, intercept: float) -> GeneratedLetter:
    for it in plan.items:
        it.overturned = rng.random() < _sigmoid(it.base + intercept)
    summary = _summary(rng, plan)
    width = rng.randint(88, 97)
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
        L(f"Date Assigned: {_us(d['assigned'])} Date of Injury: {_us(d['injury'])}")
        L(f"Decision Date: {_us(d['decision'])} UR Denial Date: {_us(d['ur'])}")
        L(f"Priority: {plan.priority} Application ")
        L("Received: ")
        L(_us(d["received"]))
    if tpl == "2013":
        return _render_2013(rng, plan, summary, width, intercept)
    L("HOW THE IMR FINAL DETERMINATION WAS MADE")
    P(rng.choice(HOW_MADE))
    if plan.cred_sentence:
        P(_credentials_sentence(plan))
    else:
        L("The Expert Reviewer has the following credentials:")
        sep = "," if rng.random() < 0.4 else ", "
        L("State(s) of Licensure: " + sep.join(plan.licensure))
        L("Certification(s)/Specialty: " + ", ".join(plan.specialties))
    L("CLINICAL CASE SUMMARY")
    P(SUMMARY_INTRO)
    P(summary)
    L("IMR ISSUES, DECISIONS AND RATIONALES")
    P(FINAL_DET_LINE)
    for idx, it in enumerate(plan.items, 1):
        decision = OVERTURNED if it.overturned else UPHELD
        if it.original:
            P(f"{it.original} was the original request. {it.authorized} was authorized by the Claims Administrator. "
              f"The remaining IMR eligible portion of the original request, {it.request} is: {decision}")
        else:
            P(f"{it.request}: {decision}")
        claims_text = _cites_text(it.claims, "claims", tpl, rng)
        reviewer_text = _cites_text(it.reviewer, "reviewer", tpl, rng)
        P("Claims Administrator guideline: " + claims_text)
        P("MAXIMUS guideline: " + reviewer_text)
        rationale = _rationale(rng, plan, it, it.request)
        P("Decision rationale: " + rationale)
        records.append(_record(plan, idx, it, decision, summary, claims_text, reviewer_text, rationale))

    lines: list[str] = []  # logical lines (the text of a PDF line)
    breaks: list[int] = []  # indexes in lines where a paragraph starts (for the 2014 rendering)
    for kind, text in paras:
        breaks.append(len(lines))
        lines.extend([text] if kind == "line" else _wrap(text, width))
    pages = _paginate(rng, lines)
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
    return GeneratedLetter(plan.case_id, tpl, text, records, pages, _meta(plan, intercept))


def _meta(plan: _Plan, intercept: float) -> list[dict]:
    return [dict(treatment=it.treatment["key"], topic=it.treatment["topic"], facts=dict(it.facts),
                 p_overturned=round(_sigmoid(it.base + intercept), 4)) for it in plan.items]


def _paginate(rng: random.Random, lines: list[str]) -> list[list[str]]:
    per_page = rng.randint(44, 50)
    return [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]


def _record(plan: _Plan, idx: int, it: _Item, decision: str, summary: str, claims_text: str,
            reviewer_text: str, rationale: str) -> ItemRecord:
    d = plan.dates
    tpl = plan.template
    has_header = tpl in ("2016", "2013")  # 2014: injury and UR dates are read from the summary
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
        reviewer_specialties=[SPECIALTY_PROSE.get(s, s) for s in plan.specialties[:2]] if plan.cred_sentence
        else list(plan.specialties),
        reviewer_licensure=list(plan.licensure),
        patient_age=plan.age,
        patient_sex=plan.sex if plan.sex_stated else None,
        case_summary=summary,
        item_index=idx,
        item=it.request,
        original_request=it.original,
        decision=decision,
        claims_guideline_text=claims_text,
        reviewer_guideline_text=reviewer_text,
        claims_guideline=_truth_citations(it.claims, tpl),
        reviewer_guideline=_truth_citations(it.reviewer, tpl),
        rationale=rationale,
    )


# ----------------------------------------------------------------------------- the 2013 letter
# Shape of tests/fixtures/letter_2013.txt: a title, header lines, a salutation, the
# numbered "Final Determination" list, the reviewer's qualifications sentence, the
# case summary, then per item a numbered heading, the two "Section of the Medical
# Treatment Utilization Schedule (MTUS) used by ..." labels each on a line of its own
# with the citation below, and "Rationale for the Decision:" with the rationale below.
# Blocks are separated by blank lines; lines carry no trailing spaces.

MAXIMUS_DET = "MAXIMUS Federal Services, Inc. has determined the request for {item} is {verdict}."
SECTION_2013 = "Section of the Medical Treatment Utilization Schedule (MTUS) used by the {who}:"
ACOEM_2013 = "American College of Occupational and Environmental Medicine (ACOEM), 2nd Edition, (2004), Chapter {ch}, {doc}"
ACOEM_CHAPTER = {
    "Neck and Upper Back Complaints": 8, "Shoulder Complaints": 9, "Elbow Complaints": 10,
    "Forearm, Wrist, and Hand Complaints": 11, "Low Back Complaints": 12, "Knee Complaints": 13,
    "Ankle and Foot Complaints": 14,
}
OPENING_2013 = (
    "MAXIMUS Federal Services, Inc. has completed the Independent Medical Review of the treatment in dispute "
    "in the case named above. This letter gives the final determination and the reasons behind it.",
    "The Independent Medical Review of the disputed treatment in this case is complete. The final "
    "determination and its reasons follow.",
)
BINDING_2013 = (
    "This determination is final and binding unless it is appealed to the Workers' Compensation Appeals "
    "Board within 30 days of the date of this letter.",
    "The determination binds the parties unless an appeal is filed with the Workers' Compensation Appeals "
    "Board within 30 days.",
)
HOW_2013 = (
    "MAXIMUS Federal Services, Inc. sent the complete case file to a physician reviewer who has no tie to "
    "the employer, the worker, the providers or the claims administrator.",
    "The case file went to an independent physician reviewer with no connection to any party or provider "
    "in the case.",
)


def _cites_2013(cites: list[_Cite], party: str) -> str:
    who = "The Claims Administrator" if party == "claims" else "The Expert Reviewer"
    if cites[0].source == "none":
        return f"{who} did not cite any evidentiary basis for its decision."
    verb = "its" if party == "claims" else "his/her"
    pieces = []
    for c in cites:
        if c.source == "MTUS":
            if c.doc in ACOEM_CHAPTER:
                s = ACOEM_2013.format(ch=ACOEM_CHAPTER[c.doc], doc=c.doc)
            else:
                s = f"MTUS {c.doc} ({c.year})"
            if c.sections:
                s += ", " + ", ".join(c.sections)
            if c.pages:
                s += f", pages {c.pages}" if "-" in c.pages else f", page {c.pages}"
            pieces.append(s + ", which is part of the MTUS")
        elif c.source == "ODG":
            pieces.append(f"{ODG_NAME} (ODG), {c.odg}, which is not part of the MTUS")
        else:
            pieces.append(f"{c.odg}, which is not part of the MTUS")
    return f"{who} based {verb} decision on the " + ", and the ".join(pieces) + "."


def _render_2013(rng: random.Random, plan: _Plan, summary: str, width: int, intercept: float) -> GeneratedLetter:
    d = plan.dates
    width = min(width, 90)
    lines: list[str] = []

    def P(text: str) -> None:
        lines.extend(w.rstrip(" ") for w in _wrap(text, width))

    def B() -> None:
        lines.append("")

    lines += ["Independent Medical Review Final Determination Letter", ""]
    lines += [f"IMR Case Number: {plan.case_id}", f"Date of Injury: {_us(d['injury'])}",
              f"Date Assigned: {_us(d['assigned'])}", f"Date of UR Decision: {_us(d['ur'])}",
              f"Application Received: {_us(d['received'])}", f"Decision Date: {_us(d['decision'])}",
              "Priority: Standard", ""]
    lines += [rng.choice(("Dear Claimant:", "Dear Parties:")), ""]
    P(rng.choice(OPENING_2013))
    B()
    lines.append("Final Determination")
    verdicts = []
    for idx, it in enumerate(plan.items, 1):
        verdict = "medically necessary and appropriate" if it.overturned else "not medically necessary and appropriate"
        verdicts.append(verdict)
        P(f"{idx}. " + MAXIMUS_DET.format(item=it.request, verdict=verdict))
    B()
    P(rng.choice(BINDING_2013))
    B()
    lines.append("HOW THE IMR FINAL DETERMINATION WAS MADE")
    P(rng.choice(HOW_2013))
    B()
    lines.append("Medical Qualifications of the Expert Reviewer:")
    P(_credentials_sentence(plan) + " The reviewer is in active practice at least half time.")
    B()
    lines.append("Expert Reviewer Case Summary:")
    P(summary)
    records: list[ItemRecord] = []
    for idx, (it, verdict) in enumerate(zip(plan.items, verdicts), 1):
        B()
        decision = OVERTURNED if it.overturned else UPHELD
        P(f"{idx}. {it.request} is {verdict}.")
        claims_text = _cites_2013(it.claims, "claims")
        reviewer_text = _cites_2013(it.reviewer, "reviewer")
        lines.append(SECTION_2013.format(who="Claims Administrator"))
        P(claims_text)
        lines.append(SECTION_2013.format(who="Expert Reviewer"))
        P(reviewer_text)
        lines.append("Rationale for the Decision:")
        rationale = _rationale(rng, plan, it, it.request)
        P(rationale)
        records.append(_record(plan, idx, it, decision, summary, claims_text, reviewer_text, rationale))
    pages = _paginate(rng, lines)
    text = PAGE_BREAK.join("\n".join(page) for page in pages) + "\n"
    return GeneratedLetter(plan.case_id, "2013", text, records, pages, _meta(plan, intercept))


# ----------------------------------------------------------------------------- public API


def generate_letters(n: int, seed: int, overturn_rate: float = 0.10) -> Iterator[GeneratedLetter]:
    """Yield ``n`` generated letters; the same arguments always yield the same letters."""
    if n < 0:
        raise ValueError(f"number of letters must be >= 0, not {n}")
    intercept = intercept_for(round(float(overturn_rate), 6))
    rng = random.Random(seed)
    used: set[str] = set()
    for _ in range(n):
        plan = _plan_letter(rng, used)
        yield _render(rng, plan, intercept)


@dataclass
class CorpusInfo:
    """What :func:`write_corpus` wrote."""

    out_dir: Path
    letters_dir: Path
    truth_path: Path
    n_letters: int
    n_items: int
    n_overturned: int
    templates: dict[str, int]
    fmt: str
    seconds: float

    @property
    def overturn_rate(self) -> float:
        return self.n_overturned / self.n_items if self.n_items else 0.0


PDF_EPOCH = _dt.datetime(2016, 1, 1, tzinfo=_dt.timezone.utc)


def letter_pdf(letter: GeneratedLetter) -> bytes:
    """The letter as a PDF with a text layer (fpdf2, core Helvetica font), byte-identical for the same letter."""
    try:
        from fpdf import FPDF
    except ImportError:
        raise ValueError("PDF letters need fpdf2: pip install 'imrml[pdf]' (or use --format txt)") from None

    pdf = FPDF(unit="pt", format="letter")
    pdf.set_creation_date(PDF_EPOCH)
    pdf.set_producer("imrml synth")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    for page in letter.pages:
        pdf.add_page()
        y = 60.0
        for line in page:
            if line.strip():
                pdf.text(54, y, line)
            y += 14.0
    return bytes(pdf.output())


def write_corpus(out_dir, n: int, seed: int, fmt: str = "txt", overturn_rate: float = 0.10,
                 progress: bool = False) -> CorpusInfo:
    """Write ``n`` letters to ``out_dir/letters/<case_id>.<fmt>`` and their true items to ``out_dir/truth.jsonl``."""
    from .io import atomic_path, write_jsonl

    if fmt not in ("txt", "pdf"):
        raise ValueError(f"format must be txt or pdf, not {fmt!r}")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    letters_dir = out_dir / "letters"
    letters_dir.mkdir(parents=True, exist_ok=True)
    labeller = _labeller()
    rows: list[dict] = []
    templates = {t: 0 for t in TEMPLATES}
    n_over = 0
    letters = generate_letters(n, seed, overturn_rate)
    if progress:
        from tqdm import tqdm

        letters = tqdm(letters, total=n, unit="letter", desc="synth")
    for letter in letters:
        name = f"{letter.case_id}.{fmt}"
        with atomic_path(letters_dir / name) as tmp:
            if fmt == "txt":
                tmp.write_text(letter.text, encoding="utf-8")
            else:
                tmp.write_bytes(letter_pdf(letter))
        templates[letter.template] += 1
        for rec in letter.items:
            rec.source_file = name
            if labeller:
                labeller(rec)
            n_over += rec.decision == OVERTURNED
            rows.append(rec.to_dict())
    truth = out_dir / "truth.jsonl"
    write_jsonl(rows, truth)
    return CorpusInfo(out_dir, letters_dir, truth, n, len(rows), n_over, templates, fmt, time.perf_counter() - t0)


def _labeller():
    """``imrml.labels.label_item`` when the labels module is there, else None (labels stay empty)."""
    try:
        from .labels import label_item
    except ImportError:
        return None
    return label_item


def synth_command(n: int, seed: int, output, fmt: str = "txt", overturn_rate: float = 0.10) -> int:
    """``imrml synth``: write the corpus and print a one-line summary."""
    info = write_corpus(output, n, seed, fmt=fmt, overturn_rate=overturn_rate, progress=sys.stderr.isatty())
    tpl = ", ".join(f"{k}: {v}" for k, v in info.templates.items())
    print(f"wrote {info.n_letters} letters ({tpl}) with {info.n_items} items, "
          f"{info.overturn_rate:.1%} overturned, to {info.letters_dir} and {info.truth_path} "
          f"in {info.seconds:.1f} s")
    return 0
