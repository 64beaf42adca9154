"""TF-IDF vectorizers that give exactly scikit-learn's matrices with less work.

- :class:`LineCachedTfidfVectorizer` analyzes each distinct line of text once
  (a letter's items repeat its case summary);
- :class:`DistinctTfidfVectorizer` transforms each distinct document once (the
  same requests recur across thousands of letters).

:class:`LineCachedTfidfVectorizer` relies on two private names of
scikit-learn's ``CountVectorizer`` (``_count_vocab``, overridden, and
``_word_ngrams``, called), which any release may move. pyproject.toml admits
scikit-learn below the next minor version of the newest one tested (``<1.10``);
``tests/learn/test_vectorizers.py`` fails first, saying what to do, when either
name moves or changes its signature, and checks the matrices against the stock
ones: the ceiling is raised only once it passes on the new version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer


class LineCachedTfidfVectorizer(TfidfVectorizer):
    """A :class:`~sklearn.feature_extraction.text.TfidfVectorizer` that works line by line.

    Every item of a letter repeats the letter's case summary, so the same lines
    recur in neighbouring documents. Each distinct line is preprocessed,
    tokenized, turned into n-grams and (when transforming) looked up in the
    vocabulary once per call, through a bounded cache; a document's n-grams
    are its lines' n-grams plus those spanning line ends. That is exactly the
    stock analyzer's multiset of n-grams (a newline is never inside a token),
    so the features are the same, computed about twice as fast on letters.
    Settings that could make lines interact (a custom analyzer, preprocessor or
    tokenizer, a token pattern that lets tokens run across lines) fall back to
    the stock code.
    """

    _CACHE_LINES = 4096

    def _line_ngrams(self, vocabulary: dict[str, int] | None = None):
        """A :class:`_LineNgrams` for this vectorizer's settings, or None when lines could interact."""
        if self.analyzer != "word" or self.preprocessor is not None or self.tokenizer is not None:
            return None
        tokenize = self.build_tokenizer()
        probe = "Ab\ncd 12\n34 e-\nf g.\n\nh"
        if tokenize(probe) != [t for line in probe.split("\n") for t in tokenize(line)]:
            return None
        return _LineNgrams(self, self._CACHE_LINES, vocabulary)

    def build_analyzer(self):
        lines = self._line_ngrams()
        if lines is None:
            return super().build_analyzer()

        def analyze(doc) -> list[str]:
            tokens, grams, starts = lines.split(self.decode(doc))
            return grams + lines.spanning(tokens, starts)

        return analyze

    def _count_vocab(self, raw_documents, fixed_vocab):
        # Transforming (fixed vocabulary): count from each line's cached vocabulary indices.
        lines = self._line_ngrams(self.vocabulary_) if fixed_vocab else None
        if lines is None:
            return super()._count_vocab(raw_documents, fixed_vocab)
        vocabulary = self.vocabulary_
        j_indices: list[int] = []
        indptr = [0]
        for doc in raw_documents:
            tokens, known, starts = lines.split(self.decode(doc))
            j_indices += known
            j_indices += [vocabulary[g] for g in lines.spanning(tokens, starts) if g in vocabulary]
            indptr.append(len(j_indices))
        index_dtype = np.int64 if len(j_indices) > np.iinfo(np.int32).max else np.int32
        X = sp.csr_matrix(
            (
                np.ones(len(j_indices), dtype=self.dtype),
                np.asarray(j_indices, dtype=index_dtype),
                np.asarray(indptr, dtype=index_dtype),
            ),
            shape=(len(indptr) - 1, len(vocabulary)),
        )
        X.sum_duplicates()  # repeated indices add up to counts, indices sorted as the stock code leaves them
        return vocabulary, X


class DistinctTfidfVectorizer(TfidfVectorizer):
    """A :class:`~sklearn.feature_extraction.text.TfidfVectorizer` that transforms each distinct document once.

    For short documents that recur, like the item as requested ("Norco 10/325 mg
    #90" in thousands of letters): the rows of repeated documents are copies of
    one computed row, so the matrix is exactly the stock one.
    """

    def transform(self, raw_documents):
        if isinstance(raw_documents, str):
            return super().transform(raw_documents)  # the stock error for a lone string
        docs = list(raw_documents)
        codes, distinct = pd.factorize(pd.Series(docs, dtype=object), use_na_sentinel=False)
        if len(distinct) == len(docs):
            return super().transform(docs)
        return super().transform(list(distinct))[codes]


class _LineNgrams:
    """Per-call cache: line -> (its tokens, its n-grams or, with a vocabulary, their vocabulary indices)."""

    def __init__(self, vectorizer: TfidfVectorizer, max_lines: int, vocabulary: dict[str, int] | None = None):
        self.preprocess = vectorizer.build_preprocessor()
        self.tokenize = vectorizer.build_tokenizer()
        self.stop_words = vectorizer.get_stop_words()
        self.word_ngrams = vectorizer._word_ngrams
        min_n, max_n = vectorizer.ngram_range
        self.spanning_sizes = range(max(min_n, 2), max_n + 1)
        self.vocabulary = vocabulary  # given: a line's n-grams are kept as their vocabulary indices
        self.max_lines = max_lines
        self.cache: dict[str, tuple[list[str], list]] = {}

    def line(self, line: str) -> tuple[list[str], list]:
        hit = self.cache.get(line)
        if hit is None:
            tokens = self.tokenize(self.preprocess(line))
            if self.stop_words is not None:
                tokens = [w for w in tokens if w not in self.stop_words]
            grams = self.word_ngrams(tokens)
            if self.vocabulary is not None:
                vocabulary = self.vocabulary
                grams = [vocabulary[g] for g in grams if g in vocabulary]
            if len(self.cache) >= self.max_lines:
                self.cache.clear()
            hit = self.cache[line] = (tokens, grams)
        return hit

    def split(self, doc: str) -> tuple[list[str], list, list[int]]:
        """The document's tokens, its lines' n-grams (or indices), and where each line's tokens start."""
        tokens: list[str] = []
        grams: list = []
        starts: list[int] = []
        for text in doc.split("\n"):
            line_tokens, line_grams = self.line(text)
            if line_tokens and tokens:
                starts.append(len(tokens))
            tokens += line_tokens
            grams += line_grams
        return tokens, grams, starts

    def spanning(self, tokens: list[str], starts: list[int]) -> list[str]:
        """The n-grams that span a line end, each once."""
        grams: list[str] = []
        for n in self.spanning_sizes:
            first = sorted({i for b in starts for i in range(max(0, b - n + 1), b) if i + n <= len(tokens)})
            grams += [" ".join(tokens[i : i + n]) for i in first]
        return grams
