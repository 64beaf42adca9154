"""Precedents: the decided items most like a new dispute, found only from what exists before review.

:class:`PrecedentIndex` is a scikit-learn classifier. ``fit(X, y)`` indexes decided items (``X`` a record
frame, ``y`` their decisions); :meth:`~PrecedentIndex.kneighbors` returns the ``n_neighbors`` most similar
decided items of each query; :meth:`~PrecedentIndex.predict_proba` is the share of each decision among
them, which makes the index a scorer like the classifiers (the neighbours' overturned share).

Representation (a record frame: the columns of :data:`imrml.learn.views.PRECEDENT_COLUMNS`)
    Four TF-IDF blocks; each row of a block is L2-normalised, weighted, the blocks stacked, the row
    normalised again, reduced by TruncatedSVD to ``n_components`` dimensions and normalised, so that
    similarity is the cosine of the reduced vectors:

    * ``summary``: the case summary, word 1-2 grams, sublinear tf, words in at least ``min_df`` summaries;
    * ``item``: the item as requested, character 2-4 grams within words (doses and spellings vary);
    * ``request``: the request read into fields (kind, generic and each ingredient, drug class, service
      type, body parts), one token each: the record's fields where it has them, else read from the item
      by :func:`imrml.letters.requested.parse_request` (the reader the parser fills them with);
    * ``claims``: the claims administrator's guideline text (word 1-2 grams) and its family and topic labels.

    Texts repeat (the items of a letter share its summary; requests and guideline sentences recur), so
    each block vectorizes and projects every distinct text once and rows gather the result. Vocabulary
    and idf come from at most ``vocabulary_sample`` distinct texts per block, the SVD from at most
    ``svd_sample`` rows. An SVD has at most as many components as its sample has rows or features; when
    the corpus is that small the reduction keeps every direction and the ranking is the sparse cosine's.

    Any other ``X`` (a numeric matrix) is taken as the vectors themselves, L2-normalised.

Search
    Exact: a BLAS product of each block of queries with the decided items' vectors, then the top K.
    With ``same_class`` (the default) a query is compared only with decided items of its own treatment
    class (:func:`imrml.learn.treatments.treatment_class` of the item); the vectors are stored sorted by
    class, so a class is one contiguous slice. ``kneighbors(..., same_class=False)`` widens to every class.
    Measured on generated items (README, "Precedents"): 1,000,000 items index in about 2 minutes and
    answer 10,000 queries in about 10 s on 2 cores, so no approximate index is needed.

Nothing the reviewer wrote is read: ``y`` is only looked up for the neighbours found.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from threadpoolctl import threadpool_limits

from ..letters.requested import parse_request
from .treatments import UNKNOWN_CLASS, treatment_class

BLOCKS = ("summary", "item", "request", "claims")
REQUEST_FIELDS = ("request_kind", "drug_generic", "drug_class", "service_type", "body_parts")
_TEXT_STEP = 50_000  # distinct texts vectorized at a time: bounds the vectorizer's temporary arrays
_GATHER_STEP = 65_536  # rows assembled at a time: no full-size temporaries
_SCORE_CELLS = 1 << 25  # query x item similarities computed at a time (128 MB of float32)
_EXACT_SVD_ROWS = 1_000  # up to this many rows an exact SVD (eigenvectors of the Gram matrix) is the cheaper


def is_record_frame(X) -> bool:
    """A frame of item records (it has the item column), as opposed to a matrix of numbers."""
    return isinstance(X, pd.DataFrame) and "item" in X.columns


def column_codes(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, list[str]]:
    """Each row's code and the column's distinct texts ("" for missing or absent). A categorical column (a
    Parquet dictionary) gives its categories as they are: no text is copied per row."""
    if name not in frame.columns:
        return np.zeros(len(frame), np.int64), [""]
    values = frame[name]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.remove_unused_categories()
        codes, uniques = values.cat.codes.to_numpy().astype(np.int64), [str(c) for c in values.cat.categories]
    else:
        found, distinct = pd.factorize(values, use_na_sentinel=True)
        codes, uniques = found.astype(np.int64), [str(u) for u in distinct]
    missing = codes < 0
    if missing.any():
        uniques.append("")
        codes[missing] = len(uniques) - 1
    return codes, uniques


def _token(prefix: str, value: str) -> str:
    value = re.sub(r"[^0-9a-z]+", "_", value.lower()).strip("_")
    return f"{prefix}_{value}" if value else ""


@functools.lru_cache(maxsize=1 << 16)  # requests recur across letters, and across fits and query chunks
def read_request(item: str) -> tuple[str, str, str, str, str]:
    """What the parser reads from an item as requested: kind, generic, drug class, service type, body parts."""
    read = parse_request(item)
    return read.kind, read.generic or "", read.drug_class or "", read.service_type or "", "; ".join(read.body_parts)


def request_tokens(item: str, kind: str, generic: str, drug_class: str, service: str, body_parts: str) -> str:
    """The request as tokens: its fields as given, or, for a row that has none (a table without the parser's
    request fields), what the parser reads from the item."""
    if not kind:
        kind, generic, drug_class, service, body_parts = read_request(item)
    tokens = [_token("kind", kind), _token("generic", generic), _token("class", drug_class)]
    tokens += [_token("ingredient", g) for g in generic.split("/") if "/" in generic]
    tokens += [_token("service", service)] + [_token("body", b) for b in body_parts.split(";")]
    return " ".join(t for t in tokens if t)


def _combinations(frame: pd.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Each row's code among the distinct combinations of several columns, and each combination's texts."""
    columns = [column_codes(frame, name) for name in names]
    _, first, codes = np.unique(
        np.stack([c for c, _ in columns], axis=1), axis=0, return_index=True, return_inverse=True
    )
    return codes.ravel().astype(np.int64), [[u[c[i]] for c, u in columns] for i in first]


