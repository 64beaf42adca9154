"""Review cues counted with RE2: the counts Python's re gives."""

from __future__ import annotations

import math
import pickle
import re

import pandas as pd
import pytest

from imrml.learn.cues import LEXICON, CueCounter, LexiconFeatures
from imrml.synth.corpus import generate_letters


def test_lexicon_counts_cues():
    texts = pd.Series(["No documentation of functional improvement. Long-term use.", "Nothing here"])
    lex = LexiconFeatures().fit(texts)
    X = lex.transform(texts)
    names = list(lex.get_feature_names_out())
    row = dict(zip(names, X.toarray()[0], strict=True))
    assert row["no_documentation"] > 0 and row["long_term_use"] > 0 and row["no_functional_improvement"] > 0
    assert X.toarray()[1].sum() == 0


def test_lexicon_counts_with_re2_equal_pythons_re():
    """The fast engine (RE2, lookbehind rewritten as a subtraction) counts exactly what re counts."""
    texts = [i.case_summary + "\n" + i.rationale for g in generate_letters(40, seed=3) for i in g.items]
    texts += [
        "It is not medically necessary; it is medically necessary. Not recommended, is recommended.",
        "Red flags: none. NO documentation of functional improvement.",
    ]
    got = LexiconFeatures().fit_transform(texts).toarray()
    patterns = [re.compile(p) for p in LEXICON.values()]
    want = [[math.log1p(len(p.findall(t.lower()))) for p in patterns] for t in texts]
    assert got.shape == (len(texts), len(LEXICON))
    assert (abs(got - want) < 1e-6).all()
    assert got[-2, list(LEXICON).index("medically_necessary")] == pytest.approx(math.log1p(1))


def test_a_cue_re2_cannot_compile_runs_on_re_and_the_counter_pickles():
    counter = CueCounter([r"(?<=pain )relief", r"relief"])  # a lookbehind RE2 has no form for
    assert counter.counts("pain relief and relief") == [(1, 2), (0, 1)]
    again = pickle.loads(pickle.dumps(counter))
    assert again.counts("pain relief and relief") == counter.counts("pain relief and relief")
