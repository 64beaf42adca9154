"""The fast TF-IDF vectorizers compute exactly what scikit-learn's stock vectorizer computes."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from imrml.learn.vectorizers import DistinctTfidfVectorizer, LineCachedTfidfVectorizer
from imrml.learn.views import view_head
from imrml.records.frame import records_to_frame
from imrml.synth.corpus import generate_letters


def _moved(name: str) -> str:
    """What to do when scikit-learn moves or reshapes a private name LineCachedTfidfVectorizer builds on."""
    return (
        f"scikit-learn {sklearn.__version__} moved or changed CountVectorizer.{name}, which "
        f"imrml/learn/vectorizers.py builds on. Keep pyproject.toml's scikit-learn ceiling below {sklearn.__version__} "
        f"(pip install 'scikit-learn<{sklearn.__version__}' meanwhile). To support it: read the new CountVectorizer "
        f"(sklearn/feature_extraction/text.py), follow the name in LineCachedTfidfVectorizer (or make its "
        f"_line_ngrams return None, so the stock code runs, slower), run tests/learn/test_vectorizers.py until "
        f"every test passes (the matrices must equal the stock ones), then raise the ceiling."
    )


def test_the_private_scikit_learn_names_we_build_on_are_still_there():
    """LineCachedTfidfVectorizer overrides CountVectorizer._count_vocab and calls _word_ngrams: if scikit-learn
    renames or reshapes either, this fails first and says what to do (pyproject.toml keeps scikit-learn below
    the next minor version of the newest one tested)."""
    for name, parameters in (
        ("_count_vocab", ["self", "raw_documents", "fixed_vocab"]),
        ("_word_ngrams", ["self", "tokens", "stop_words"]),
    ):
        assert hasattr(CountVectorizer, name), _moved(name)
        assert list(inspect.signature(getattr(CountVectorizer, name)).parameters) == parameters, _moved(name)
    vocabulary, X = CountVectorizer().fit(["a bb cc"])._count_vocab(["bb cc cc"], fixed_vocab=True)
    assert X.toarray().tolist() == [[1, 2]] and vocabulary == {"bb": 0, "cc": 1}, _moved("_count_vocab")
    assert CountVectorizer(ngram_range=(1, 2))._word_ngrams(["a", "b"]) == ["a", "b", "a b"], _moved("_word_ngrams")


def _case_texts(records) -> list[str]:
    frame = records_to_frame(records)
    head = view_head("case")
    return head[1][1].fit(head[0][1].fit_transform(frame)).transform(head[0][1].transform(frame))["text"].tolist()


def _generated_case_texts(n_letters: int = 80, seed: int = 5) -> list[str]:
    return _case_texts([item for g in generate_letters(n_letters, seed=seed) for item in g.items])


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"ngram_range": (1, 3), "min_df": 1},
        {"ngram_range": (2, 3), "min_df": 1},
        {"ngram_range": (1, 1)},
        {"ngram_range": (1, 2), "stop_words": "english", "max_features": 300},
    ],
)
def test_line_cached_tfidf_equals_stock_tfidf(settings):
    """Same vocabulary and the same matrix as scikit-learn's TfidfVectorizer, on letters it did not fit."""

    texts = _generated_case_texts()
    fit_on, unseen = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    unseen += ["", "\n\n", "one\ntwo\n\nthree four\nfive", "Ünïcode accents\nand lines"]
    params = {
        "ngram_range": (1, 2),
        "min_df": 2,
        "sublinear_tf": True,
        "strip_accents": "unicode",
        "token_pattern": r"(?u)\b[a-zA-Z][a-zA-Z0-9]+\b",
        "dtype": np.float32,
        **settings,
    }
    stock = TfidfVectorizer(**params).fit(fit_on)
    fast = LineCachedTfidfVectorizer(**params).fit(fit_on)
    assert fast._line_ngrams() is not None  # the fast path is the one under test
    assert fast.vocabulary_ == stock.vocabulary_
    assert abs(fast.transform(unseen) - stock.transform(unseen)).max() == 0


def test_line_cached_tfidf_falls_back_when_tokens_can_span_lines():

    texts = ["alpha beta\ngamma, delta", "beta\ngamma", "alpha, delta\nbeta gamma"]
    fast = LineCachedTfidfVectorizer(token_pattern=r"[^,]+").fit(texts)
    assert fast._line_ngrams() is None
    stock = TfidfVectorizer(token_pattern=r"[^,]+").fit(texts)
    assert fast.vocabulary_ == stock.vocabulary_ and "alpha beta\ngamma" in fast.vocabulary_
    assert abs(fast.transform(texts) - stock.transform(texts)).max() == 0


def test_line_cached_tfidf_on_real_letters(dwc_items):
    texts = _case_texts(dwc_items)
    params = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "strip_accents": "unicode"}
    stock = TfidfVectorizer(**params).fit(texts[::2])
    fast = LineCachedTfidfVectorizer(**params).fit(texts[::2])
    assert fast.vocabulary_ == stock.vocabulary_
    assert abs(fast.transform(texts) - stock.transform(texts)).max() == 0


def test_distinct_tfidf_equals_stock_tfidf_on_repeated_items():
    items = [i.item for g in generate_letters(120, seed=6) for i in g.items]
    assert len(set(items)) < len(items)  # the case it is for
    params = {"analyzer": "char_wb", "ngram_range": (3, 5), "min_df": 2, "sublinear_tf": True, "dtype": np.float32}
    stock = TfidfVectorizer(**params).fit(items[:200])
    fast = DistinctTfidfVectorizer(**params).fit(items[:200])
    unseen = items[200:] + ["", "Norco 10/325 mg #90", "Norco 10/325 mg #90"]
    assert abs(fast.transform(unseen) - stock.transform(unseen)).max() == 0
    distinct = sorted(set(unseen))
    assert abs(fast.transform(distinct) - stock.transform(distinct)).max() == 0
