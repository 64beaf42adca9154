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
