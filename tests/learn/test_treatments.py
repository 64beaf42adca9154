"""The treatment class of an item as requested."""

from __future__ import annotations

import re

from imrml.learn.treatments import TREATMENT_CLASSES, _first_match_finder, treatment_class
from imrml.synth.corpus import generate_letters

ITEMS = [
    ("Norco 10/325 mg #90", "Opioids"),
    ("Soma 350 mg #60", "Muscle relaxants"),
    ("MRI of the lumbar spine", "Imaging/special studies"),
    ("Physical therapy 2x6 for the neck", "Physical medicine"),
    ("Lidoderm patches #30", "Topical analgesics"),
    ("Lumbar epidural steroid injection L4-L5", "Injections"),
]


def test_treatment_class():
    for item, topic in ITEMS:
        assert treatment_class(item) == topic, item
    assert treatment_class("Butrans 10 mcg patch") == "Opioids"
    assert treatment_class("") == "unknown"


def test_treatment_class_set_search_equals_trying_classes_in_order():
    items = [i.item for g in generate_letters(150, seed=2) for i in g.items] + [it for it, _ in ITEMS]
    items += ["Butrans patch", "lidocaine patch", "TENS unit", "Ambien 10 mg", "gym membership", "nothing known"]
    patterns = [p for _, p in TREATMENT_CLASSES]
    in_order = [re.compile(p, re.IGNORECASE) for p in patterns]
    want = [next((k for k, rx in enumerate(in_order) if rx.search(t)), None) for t in items]
    assert [_first_match_finder(patterns)(t.lower()) for t in items] == want
