"""Features: the record frame, the view's column selector, lexicon, treatment class, the feature union."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from imrml.features import (
    CASE_COLUMNS,
    ColumnSelector,
    LexiconFeatures,
    PrepareColumns,
    build_features,
    days_between,
    records_to_frame,
    treatment_class,
    view_head,
)
from imrml.schema import POST_DECISION_FIELDS, Citation, ItemRecord

ITEMS = [
    ("Norco 10/325 mg #90", "Opioids"),
    ("Soma 350 mg #60", "Muscle relaxants"),
    ("MRI of the lumbar spine", "Imaging/special studies"),
    ("Physical therapy 2x6 for the neck", "Physical medicine"),
    ("Lidoderm patches #30", "Topical analgesics"),
    ("Lumbar epidural steroid injection L4-L5", "Injections"),
]
SPECIALTIES = ["Orthopedic Surgery", "Physical Medicine & Rehabilitation", "Anesthesiology", "Family Practice"]
FILLER = ("The applicant reported ongoing complaints of pain. The attending provider continued medications. "
          "The applicant was placed off of work. Earlier notes were reviewed.")


def make_records(n_letters: int = 60, seed: int = 0, overturn_rate: float = 0.25) -> list[ItemRecord]:
    """Labelled item records with varied text, made here so tests need no parser or generator."""
    rng = random.Random(seed)
    out = []
    for k in range(n_letters):
        month = 1 + k * 12 // n_letters
        case = f"CM16-{k:07d}"
        for idx in range(1, rng.choice([1, 1, 2, 3]) + 1):
            item, topic = rng.choice(ITEMS)
            over = rng.random() < overturn_rate
            fam = rng.choice(["MTUS", "MTUS", "ODG", "MTUS+ODG"])
            cfam = fam if rng.random() < 0.7 else rng.choice(["MTUS", "ODG", "none"])
            src = {"MTUS": ["MTUS"], "ODG": ["ODG"], "MTUS+ODG": ["MTUS", "ODG"], "none": []}
            cues = ("The applicant reported functional improvement and a return to work. "
                    if over else "There was no documentation of functional improvement with long-term use. ")
            rationale = (f"{cues}{FILLER} The guideline on {topic.lower()} was applied to {item}. "
                         f"Therefore, the request for {item} is {'medically necessary' if over else 'not medically necessary'}.")
            out.append(ItemRecord(
                source_file=f"{case}.txt", case_id=case, template="2016",
                decision_date=f"2016-{month:02d}-{rng.randint(1, 28):02d}",
                ur_denial_date=f"2015-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                date_of_injury=f"20{rng.randint(5, 14):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                priority=rng.choice(["standard", "expedited"]),
                reviewer_specialties=[rng.choice(SPECIALTIES)], reviewer_licensure=["California"],
                patient_age=rng.randint(25, 70), patient_sex=rng.choice(["male", "female"]),
                case_summary=f"The applicant is a represented {rng.randint(25, 70)}-year-old. {FILLER} "
                             f"The claims administrator failed to approve {item}." + (
                                 " The applicant was working." if over and rng.random() < 0.6 else ""),
                item_index=idx, item=item, decision="Overturned" if over else "Upheld",
                claims_guideline_text=f"{' and '.join(src[cfam]) or 'none cited'} {topic}",
                reviewer_guideline_text=f"{' and '.join(src[fam])} {topic}",
                claims_guideline=[Citation(source=s, text=f"{s} {topic}") for s in src[cfam]],
                reviewer_guideline=[Citation(source=s, text=f"{s} {topic}") for s in src[fam]],
                rationale=rationale,
                guideline_family=fam, guideline_topic=topic,
                claims_guideline_family=cfam, claims_guideline_topic=topic if cfam != "none" else None,
            ))
    return out


def test_records_to_frame_flattens_lists_and_is_idempotent():
    recs = make_records(5)
    df = records_to_frame(recs)
    assert len(df) == len(recs)
    assert "claims_guideline" not in df and "reviewer_guideline" not in df
    assert set(df["claims_guideline_sources"]) <= {"MTUS", "ODG", "MTUS+ODG", "none"}
    assert df["reviewer_specialties"].map(type).eq(str).all()
    again = records_to_frame(df)
    pd.testing.assert_frame_equal(df, again)
    # dicts work the same as records
    pd.testing.assert_frame_equal(df, records_to_frame([r.to_dict() for r in recs]))


def test_case_columns_hold_nothing_after_review():
    assert not set(CASE_COLUMNS) & set(POST_DECISION_FIELDS)
    assert "rationale" not in CASE_COLUMNS


def test_column_selector_keeps_only_the_view_and_fills_missing():
    df = records_to_frame(make_records(3))
    sel = ColumnSelector(CASE_COLUMNS).fit(df)
    out = sel.transform(df.drop(columns=["case_summary", "patient_age"]))
    assert list(out.columns) == list(CASE_COLUMNS)
    assert (out["case_summary"] == "").all()
    assert out["patient_age"].isna().all()


def test_days_between_and_prepare():
    assert days_between("2015-01-01", "2015-01-31") == 30
    assert np.isnan(days_between(None, "2015-01-31"))
    df = records_to_frame(make_records(3))
    head = view_head("case")
    x = head[0][1].fit_transform(df)
    prepared = head[1][1].fit(x).transform(x)
    assert {"text", "item_text", "days_injury_to_ur", "claims_guideline_family"} <= set(prepared.columns)
    with pytest.raises(ValueError, match="not in the case view"):
        view_head("case", ["rationale"])
    with pytest.raises(ValueError):
        PrepareColumns(["rationale"]).fit(x)


def test_treatment_class():
    for item, topic in ITEMS:
        assert treatment_class(item) == topic, item
    assert treatment_class("Butrans 10 mcg patch") == "Opioids"
    assert treatment_class("") == "unknown"


def test_lexicon_counts_cues():
    lex = LexiconFeatures().fit(None)
    X = lex.transform(pd.Series(["No documentation of functional improvement. Long-term use.", "Nothing here"]))
    names = list(lex.get_feature_names_out())
    row = dict(zip(names, X.toarray()[0], strict=True))
    assert row["no_documentation"] > 0 and row["long_term_use"] > 0 and row["no_functional_improvement"] > 0
    assert X.toarray()[1].sum() == 0


def test_feature_union_names_and_shape():
    df = records_to_frame(make_records(20))
    head = view_head("rationale")
    x = head[1][1].fit(head[0][1].fit_transform(df)).transform(head[0][1].transform(df))
    feats = build_features(word_ngrams=(1, 2), char_ngrams=(3, 4), max_features=500)
    X = feats.fit_transform(x)
    names = feats.get_feature_names_out()
    assert X.shape == (len(df), len(names))
    assert any(n.startswith("lexicon__") for n in names)
    assert any(n.startswith("treatment__") for n in names)
    assert any(n.startswith("numeric__") for n in names)
    assert X.min() >= 0  # chi2-selectable


def test_lexicon_counts_with_re2_equal_pythons_re():
    """The fast engine (RE2, lookbehind rewritten as a subtraction) counts exactly what re counts."""
    import math
    import re

    from imrml.features import LEXICON, LexiconFeatures
    from imrml.synth import generate_letters

    texts = [i.case_summary + "\n" + i.rationale for g in generate_letters(40, seed=3) for i in g.items]
    texts += ["It is not medically necessary; it is medically necessary. Not recommended, is recommended.",
              "Red flags: none. NO documentation of functional improvement."]
    got = LexiconFeatures().fit(None).transform(texts).toarray()
    patterns = [re.compile(p) for p in LEXICON.values()]
    want = [[math.log1p(len(p.findall(t.lower()))) for p in patterns] for t in texts]
    assert got.shape == (len(texts), len(LEXICON))
    assert (abs(got - want) < 1e-6).all()
    assert got[-2, list(LEXICON).index("medically_necessary")] == pytest.approx(math.log1p(1))


# ---------------------------------------------------------------- the fast paths compute what the plain code computes

def _case_texts(records) -> list[str]:
    frame = records_to_frame(records)
    head = view_head("case")
    return head[1][1].fit(head[0][1].fit_transform(frame)).transform(head[0][1].transform(frame))["text"].tolist()


def _generated_case_texts(n_letters: int = 80, seed: int = 5) -> list[str]:
    from imrml.synth import generate_letters

    return _case_texts([item for g in generate_letters(n_letters, seed=seed) for item in g.items])


@pytest.mark.parametrize("settings", [
    {},
    {"ngram_range": (1, 3), "min_df": 1},
    {"ngram_range": (2, 3), "min_df": 1},
    {"ngram_range": (1, 1)},
    {"ngram_range": (1, 2), "stop_words": "english", "max_features": 300},
])
def test_line_cached_tfidf_equals_stock_tfidf(settings):
    """Same vocabulary and the same matrix as scikit-learn's TfidfVectorizer, on letters it did not fit."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from imrml.features import LineCachedTfidfVectorizer

    texts = _generated_case_texts()
    fit_on, unseen = texts[: len(texts) // 2], texts[len(texts) // 2:]
    unseen += ["", "\n\n", "one\ntwo\n\nthree four\nfive", "Ünïcode accents\nand lines"]
    params = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "strip_accents": "unicode",
              "token_pattern": r"(?u)\b[a-zA-Z][a-zA-Z0-9]+\b", "dtype": np.float32, **settings}
    stock = TfidfVectorizer(**params).fit(fit_on)
    fast = LineCachedTfidfVectorizer(**params).fit(fit_on)
    assert fast._line_ngrams() is not None  # the fast path is the one under test
    assert fast.vocabulary_ == stock.vocabulary_
    assert abs(fast.transform(unseen) - stock.transform(unseen)).max() == 0


