"""Metrics from labels and probabilities, computed as their definitions say."""

from __future__ import annotations

import numpy as np
import pytest

from imrml.learn.metrics import aligned_proba, compute_metrics, expected_calibration_error


def test_outcome_metrics_of_a_perfect_and_an_inverted_model():
    y = np.array(["Upheld", "Upheld", "Overturned", "Upheld"])
    classes = ["Overturned", "Upheld"]
    perfect = np.array([[0.0, 1.0], [0.1, 0.9], [0.9, 0.1], [0.2, 0.8]])
    m = compute_metrics("outcome", y, perfect, classes)
    assert (m["roc_auc"], m["pr_auc"], m["balanced_accuracy"], m["recall_overturned"]) == (1.0, 1.0, 1.0, 1.0)
    assert m["brier"] == pytest.approx(np.mean([0.0, 0.01, 0.01, 0.04]))
    inverted = compute_metrics("outcome", y, perfect[:, ::-1], classes)
    assert inverted["roc_auc"] == 0.0 and inverted["recall_overturned"] == 0.0


def test_roc_auc_is_left_out_when_one_class_is_absent():
    m = compute_metrics(
        "outcome", np.array(["Upheld", "Upheld"]), np.array([[0.2, 0.8], [0.3, 0.7]]), ["Overturned", "Upheld"]
    )
    assert "roc_auc" not in m and "pr_auc" not in m


def test_guideline_metrics_top3():
    y = np.array(["a", "b", "c", "d"])
    proba = np.array([[0.7, 0.1, 0.1, 0.1], [0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1]])
    m = compute_metrics("guideline_family", y, proba, ["a", "b", "c", "d"])
    assert m["accuracy"] == 0.25 and m["top3_accuracy"] == 0.75


def test_calibration_error_of_calibrated_and_overconfident_predictions():
    y = np.array([1, 0] * 50)
    assert expected_calibration_error(y, np.full(100, 0.5)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(100, 0.95)) == pytest.approx(0.45)


def test_aligned_proba_puts_columns_in_the_given_order_and_zero_for_missing_classes():
    class Model:
        classes_ = np.array(["b", "a"])

        def predict_proba(self, X):
            return np.array([[0.25, 0.75]] * len(X))

    out = aligned_proba(Model(), [0, 1], ["a", "b", "c"])
    assert out.tolist() == [[0.75, 0.25, 0.0]] * 2
