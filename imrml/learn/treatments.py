"""The treatment class of an item as requested: "Norco 10/325 mg #90" -> "Opioids".

An ordered table of patterns (:data:`TREATMENT_CLASSES`), the first match
wins, found in one pass of an RE2 set.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import re2

# First match wins: order puts the specific before the general (a lidocaine
# patch is topical, not an injection; Butrans is an opioid, not a patch).
TREATMENT_CLASSES: tuple[tuple[str, str], ...] = (
    (
        "Opioids",
        r"norco|hydrocodone|oxycodone|oxycontin|percocet|tramadol|ultram|ultracet|morphine|ms contin|fentanyl|duragesic|opana|oxymorphone|methadone|nucynta|tapentadol|buprenorphine|suboxone|butrans|dilaudid|hydromorphone|codeine|tylenol (?:#|no\.?)\s*3|vicodin|opioid|kadian|hysingla|zohydro",
    ),
    (
        "TENS/electrical stimulation",
        r"\btens\b|interferential|electrical (?:muscle |nerve |)stim|h-wave|neuromuscular (?:electrical )?stim|spinal cord stim|\bnmes\b",
    ),
    (
        "Labs/drug testing",
        r"urine|drug (?:screen|test)|toxicology|\blabs?\b|laboratory|blood (?:test|work)|\bcbc\b|panel|genetic|cytokine",
    ),
    ("Electrodiagnostic studies", r"\bemg\b|\bncv\b|\bncs\b|nerve conduction|electromyogra|electrodiagnostic"),
    (
        "Imaging/special studies",
        r"\bmri\b|magnetic resonance|\bct\b|cat scan|x-?rays?|radiograph|bone scan|ultrasound|sonogra|imaging|arthrogram|myelogram|discogram",
    ),
    (
        "Topical analgesics",
        r"topical|cream|ointment|\bgel\b|lidoderm|lidocaine|terocin|flector|capsaicin|menthoderm|compound|dendracin|patch(?:es)?",
    ),
    (
        "Benzodiazepines",
        r"klonopin|clonazepam|xanax|alprazolam|valium|diazepam|ativan|lorazepam|restoril|temazepam|benzodiazepine",
    ),
    (
        "Muscle relaxants",
        r"\bsoma\b|carisoprodol|flexeril|cyclobenzaprine|fexmid|amrix|zanaflex|tizanidine|skelaxin|metaxalone|robaxin|methocarbamol|baclofen|norflex|orphenadrine|muscle relaxant",
    ),
    (
        "Anti-epilepsy drugs",
        r"lyrica|pregabalin|neurontin|gabapentin|gralise|topamax|topiramate|tegretol|carbamazepine|lamotrigine|anticonvulsant",
    ),
    (
        "NSAIDs",
        r"naproxen|anaprox|nalfon|fenoprofen|ibuprofen|motrin|celebrex|celecoxib|meloxicam|mobic|diclofenac|voltaren|relafen|nabumetone|etodolac|ketorolac|toradol|indomethacin|\bnsaids?\b|daypro|oxaprozin",
    ),
    (
        "Antidepressants",
        r"cymbalta|duloxetine|elavil|amitriptyline|nortriptyline|trazodone|desyrel|wellbutrin|bupropion|zoloft|sertraline|prozac|fluoxetine|effexor|venlafaxine|lexapro|escitalopram|celexa|citalopram|antidepressant",
    ),
    ("Psychological treatment", r"psycholog|psychiatr|psychotherap|cognitive behavio|\bcbt\b|biofeedback|counsel"),
    (
        "Programs",
        r"functional restoration|work hardening|work conditioning|\bprogram\b|detox|weight loss|gym|pool membership|\bhelp\b program",
    ),
    ("Chiropractic/manipulation", r"chiropract|manipulation|manual therapy|adjustment"),
    ("Acupuncture", r"acupuncture"),
    (
        "Physical medicine",
        r"physical therapy|\bpt\b|physiotherapy|occupational therapy|aquatic|aqua therapy|massage|home exercise|therapeutic exercise",
    ),
    (
        "Injections",
        r"inject|epidural|\besi\b|facet|\bblock\b|trigger point|radiofrequency|rhizotomy|ablation|botox|botulinum|\bprp\b|platelet|cortisone|synvisc|viscosupplement|hyaluron",
    ),
    (
        "Surgery",
        r"surgery|surgical|arthroscop|fusion|discectomy|laminectomy|laminotomy|foraminotomy|replacement|arthroplasty|repair|release|decompression|ectomy\b|plasty\b|otomy\b",
    ),
    (
        "DME",
        r"brace|\bcane\b|walker|wheelchair|\bbed\b|cushion|pillow|orthotic|orthosis|splint|cold therapy|hot/cold|cryotherapy|\bunit\b|equipment|\bdme\b|lumbar support|\bchair\b|scooter|mattress|compression|sling|immobiliz",
    ),
    (
        "Home health/facility care",
        r"home health|nursing|skilled|assisted living|facility|inpatient|hospital|transportation|\baide\b|housekeeping",
    ),
    (
        "Office visits/consultations",
        r"consult|follow[- ]?up|office visit|referral|evaluation|pain management|specialist|re-?evaluation|visit",
    ),
    (
        "Other medications",
        r"\bmg\b|tablets?|capsules?|omeprazole|prilosec|protonix|pantoprazole|ranitidine|ambien|zolpidem|lunesta|sonata|medication|prescription|refill",
    ),
)
UNKNOWN_CLASS = "unknown"


def _first_match_finder(patterns: Sequence[str]):
    """A function: lower-cased text -> index of the first of ``patterns`` (in order) found in it, or None.

    One pass of an RE2 set over the text: the set reports every pattern found,
    and the smallest index is the first in order.
    """
    found = re2.Set.SearchSet()
    for pattern in patterns:
        found.Add(pattern)
    found.Compile()

    def first_in_set(text: str) -> int | None:
        hits = found.Match(text.encode("utf-8"))
        return min(hits) if hits else None

    return first_in_set


_first_treatment = _first_match_finder([p for _, p in TREATMENT_CLASSES])


@functools.lru_cache(maxsize=1 << 16)  # the same requests ("Norco 10/325 mg #90") recur across letters
def treatment_class(item: str | None) -> str:
    """The treatment class of an item as requested, e.g. "Norco 10/325 mg #90" -> "Opioids"."""
    if not item:
        return UNKNOWN_CLASS
    k = _first_treatment(item.lower())
    return UNKNOWN_CLASS if k is None else TREATMENT_CLASSES[k][0]


def treatment_classes(X) -> np.ndarray:
    from .views import as_texts  # here, not at the top: treatment_class alone (the report) needs no scikit-learn

    return np.asarray([[treatment_class(t)] for t in as_texts(X)], dtype=object)


def treatment_feature_names(transformer, input_features):
    return np.asarray(["treatment_class"], dtype=object)