def block_texts(frame: pd.DataFrame) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per block: each row's code and the block's distinct texts."""
    codes, combos = _combinations(frame, ("item", *REQUEST_FIELDS))
    request = (codes, [request_tokens(*combo) for combo in combos])
    codes, combos = _combinations(frame, ("claims_guideline_text", "claims_guideline_family", "claims_guideline_topic"))
    claims = [" ".join(filter(None, (t, _token("cgfamily", f), _token("cgtopic", p)))) for t, f, p in combos]
    return {
        "summary": column_codes(frame, "case_summary"),
        "item": column_codes(frame, "item"),
        "request": request,
        "claims": (codes, claims),
    }


def treatment_classes(frame: pd.DataFrame) -> np.ndarray:
    """The treatment class of each row's item (computed once per distinct item)."""
    codes, uniques = column_codes(frame, "item")
    return np.asarray([treatment_class(u) for u in uniques], dtype=object)[codes]


def _new_vectorizer(block: str, min_df: int) -> TfidfVectorizer:
    if block == "summary":
        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df, dtype=np.float32)
    if block == "item":
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32)
    if block == "request":
        return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, dtype=np.float32)
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)


class PrecedentIndex(ClassifierMixin, BaseEstimator):
    """The ``n_neighbors`` most similar decided items, and the share of each decision among them.

    Parameters
    ----------
    n_neighbors : int
        Neighbours returned by ``kneighbors`` and counted by ``predict_proba``.
    same_class : bool
        Compare a query only with decided items of its treatment class (record frames only).
    n_components : int
        Dimensions of the reduced vectors (at most the SVD sample's rows and features).
    summary_weight, item_weight, request_weight, claims_weight : float
        Weight of each block in the similarity (a block's share is its weight squared over the sum of squares).
    min_df : int
        A word or word pair of the summaries counts when it is in at least this many distinct summaries.
    vocabulary_sample, svd_sample : int
        Distinct texts per block the vocabulary is learned from; rows the SVD is fitted on.
    svd_iterations : int
        Power iterations of the randomized SVD.
    random_state : int
        Seed of the samples and of the SVD.
    """

    def __init__(
        self,
        n_neighbors: int = 10,
        same_class: bool = True,
        n_components: int = 256,
        summary_weight: float = 1.0,
        item_weight: float = 1.0,
        request_weight: float = 1.0,
        claims_weight: float = 0.5,
        min_df: int = 2,
        vocabulary_sample: int = 50_000,
        svd_sample: int = 30_000,
        svd_iterations: int = 3,
        random_state: int = 0,
    ):
        self.n_neighbors = n_neighbors
        self.same_class = same_class
        self.n_components = n_components
        self.summary_weight = summary_weight
        self.item_weight = item_weight
        self.request_weight = request_weight
        self.claims_weight = claims_weight
        self.min_df = min_df
        self.vocabulary_sample = vocabulary_sample
        self.svd_sample = svd_sample
        self.svd_iterations = svd_iterations
        self.random_state = random_state

    # ---------------------------------------------------------------- the representation of record frames

    def _weights(self) -> dict[str, float]:
        return {
            "summary": self.summary_weight,
            "item": self.item_weight,
            "request": self.request_weight,
            "claims": self.claims_weight,
        }

    def _fit_vectorizers(self, blocks, rng: np.random.Generator) -> None:
        """A vectorizer per block, learned from its distinct texts (a sample of them when there are many);
        a block whose texts hold no term (every summary empty) has none and adds nothing."""
        self.vectorizers_ = {}
        for block, (_, texts) in blocks.items():
            if len(texts) > self.vocabulary_sample:
                texts = [texts[i] for i in np.sort(rng.choice(len(texts), self.vocabulary_sample, replace=False))]
            try:
                self.vectorizers_[block] = _new_vectorizer(block, self.min_df).fit(texts)
            except ValueError:  # "empty vocabulary" / "no terms remain"
                self.vectorizers_[block] = None
        sizes = [len(v.vocabulary_) if v is not None else 0 for v in self.vectorizers_.values()]
        self.block_offsets_ = dict(zip(BLOCKS, np.concatenate([[0], np.cumsum(sizes)]).tolist(), strict=False))
        self.n_text_features_ = int(sum(sizes))

    def _tfidf(self, block: str, texts: list[str]) -> sp.csr_matrix:
        vec = self.vectorizers_[block]
        if vec is None:
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)
        parts = [vec.transform(texts[i : i + _TEXT_STEP]) for i in range(0, max(1, len(texts)), _TEXT_STEP)]
        return sp.vstack(parts, format="csr", dtype=np.float32)

    def _row_norms(self, present: dict[str, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """The norm of each row of the weighted stack: blocks are unit rows or empty."""
        w = self._weights()
        sq = np.zeros(len(next(iter(present.values()))[0]))
        for block, (codes, nonempty) in present.items():
            sq += w[block] ** 2 * nonempty[codes]
        sq[sq == 0] = 1.0
        return np.sqrt(sq)

    def _stacked(self, blocks: dict[str, tuple[np.ndarray, sp.csr_matrix]]) -> sp.csr_matrix:
        """The weighted, normalised stack of the blocks' rows (block -> codes, TF-IDF of its distinct texts)."""
        w = self._weights()
        norms = self._row_norms({b: (c, np.diff(M.indptr) > 0) for b, (c, M) in blocks.items()})
        X = sp.hstack([blocks[b][1][blocks[b][0]] * np.float32(w[b]) for b in BLOCKS], format="csr")
        return (sp.diags((1.0 / norms).astype(np.float32)) @ X).astype(np.float32)

    def _fit_svd(self, blocks, rng: np.random.Generator) -> None:
        """The top right singular vectors of a sample of rows (only the distinct texts those rows use are
        vectorized here): exact from the rows' Gram matrix for a small sample, else randomized TruncatedSVD."""
        n = len(blocks["summary"][0])
        rows = np.sort(rng.choice(n, min(n, self.svd_sample), replace=False))
        sample = {}
        for block, (codes, texts) in blocks.items():
            used, inverse = np.unique(codes[rows], return_inverse=True)
            sample[block] = (inverse.ravel(), self._tfidf(block, [texts[i] for i in used]))
        X = self._stacked(sample)
        k = min(self.n_components, X.shape[0], X.shape[1])
        if k == 0:  # no text at all: every row is the zero vector
            self.components_ = np.zeros((1, X.shape[1]), np.float32)
        elif X.shape[0] <= _EXACT_SVD_ROWS:
            self.components_ = _gram_svd(X, k)
        else:
            svd = TruncatedSVD(k, algorithm="randomized", n_iter=self.svd_iterations, random_state=self.random_state)
            self.components_ = svd.fit(X).components_.astype(np.float32)
        self.n_components_ = self.components_.shape[0]

    def _project(self, block: str, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The weighted SVD projection of each distinct text of a block, and which texts hold a term."""
        out = np.zeros((len(texts), self.n_components_), np.float32)
        nonempty = np.zeros(len(texts), bool)
        if self.vectorizers_[block] is None:
            return out, nonempty
        start = self.block_offsets_[block]
        stop = start + len(self.vectorizers_[block].vocabulary_)
        V = np.ascontiguousarray(self.components_[:, start:stop].T)
        for i in range(0, len(texts), _TEXT_STEP):
            M = self._tfidf(block, texts[i : i + _TEXT_STEP])
            out[i : i + _TEXT_STEP] = M @ V
            nonempty[i : i + _TEXT_STEP] = np.diff(M.indptr) > 0
        out *= np.float32(self._weights()[block])
        return out, nonempty

    def _text_vectors(self, blocks, positions: np.ndarray | None = None) -> np.ndarray:
        """The reduced, normalised vector of each row (of :func:`block_texts`); row i is written at
        ``positions[i]`` when given."""
        projected = {b: (codes, *self._project(b, texts)) for b, (codes, texts) in blocks.items()}
        norms = self._row_norms({b: (c, ne) for b, (c, _, ne) in projected.items()}).astype(np.float32)
        n = len(norms)
        out = np.empty((n, self.n_components_), np.float32)
        for i in range(0, n, _GATHER_STEP):
            rows = slice(i, i + _GATHER_STEP)
            acc = sum(P[codes[rows]] for codes, P, _ in projected.values())
            acc /= norms[rows, None]
            length = np.linalg.norm(acc, axis=1, keepdims=True)
            length[length == 0] = 1.0
            out[rows if positions is None else positions[rows]] = acc / length
        return out

    # ---------------------------------------------------------------- any other input: the vectors themselves

    @staticmethod
    def _unit_rows(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        length = np.linalg.norm(X, axis=1, keepdims=True)
        length[length == 0] = 1.0
        return X / length

    # ---------------------------------------------------------------- fit

    def fit(self, X, y):
        """Index the decided items ``X`` with their decisions ``y``."""
        if self.n_neighbors < 1 or self.n_components < 1:
            raise ValueError("n_neighbors and n_components must be at least 1")
        weights = np.array(list(self._weights().values()))
        if (weights < 0).any() or not weights.any():
            raise ValueError("block weights must be non-negative and not all zero")
        self.text_ = is_record_frame(X)
        if self.text_:
            if y is None:
                raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
            y = column_or_1d(y, warn=True)
            if len(y) != len(X):
                raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
            if len(X) == 0:
                raise ValueError("no decided items to index")
            frame = X.reset_index(drop=True)
            self.n_features_in_ = frame.shape[1]
            classes = treatment_classes(frame)
        else:
            X, y = validate_data(self, X, y)
            classes = np.full(len(X), UNKNOWN_CLASS, dtype=object)
        check_classification_targets(y)
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        self.prior_ = np.bincount(y_codes, minlength=len(self.classes_)) / len(y_codes)

        # rows sorted by treatment class (stable): each class is one contiguous slice of the vectors
        class_names, class_codes = np.unique(classes.astype(str), return_inverse=True)
        order = np.argsort(class_codes, kind="stable")
        starts = np.searchsorted(class_codes[order], np.arange(len(class_names) + 1))
        self.partitions_ = {
            str(c): (int(starts[i]), int(starts[i + 1])) for i, c in enumerate(class_names) if starts[i + 1] > starts[i]
        }
        self.rows_ = order  # the fitted row of each stored vector
        self.y_ = y_codes[order]
        if self.text_:
            rng = np.random.default_rng(self.random_state)
            blocks = block_texts(frame)
            self._fit_vectorizers(blocks, rng)
            self._fit_svd(blocks, rng)
            position = np.empty(len(order), np.int64)
            position[order] = np.arange(len(order))
            self.vectors_ = self._text_vectors(blocks, position)
        else:
            self.vectors_ = self._unit_rows(X)[order]
        return self

    # ---------------------------------------------------------------- search

    def query_classes(self, X) -> np.ndarray:
        """The treatment class each query is compared within (record frames; else the one partition)."""
        check_is_fitted(self)
        if self.text_:
            return treatment_classes(X.reset_index(drop=True))
        return np.full(_num_rows(X), UNKNOWN_CLASS, dtype=object)

    def class_sizes(self) -> dict[str, int]:
        """Decided items per treatment class."""
        check_is_fitted(self)
        return {c: stop - start for c, (start, stop) in self.partitions_.items()}

    def _query_vectors(self, X) -> np.ndarray:
        if self.text_:
            if not is_record_frame(X):
                raise ValueError("this index was fitted on item records: pass a frame with an 'item' column")
            return self._text_vectors(block_texts(X.reset_index(drop=True)))
        return self._unit_rows(validate_data(self, X, reset=False))

    def _search(self, Q: np.ndarray, start: int, stop: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (similarity, stored position) of each query among the stored vectors start:stop."""
        V = self.vectors_[start:stop]
        n = stop - start
        k = min(k, n)
        sims = np.empty((len(Q), k), np.float32)
        pos = np.empty((len(Q), k), np.int64)
        step = max(1, _SCORE_CELLS // max(1, n))
        for s in range(0, len(Q), step):
            S = Q[s : s + step] @ V.T
            top = np.argpartition(S, n - k, axis=1)[:, n - k :] if k < n else np.tile(np.arange(n), (len(S), 1))
            top_s = np.take_along_axis(S, top, axis=1)
            order = np.lexsort((top, -top_s), axis=1)  # most similar first; equal similarity: the earlier row
            pos[s : s + step] = np.take_along_axis(top, order, axis=1) + start
            sims[s : s + step] = np.take_along_axis(top_s, order, axis=1)
        return sims, pos

    def kneighbors(self, X, n_neighbors: int | None = None, return_distance: bool = True, same_class=None):
        """The nearest decided items of each row of ``X``.

        Returns (distances, indices): distance is 1 - cosine similarity, indices are rows of the fitted
        ``X``, nearest first. A query compared within a class with fewer than ``n_neighbors`` decided items
        gets fewer: the rest of its row is index -1 at distance inf. ``same_class`` (default: the
        estimator's) False compares every query with every decided item.
        """
        check_is_fitted(self)
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if k < 1:
            raise ValueError(f"n_neighbors must be at least 1, not {k}")
        same = self.same_class if same_class is None else same_class
        Q = self._query_vectors(X)
        sims = np.full((len(Q), k), -np.inf, np.float32)
        pos = np.full((len(Q), k), -1, np.int64)
        if same and self.text_:
            classes = self.query_classes(X)
            for cls in np.unique(classes.astype(str)):
                if cls not in self.partitions_:
                    continue  # no decided item of that class
                rows = np.flatnonzero(classes == cls)
                s, p = self._search(Q[rows], *self.partitions_[cls], k)
                sims[rows, : s.shape[1]], pos[rows, : p.shape[1]] = s, p
        elif len(self.vectors_):
            s, p = self._search(Q, 0, len(self.vectors_), k)
            sims[:, : s.shape[1]], pos[:, : p.shape[1]] = s, p
        found = pos >= 0
        indices = np.where(found, self.rows_[np.where(found, pos, 0)], -1)
        if not return_distance:
            return indices
        return np.where(found, 1.0 - sims, np.inf), indices

    def neighbour_labels(self, indices: np.ndarray) -> np.ndarray:
        """The decision (a class of ``classes_``) of each neighbour index, None for -1."""
        check_is_fitted(self)
        by_row = np.empty(len(self.rows_), dtype=object)
        by_row[self.rows_] = self.classes_[self.y_]
        return np.where(indices >= 0, by_row[np.where(indices >= 0, indices, 0)], None)

    def predict_proba(self, X) -> np.ndarray:
        """Share of each class among a query's neighbours (the training prior when it has none)."""
        _, indices = self.kneighbors(X)
        by_row = np.empty(len(self.rows_), np.int64)
        by_row[self.rows_] = self.y_
        found = indices >= 0
        labels = by_row[np.where(found, indices, 0)]
        counts = np.stack([((labels == c) & found).sum(axis=1) for c in range(len(self.classes_))], axis=1)
        n = found.sum(axis=1, keepdims=True)
        return np.where(n > 0, counts / np.maximum(n, 1), self.prior_)

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # a record frame of texts, or a matrix of numbers
        return tags


def _gram_svd(X: sp.csr_matrix, k: int) -> np.ndarray:
    """The top ``k`` right singular vectors of ``X`` (rows), exactly, from the eigenvectors of X X^T; directions
    with no variance are dropped."""
    with threadpool_limits(1, user_api="blas"):  # a small problem: threads gain nothing, and wait on busy cores
        eigenvalues, U = np.linalg.eigh((X @ X.T).toarray().astype(np.float64))
    top = np.argsort(eigenvalues)[::-1][:k]
    top = top[eigenvalues[top] > 1e-9 * max(eigenvalues.max(), 1e-300)]
    if len(top) == 0:
        return np.zeros((1, X.shape[1]), np.float32)
    V = np.asarray(X.T @ U[:, top]) / np.sqrt(eigenvalues[top])
    return np.ascontiguousarray(V.T, dtype=np.float32)


def _num_rows(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)
