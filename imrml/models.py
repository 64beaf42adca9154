"""Classifiers and baselines, and the one pipeline from record frame to prediction (issue 5).

:func:`build_pipeline` assembles ``view -> prepare -> features -> classifier``
(baselines skip the features: they read the view's columns directly). The
result is a plain scikit-learn Pipeline: ``fit(frame, y)`` and
``predict_proba(frame)`` take DataFrames of item records
(:func:`imrml.features.records_to_frame`).

Baselines, so every comparison has its floor:

- :class:`MajorityClassifier`: the training prior, the majority class;
- :class:`KeywordRuleClassifier`: the outcome read off the rationale's
  concluding "is (not) medically necessary";
- :class:`ClaimsCopyClassifier`: the claims administrator's guideline label
  copied through as the reviewer's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_selection import SelectKBest, chi2
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .features import build_features, view_head
from .schema import OVERTURNED, UPHELD

LEARNED = ("logreg", "linear_svm_calibrated", "hist_gradient_boosting")
BASELINES = ("majority", "keyword_rule", "claims_copy")
MODEL_KINDS = LEARNED + BASELINES


def _prior(y) -> tuple[np.ndarray, np.ndarray]:
    classes, counts = np.unique(np.asarray(y, dtype=object).astype(str), return_counts=True)
    return classes, counts / counts.sum()


class MajorityClassifier(ClassifierMixin, BaseEstimator):
    """Predict the majority class; probabilities are the training prior."""

    def fit(self, X, y):
        self.classes_, self.prior_ = _prior(y)
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class KeywordRuleClassifier(ClassifierMixin, BaseEstimator):
    """Outcome from the rationale's conclusion: "not medically necessary" -> Upheld, "medically necessary" -> Overturned.

    The last cue in ``column`` decides; a rationale with no cue gets the
    training prior. ``confidence`` is the probability given to the rule's class.
    """

    NEGATIVE = r"not\s+(?:medically\s+)?(?:necessary|indicated|appropriate|supported|recommended|approved|certified)|\bnon-?certif|\bdenied\b|\bupheld\b"
    POSITIVE = r"(?:medically\s+necessary|(?:is|are|was|were)\s+(?:medically\s+)?(?:indicated|appropriate|supported|recommended|approved|certified)|\boverturned\b)"

    def __init__(self, column: str = "rationale", confidence: float = 0.9):
        self.column = column
        self.confidence = confidence

    def fit(self, X, y):
        self.classes_, self.prior_ = _prior(y)
        self.negative_ = re.compile(self.NEGATIVE, re.IGNORECASE)
        self.positive_ = re.compile(self.POSITIVE, re.IGNORECASE)
        return self

    def _rule(self, text: str) -> str | None:
        last_neg = max((m.end() for m in self.negative_.finditer(text)), default=-1)
        last_pos = max((m.end() for m in self.positive_.finditer(text)), default=-1)
        if last_neg < 0 and last_pos < 0:
            return None
        # "not medically necessary" ends where its "medically necessary" ends: a tie is the negation.
        return UPHELD if last_neg >= last_pos else OVERTURNED

    def predict_proba(self, X):
        texts = X[self.column].fillna("").astype(str) if self.column in X else pd.Series([""] * len(X))
        out = np.tile(self.prior_, (len(X), 1))
        k = len(self.classes_)
        for i, t in enumerate(texts):
            label = self._rule(t)
            if label is not None and label in self.classes_:
                row = np.full(k, (1 - self.confidence) / max(k - 1, 1))
                row[list(self.classes_).index(label)] = self.confidence if k > 1 else 1.0
                out[i] = row
        return out

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class ClaimsCopyClassifier(ClassifierMixin, BaseEstimator):
    """The reviewer's guideline label predicted as the claims administrator's (``column``).

    A copied label that is not a training class counts as ``fallback`` when
    that is a class (rare labels folded together), else as the majority.
    """

    def __init__(self, column: str = "claims_guideline_family", confidence: float = 0.8, fallback: str = "other-rare"):
        self.column = column
        self.confidence = confidence
        self.fallback = fallback

    def fit(self, X, y):
        self.classes_, self.prior_ = _prior(y)
        return self

    def predict_proba(self, X):
        vals = X[self.column] if self.column in X else pd.Series([None] * len(X))
        index = {c: i for i, c in enumerate(self.classes_)}
        majority = int(np.argmax(self.prior_))
        out = np.empty((len(X), len(self.classes_)))
        for i, v in enumerate(vals):
            j = index.get(str(v)) if v not in (None, "") and v == v else None
            if j is None:
                j = index.get(self.fallback, majority) if v not in (None, "") and v == v else majority
            out[i] = (1 - self.confidence) * self.prior_
            out[i, j] += self.confidence
        return out

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class SelectUpToK(SelectKBest):
    """SelectKBest that keeps every feature, silently, when there are fewer than ``k``."""

    def _check_params(self, X, y):
        if self.k != "all" and self.k > X.shape[1]:
            return
        super()._check_params(X, y)


class ToDense(TransformerMixin, BaseEstimator):
    """Sparse to dense float32 (for the tree ensemble)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float32)