def test_line_cached_tfidf_falls_back_when_tokens_can_span_lines():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from imrml.features import LineCachedTfidfVectorizer

    texts = ["alpha beta\ngamma, delta", "beta\ngamma", "alpha, delta\nbeta gamma"]
    fast = LineCachedTfidfVectorizer(token_pattern=r"[^,]+").fit(texts)
    assert fast._line_ngrams() is None
    stock = TfidfVectorizer(token_pattern=r"[^,]+").fit(texts)
    assert fast.vocabulary_ == stock.vocabulary_ and "alpha beta\ngamma" in fast.vocabulary_
    assert abs(fast.transform(texts) - stock.transform(texts)).max() == 0


def test_line_cached_tfidf_on_real_letters(dwc_dir):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from imrml.features import LineCachedTfidfVectorizer
    from imrml.parse import parse_paths

    texts = _case_texts(parse_paths([dwc_dir]).records)
    params = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "strip_accents": "unicode"}
    stock = TfidfVectorizer(**params).fit(texts[::2])
    fast = LineCachedTfidfVectorizer(**params).fit(texts[::2])
    assert fast.vocabulary_ == stock.vocabulary_
    assert abs(fast.transform(texts) - stock.transform(texts)).max() == 0


def _without_re2(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "re2", None)  # `import re2` now raises ImportError


