"""The prose of generated letters: varied phrasings, verdicts that agree with the decision."""

from __future__ import annotations

import pytest

from imrml.records.schema import UPHELD
from imrml.synth.corpus import generate_letters


@pytest.fixture(scope="module")
def letters():
    return list(generate_letters(60, seed=3))


def test_every_sentence_varies_not_one_template_per_outcome(letters):
    verdicts = {r.rationale.rsplit(". ", 1)[-1].split(" ")[0] for L in letters for r in L.items}
    assert len(verdicts) >= 3
    for r in (r for L in letters for r in L.items):
        tail = r.rationale.rstrip().lower()
        assert tail.endswith("medically necessary.") or tail.endswith("medically necessary and appropriate.")
        assert ("not medically necessary" in tail) == (r.decision == UPHELD)