def make_classifier(kind: str, *, class_weight: str | None = "balanced", C: float = 1.0, tol: float = 1e-3,
                    max_iter: int = 200,
                    learning_rate: float = 0.1, max_leaf_nodes: int = 31, seed: int = 0, target: str = "outcome",
                    max_dense_features: int = 2000) -> list[tuple[str, Any]]:
    """The classifier step(s) for ``kind``: one or more (name, estimator) pairs."""
    if kind == "logreg":
        return [("clf", LogisticRegression(C=C, class_weight=class_weight, tol=tol, max_iter=max(max_iter, 1000),
                                           solver="lbfgs", random_state=seed))]
    if kind == "linear_svm_calibrated":
        svm = LinearSVC(C=C, class_weight=class_weight, tol=tol, max_iter=max(max_iter, 2000), random_state=seed)
        return [("clf", CalibratedClassifierCV(svm, method="sigmoid", cv=3))]
    if kind == "hist_gradient_boosting":
        return [
            ("select", SelectUpToK(chi2, k=max_dense_features)),
            ("dense", ToDense()),
            ("clf", HistGradientBoostingClassifier(
                max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
                class_weight=class_weight, early_stopping=False, random_state=seed)),
        ]
    if kind == "majority":
        return [("clf", MajorityClassifier())]
    if kind == "keyword_rule":
        return [("clf", KeywordRuleClassifier())]
    if kind == "claims_copy":
        column = "claims_guideline_topic" if target == "guideline_topic" else "claims_guideline_family"
        return [("clf", ClaimsCopyClassifier(column=column))]
    raise ValueError(f"unknown model kind {kind!r}: expected one of {MODEL_KINDS}")


def build_pipeline(*, view: str, target: str, kind: str, text_columns=None, features: dict | None = None,
                   **model_params) -> Pipeline:
    """One pipeline from a record frame to predictions: view, (features,) classifier."""
    head = view_head(view, text_columns)
    if kind in BASELINES:
        return Pipeline([head[0], *make_classifier(kind, target=target, **model_params)])
    feats = build_features(**(features or {}))
    return Pipeline([*head, ("features", feats), *make_classifier(kind, target=target, **model_params)])


# ---------------------------------------------------------------- what the model learned


def _linear_coefs(clf) -> np.ndarray | None:
    if hasattr(clf, "coef_"):
        return np.asarray(clf.coef_)
    if isinstance(clf, CalibratedClassifierCV):
        coefs = [np.asarray(c.estimator.coef_) for c in clf.calibrated_classifiers_ if hasattr(c.estimator, "coef_")]
        return np.mean(coefs, axis=0) if coefs else None
    return None


def feature_names(pipeline: Pipeline) -> np.ndarray | None:
    """Names of the columns the classifier sees, or None for a baseline."""
    if "features" not in pipeline.named_steps:
        return None
    names = pipeline.named_steps["features"].get_feature_names_out()
    if "select" in pipeline.named_steps:
        names = names[pipeline.named_steps["select"].get_support()]
    return names


def top_features(pipeline: Pipeline, n: int = 20) -> dict[str, list[tuple[str, float]]]:
    """The most informative features per class.

    Linear models: the largest coefficients towards each class (binary: the
    positive class's top and the negative class's are the two ends of one
    coefficient vector). Tree ensemble: the chi-squared scores of the selected
    features (not per class), under "all". Baselines: empty.
    """
    names = feature_names(pipeline)
    if names is None:
        return {}
    clf = pipeline.steps[-1][1]
    classes = [str(c) for c in clf.classes_]
    coefs = _linear_coefs(clf)
    if coefs is not None:
        if coefs.shape[0] == 1:
            w = coefs[0]
            pos = np.argsort(-w)[:n]
            neg = np.argsort(w)[:n]
            return {classes[1]: [(str(names[i]), float(w[i])) for i in pos],
                    classes[0]: [(str(names[i]), float(-w[i])) for i in neg]}
        return {c: [(str(names[i]), float(coefs[k, i])) for i in np.argsort(-coefs[k])[:n]]
                for k, c in enumerate(classes)}
    if "select" in pipeline.named_steps:
        sel = pipeline.named_steps["select"]
        scores = np.nan_to_num(sel.scores_[sel.get_support()])
        return {"all": [(str(names[i]), float(scores[i])) for i in np.argsort(-scores)[:n]]}
    return {}
