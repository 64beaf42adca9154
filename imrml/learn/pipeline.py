"""One fitted object from a record frame to predictions, built from an experiment.

:func:`build_pipeline` assembles ``view -> prepare -> features -> classifier``
(baselines skip the features: they read the view's columns directly; precedents read
:data:`~imrml.learn.views.PRECEDENT_COLUMNS` into their own representation), wrapped
in :class:`~imrml.learn.estimators.FoldedLabelClassifier`. ``fit(frame, y)`` and
``predict_proba(frame)`` take frames of item records
(:func:`imrml.records.frame.records_to_frame`).
"""

from __future__ import annotations

from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_selection import chi2
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .estimators import (
    ClaimsCopyClassifier,
    FoldedLabelClassifier,
    KeywordRuleClassifier,
    MajorityClassifier,
    SelectUpToK,
    ToDense,
)
from .experiment import Experiment
from .features import build_features
from .precedents import PrecedentIndex
from .views import PRECEDENT_COLUMNS, ColumnSelector, reads_reviewer, view_head


def _class_weight(value: str) -> str | None:
    return None if value == "none" else value


def make_classifier(kind: str, params: Any, *, target: str, seed: int) -> list[tuple[str, Any]]:
    """The classifier step(s) for ``kind`` with its parameters (a MODEL_PARAMS dataclass), as (name, estimator)."""
    if kind == "logreg":
        return [
            (
                "clf",
                LogisticRegression(
                    C=params.C,
                    class_weight=_class_weight(params.class_weight),
                    tol=params.tol,
                    max_iter=params.max_iter,
                    random_state=seed,
                ),
            )
        ]
    if kind == "linear_svm_calibrated":
        svm = LinearSVC(
            C=params.C,
            class_weight=_class_weight(params.class_weight),
            tol=params.tol,
            max_iter=params.max_iter,
            random_state=seed,
        )
        return [("clf", CalibratedClassifierCV(svm, method=params.calibration, cv=params.calibration_folds))]
    if kind == "hist_gradient_boosting":
        return [
            ("select", SelectUpToK(chi2, k=params.max_dense_features)),
            ("dense", ToDense()),
            (
                "clf",
                HistGradientBoostingClassifier(
                    max_iter=params.max_iter,
                    learning_rate=params.learning_rate,
                    max_leaf_nodes=params.max_leaf_nodes,
                    class_weight=_class_weight(params.class_weight),
                    early_stopping=params.early_stopping,
                    random_state=seed,
                ),
            ),
        ]
    if kind == "majority":
        return [("clf", MajorityClassifier())]
    if kind == "keyword_rule":
        return [("clf", KeywordRuleClassifier(confidence=params.confidence))]
    if kind == "precedents":
        return [
            (
                "clf",
                PrecedentIndex(
                    n_neighbors=params.n_neighbors,
                    same_class=params.same_class,
                    n_components=params.n_components,
                    summary_weight=params.summary_weight,
                    item_weight=params.item_weight,
                    request_weight=params.request_weight,
                    claims_weight=params.claims_weight,
                    min_df=params.min_df,
                    random_state=seed,
                ),
            )
        ]
    if kind == "claims_copy":
        column = "claims_guideline_topic" if target == "guideline_topic" else "claims_guideline_family"
        return [("clf", ClaimsCopyClassifier(column=column, confidence=params.confidence))]
    raise ValueError(f"unknown model kind {kind!r}")


def build_pipeline(exp: Experiment) -> FoldedLabelClassifier:
    """The experiment's unfitted model: its view, features (unless a baseline) and classifier.

    It learns the labels it is given (rare ones are folded by :func:`~imrml.learn.dataset.prepare_dataset`).
    """
    head = view_head(exp.view, exp.features.text_columns)
    clf = make_classifier(exp.model.kind, exp.model.params, target=exp.target, seed=exp.split.seed)
    if exp.model.kind == "precedents":  # its own representation of its own columns
        steps = [("view", ColumnSelector(PRECEDENT_COLUMNS)), *clf]
    elif exp.is_baseline:
        steps = [head[0], *clf]
    else:
        steps = [
            *head,
            ("features", build_features(**exp.features.build_kwargs(), reviewer=reads_reviewer(exp.view))),
            *clf,
        ]
    return FoldedLabelClassifier(Pipeline(steps))