def test_lexicon_without_re2_counts_what_re2_counts(monkeypatch):
    texts = _generated_case_texts(30, seed=8) + ["It is not medically necessary; is medically necessary."]
    with_re2 = LexiconFeatures().fit(None)
    assert with_re2.counter_._set is not None
    _without_re2(monkeypatch)
    plain = LexiconFeatures().fit(None)
    assert plain.counter_._set is None
    assert (with_re2.transform(texts) != plain.transform(texts)).nnz == 0


def test_treatment_class_set_search_equals_trying_classes_in_order(monkeypatch):
    import re

    from imrml.features import TREATMENT_CLASSES, _first_match_finder
    from imrml.synth import generate_letters

    items = [i.item for g in generate_letters(150, seed=2) for i in g.items] + [it for it, _ in ITEMS]
    items += ["Butrans patch", "lidocaine patch", "TENS unit", "Ambien 10 mg", "gym membership", "nothing known"]
    patterns = [p for _, p in TREATMENT_CLASSES]
    in_order = [re.compile(p, re.IGNORECASE) for p in patterns]
    want = [next((k for k, rx in enumerate(in_order) if rx.search(t)), None) for t in items]
    assert [_first_match_finder(patterns)(t.lower()) for t in items] == want
    _without_re2(monkeypatch)
    assert [_first_match_finder(patterns)(t.lower()) for t in items] == want


def test_lexicon_pickled_by_an_earlier_version_still_transforms():
    """Models registered before the lexicon moved to one counter for all cues load and score the same."""
    from imrml.features import LEXICON, LEXICON_ANCHORS, CueCounter

    texts = _generated_case_texts(10, seed=4)
    current = LexiconFeatures().fit(None)
    old_counters = []
    for pattern in LEXICON.values():
        c = CueCounter.__new__(CueCounter)
        c.__setstate__({"pattern": pattern})
        old_counters.append(c)
    old = LexiconFeatures.__new__(LexiconFeatures)
    old.__setstate__({"lexicon": None, "names_": list(LEXICON), "patterns_": old_counters,
                      "anchors_": [LEXICON_ANCHORS[k] for k in LEXICON]})
    assert (old.transform(texts) != current.transform(texts)).nnz == 0


def test_distinct_tfidf_equals_stock_tfidf_on_repeated_items():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from imrml.features import DistinctTfidfVectorizer
    from imrml.synth import generate_letters

    items = [i.item for g in generate_letters(120, seed=6) for i in g.items]
    assert len(set(items)) < len(items)  # the case it is for
    params = {"analyzer": "char_wb", "ngram_range": (3, 5), "min_df": 2, "sublinear_tf": True, "dtype": np.float32}
    stock = TfidfVectorizer(**params).fit(items[:200])
    fast = DistinctTfidfVectorizer(**params).fit(items[:200])
    unseen = items[200:] + ["", "Norco 10/325 mg #90", "Norco 10/325 mg #90"]
    assert abs(fast.transform(unseen) - stock.transform(unseen)).max() == 0
    distinct = sorted(set(unseen))
    assert abs(fast.transform(distinct) - stock.transform(distinct)).max() == 0
