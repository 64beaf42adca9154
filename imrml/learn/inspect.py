"""What a fitted model learned and why it predicted what it did: feature names, top features, explanations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline

from .estimators import FoldedLabelClassifier


def inner_pipeline(model) -> Pipeline:
    """The fitted Pipeline inside a model built by :func:`~imrml.learn.pipeline.build_pipeline`."""
    return model.estimator_ if isinstance(model, FoldedLabelClassifier) else model


def _linear_coefs(clf) -> np.ndarray | None:
    if hasattr(clf, "coef_"):
        return np.asarray(clf.coef_)
    if isinstance(clf, CalibratedClassifierCV):
        coefs = [np.asarray(c.estimator.coef_) for c in clf.calibrated_classifiers_ if hasattr(c.estimator, "coef_")]
        return np.mean(coefs, axis=0) if coefs else None
    return None


def feature_names(model) -> np.ndarray | None:
    """Names of the columns the classifier sees, or None for a baseline."""
    pipeline = inner_pipeline(model)
    if "features" not in pipeline.named_steps:
        return None
    names = pipeline.named_steps["features"].get_feature_names_out()
    if "select" in pipeline.named_steps:
        names = names[pipeline.named_steps["select"].get_support()]
    return names


def top_features(model, n: int = 20) -> dict[str, list[tuple[str, float]]]:
    """The most informative features per class.

    Linear models: the largest coefficients towards each class (binary: the
    positive class's top and the negative class's are the two ends of one
    coefficient vector). Tree ensemble: the chi-squared scores of the selected
    features (not per class), under "all". Baselines: empty.
    """
    pipeline = inner_pipeline(model)
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
            return {
                classes[1]: [(str(names[i]), float(w[i])) for i in pos],
                classes[0]: [(str(names[i]), float(-w[i])) for i in neg],
            }
        return {
            c: [(str(names[i]), float(coefs[k, i])) for i in np.argsort(-coefs[k])[:n]] for k, c in enumerate(classes)
        }
    if "select" in pipeline.named_steps:
        sel = pipeline.named_steps["select"]
        scores = np.nan_to_num(sel.scores_[sel.get_support()])
        return {"all": [(str(names[i]), float(scores[i])) for i in np.argsort(-scores)[:n]]}
    return {}


def explain(model, frame: pd.DataFrame, predictions: Sequence[str], k: int = 5) -> list[str]:
    """The k features that pushed each prediction most (linear models: value x coefficient; "" otherwise)."""
    pipe = inner_pipeline(model)
    names = feature_names(pipe)
    clf = pipe.steps[-1][1]
    coef = getattr(clf, "coef_", None)
    if coef is None or names is None:
        return [""] * len(frame)
    X = sp.csr_matrix(pipe[:-1].transform(frame))
    classes = list(getattr(clf, "classes_", []))
    if coef.shape[0] == 1:  # binary: coef points to classes[1]; flip it for rows predicted as classes[0]
        sign = np.where(np.asarray(predictions) == classes[1], 1.0, -1.0)
        contrib = sp.csr_matrix(X.multiply(coef[0]).multiply(sign[:, None]))
    else:
        rows = coef[[classes.index(p) for p in predictions]]
        contrib = sp.csr_matrix(X.multiply(rows))
    out = []
    for i in range(contrib.shape[0]):
        lo, hi = contrib.indptr[i], contrib.indptr[i + 1]
        idx, val = contrib.indices[lo:hi], contrib.data[lo:hi]
        top = np.argsort(-val)[:k]
        out.append("; ".join(f"{names[idx[j]]} ({val[j]:+.2f})" for j in top if val[j] > 0))
    return out
