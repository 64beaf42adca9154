"""The feature union over a view's derived columns."""

from __future__ import annotations

from imrml.learn.features import build_features
from imrml.learn.views import view_head
from imrml.records.frame import records_to_frame


def test_feature_union_names_and_shape(make_records):
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


def test_guideline_mentions_are_a_block_of_the_rationale_view(make_records):
    df = records_to_frame(make_records(20))
    head = view_head("rationale")
    x = head[1][1].fit(head[0][1].fit_transform(df)).transform(head[0][1].transform(df))
    feats = build_features(
        word_ngrams=None,
        char_ngrams=None,
        lexicon=False,
        structured=False,
        treatment_class=False,
        guideline_mentions=True,
    )
    X = feats.fit_transform(x)
    names = list(feats.get_feature_names_out())
    # the records' rationales name no guideline
    dense = X.toarray() if hasattr(X, "toarray") else X
    assert names == ["mentions__no_mention"] and dense.ravel().tolist() == [1.0] * len(df)
