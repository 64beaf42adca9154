"""Estimators of imrml's own: the baselines every comparison needs as its floor, and two small steps.

Baselines share :class:`PriorClassifier` (the classes and their training prior):

- :class:`MajorityClassifier`: the majority class; probabilities are the prior;
- :class:`KeywordRuleClassifier`: the outcome read off the rationale's
  conclusion by the parser's verdict reader;
- :class:`ClaimsCopyClassifier`: the claims administrator's guideline label
  copied through as the reviewer's.

Steps of the tree-ensemble pipeline: :class:`SelectUpToK` (the k best features,
or all when there are fewer) and :class:`ToDense`. Around every model,
:class:`FoldedLabelClassifier` maps labels it never saw to "other-rare", the class
the data set folds rare guideline labels into (:func:`imrml.learn.dataset.prepare_dataset`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.feature_selection import SelectKBest, SelectorMixin, chi2
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from ..letters.verdict import rationale_verdict
from ..records.schema import OVERTURNED, UPHELD


def _table_dtype(X) -> type | None:
    """The dtype a baseline checks ``X`` as: a frame as objects (scikit-learn before 1.9 casts a frame of pandas 3
    strings with a bool column to float, and fails), anything else as it is."""
    return object if isinstance(X, pd.DataFrame) else None


class PriorClassifier(ClassifierMixin, BaseEstimator):
    """Base of the baselines: learns the classes and their training prior; X is a record frame or any table.

    Subclasses give :meth:`predict_proba` their rule; :meth:`predict` is its argmax.
    """

    def fit(self, X, y):
        # checked as any table (a frame of strings included); the rules read the frame's columns by name
        _, y = validate_data(self, X, y, dtype=_table_dtype(X), ensure_all_finite=False, accept_sparse=True)
        check_classification_targets(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.prior_ = counts / counts.sum()
        return self

    def _num_rows(self, X) -> int:
        """Rows of ``X``, once it is checked against what the model was fitted on."""
        check_is_fitted(self)
        checked = validate_data(
            self, X, reset=False, dtype=_table_dtype(X), ensure_all_finite=False, accept_sparse=True
        )
        return checked.shape[0]

    @staticmethod
    def _column(X, column: str, n_rows: int) -> pd.Series:
        """The named column of a record frame; an empty one for any other input (the rule then gives the prior)."""
        if isinstance(X, pd.DataFrame) and column in X.columns:
            return X[column]
        return pd.Series([None] * n_rows)

    def predict_proba(self, X):
        n_rows = self._num_rows(X)
        return np.tile(self.prior_, (n_rows, 1))

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # the baselines read no numbers
        tags.input_tags.string = True
        tags.input_tags.sparse = True
        tags.classifier_tags.poor_score = True  # a floor, not a model
        return tags


class MajorityClassifier(PriorClassifier):
    """Predict the majority class; probabilities are the training prior."""


class KeywordRuleClassifier(PriorClassifier):
    """Outcome from the rationale's conclusion, read by :func:`imrml.letters.verdict.rationale_verdict` (the
    reader the parser fills ``rationale_verdict`` with): upheld -> Upheld, overturned -> Overturned.

    A rationale whose verdict is partial or unclear gets the training prior.
    ``confidence`` is the probability given to the rule's class.
    """

    _OUTCOMES = {"upheld": UPHELD, "overturned": OVERTURNED}

    def __init__(self, column: str = "rationale", confidence: float = 0.9):
        self.column = column
        self.confidence = confidence

    @classmethod
    def rule(cls, text: str) -> str | None:
        """Upheld, Overturned, or None when the text states no whole-item conclusion."""
        return cls._OUTCOMES.get(rationale_verdict(text))

    def predict_proba(self, X):
        out = super().predict_proba(X)
        k = len(self.classes_)
        index = {c: i for i, c in enumerate(self.classes_)}
        for i, text in enumerate(self._column(X, self.column, len(out))):
            label = self.rule("" if text is None or text != text else str(text))
            if label in index:
                row = np.full(k, (1 - self.confidence) / max(k - 1, 1))
                row[index[label]] = self.confidence if k > 1 else 1.0
                out[i] = row
        return out


class ClaimsCopyClassifier(PriorClassifier):
    """The reviewer's guideline label predicted as the claims administrator's (``column``).

    A copied label that is not a training class counts as ``fallback`` when
    that is a class (rare labels folded together), else as the majority.
    """

    def __init__(self, column: str = "claims_guideline_family", confidence: float = 0.8, fallback: str = "other-rare"):
        self.column = column
        self.confidence = confidence
        self.fallback = fallback

    def predict_proba(self, X):
        out = super().predict_proba(X)
        index = {c: i for i, c in enumerate(self.classes_)}
        majority = int(np.argmax(self.prior_))
        for i, v in enumerate(self._column(X, self.column, len(out))):
            stated = v is not None and v == v and v != ""
            j = index.get(str(v)) if stated else None
            if j is None:
                j = index.get(self.fallback, majority) if stated else majority
            out[i] = (1 - self.confidence) * self.prior_
            out[i, j] += self.confidence
        return out


class SelectUpToK(SelectorMixin, BaseEstimator):
    """The ``k`` features with the best ``score_func`` scores, or every feature when there are fewer than ``k``."""

    def __init__(self, score_func=chi2, k: int = 10):
        self.score_func = score_func
        self.k = k

    def fit(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"])
        if self.score_func is chi2:
            check_non_negative(X, "SelectUpToK with chi2")
        self.selector_ = SelectKBest(self.score_func, k=min(self.k, X.shape[1])).fit(X, y)
        self.scores_ = self.selector_.scores_
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False, dtype=None)
        return super().transform(X)

    def _get_support_mask(self):  # the one method SelectorMixin asks of a selector
        check_is_fitted(self)
        return self.selector_.get_support()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.score_func is chi2
        tags.target_tags.required = True
        return tags


class ToDense(TransformerMixin, BaseEstimator):
    """Sparse to dense float32 (for the tree ensemble)."""

    def fit(self, X, y=None):
        validate_data(self, X, accept_sparse=True)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, reset=False)
        return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float32"]  # always float32: half the memory of the dense block
        return tags


RARE = "other-rare"  # the class rare guideline labels fold into


class FoldedLabelClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A classifier that maps labels it never saw to ``"other-rare"`` when that is one of its classes.

    ``fit`` fits ``estimator`` on labels as given: rare ones were already folded into
    "other-rare", once, on the whole data set (:func:`imrml.learn.dataset.prepare_dataset`).
    :meth:`fold_labels` maps labels to the classes the fitted model knows (a label
    folded in training, or one it never saw, becomes "other-rare"). Evaluating on new
    letters goes through it, so nobody folds labels by hand.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        check_classification_targets(y)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    @property
    def n_features_in_(self) -> int:
        return self.estimator_.n_features_in_

    def fold_labels(self, y) -> np.ndarray:
        """``y`` in the model's classes: unknown labels become "other-rare" when the model has that class."""
        check_is_fitted(self)
        y = np.asarray(y, dtype=object)
        if RARE not in self.classes_:
            return y
        return np.where(np.isin(y, self.classes_), y, RARE)

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.classifier_tags.poor_score = inner.classifier_tags.poor_score if inner.classifier_tags else False
        return tags
