"""Views: the only place that says which record columns a model may read.

- ``case``: only what exists when the IMR application is filed: the case
  summary, the item as requested, the claims administrator's guideline and its
  labels, the patient's age and sex, the priority and the dates that give the
  time from injury to UR. No reviewer field (the IMR organization assigns the
  reviewer after the application is filed), never the rationale, the decision
  or the reviewer's guideline.
- ``case_assigned``: the case plus the reviewer's specialties and licensure,
  for a dispute that already has its reviewer.
- ``rationale``: the assigned case plus the reviewer's rationale, for the
  question "across letters, what was decided and why".

A view is the head of every pipeline (:func:`view_head`): :class:`ColumnSelector`
keeps exactly the view's columns, so whatever else the input holds never
reaches a feature; :class:`PrepareColumns` derives the columns the features read.
The model's input schema, the columns a scored table must have, and the
fields a view must never read are all defined here.

Both steps read a frame by column name; a table without names (an array) has
its columns numbered, as pandas numbers them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import is_dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_string_dtype
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ..records.frame import CITATION_FIELDS, TEXT_FIELDS, records_to_frame
from ..records.schema import LIST_FIELDS
from .experiment import VIEWS

# Fields that exist only after the reviewer decided: a pre-review view never reads any of them.
POST_DECISION_FIELDS: tuple[str, ...] = (
    "decision",
    "rationale",
    "reviewer_guideline",
    "reviewer_guideline_text",
    "decision_date",
    "guideline_family",
    "guideline_topic",
)

CASE_COLUMNS: tuple[str, ...] = (
    "case_summary",
    "item",
    "original_request",
    "claims_guideline_text",
    "claims_guideline_sources",
    "claims_guideline_family",
    "claims_guideline_topic",
    "patient_age",
    "patient_sex",
    "priority",
    "date_of_injury",
    "ur_denial_date",
)
# Known once the IMR organization has assigned the reviewer, after the application is filed.
REVIEWER_COLUMNS: tuple[str, ...] = ("reviewer_specialties", "reviewer_licensure")
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "case": CASE_COLUMNS,
    "case_assigned": CASE_COLUMNS + REVIEWER_COLUMNS,
    # the reviewer's rationale; never the decision, the reviewer's guideline or the labels made from it
    "rationale": CASE_COLUMNS + REVIEWER_COLUMNS + ("rationale",),
}
# What precedents compare (imrml.learn.precedents): the case facts, the request as written and read into
# fields, the claims administrator's guideline. Like the case view, nothing the reviewer wrote.
PRECEDENT_COLUMNS: tuple[str, ...] = (
    "case_summary",
    "item",
    "request_kind",
    "drug_generic",
    "drug_class",
    "service_type",
    "body_parts",
    "claims_guideline_text",
    "claims_guideline_family",
    "claims_guideline_topic",
)
# The text each view's word n-grams read, by default.
DEFAULT_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "case": ("case_summary", "item", "original_request", "claims_guideline_text"),
    "case_assigned": ("case_summary", "item", "original_request", "claims_guideline_text"),
    "rationale": ("rationale", "item", "original_request"),
}
NUMERIC_COLUMNS = ("patient_age",)
# Columns whose record form is not a string: the age, and the reviewer's specialties and licensure (lists).
NON_STRING_COLUMNS = (*NUMERIC_COLUMNS, *REVIEWER_COLUMNS)
# Text a model reads that a table must carry: without it the model would score empty text.
REQUIRED_TEXT_COLUMNS = ("item", "case_summary", "claims_guideline_text", "rationale")


def view_columns(view: str) -> tuple[str, ...]:
    """The columns ``view`` may read."""
    if view not in VIEW_COLUMNS:
        raise ValueError(f"unknown view {view!r}: expected one of {', '.join(VIEWS)}")
    return VIEW_COLUMNS[view]


def reads_reviewer(view: str) -> bool:
    """Whether ``view`` reads the reviewer's specialties and licensure."""
    return set(REVIEWER_COLUMNS) <= set(view_columns(view))


def required_columns(view: str) -> tuple[str, ...]:
    """The columns of ``view`` that an input table must have."""
    return tuple(c for c in view_columns(view) if c in REQUIRED_TEXT_COLUMNS)


def days_between(start: Any, end: Any) -> float:
    """Days from ISO date ``start`` to ``end``, NaN when either is missing or bad."""
    try:
        return float((date.fromisoformat(str(end)[:10]) - date.fromisoformat(str(start)[:10])).days)
    except (TypeError, ValueError):
        return float("nan")


def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def as_texts(X) -> list[str]:
    """One text column (a frame's first column, a Series or an array) as a list of str, "" for missing."""
    if isinstance(X, pd.DataFrame):
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        return X.fillna("").astype(str).tolist()
    return ["" if _is_missing(x) else str(x) for x in np.asarray(X).ravel()]


def is_flat_frame(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` already is what :func:`~imrml.records.frame.records_to_frame` makes of records: no
    citation list, list fields and texts as strings with none missing, the age as floats.

    Told by its columns and their types, not by the mark ``records_to_frame`` leaves in ``frame.attrs``: MLflow's
    schema enforcement hands a pyfunc model a new frame without it.
    """
    if any(col in frame.columns for col in CITATION_FIELDS):
        return False
    for col in (*TEXT_FIELDS, *LIST_FIELDS):
        if col in frame.columns and not (is_string_dtype(frame[col]) and frame[col].notna().all()):
            return False
    return "patient_age" not in frame.columns or frame["patient_age"].dtype == np.float64


def record_frame(records) -> pd.DataFrame:
    """Records (ItemRecords, dicts or a frame of them) as the flat frame models read, converted only when they
    are not one yet (:func:`is_flat_frame`), so a chunk scored through MLflow is converted once."""
    if isinstance(records, pd.DataFrame) and is_flat_frame(records):
        return records
    return records_to_frame(records)


def _is_records(X) -> bool:
    """Whether ``X`` is a list of item records (ItemRecords or dicts)."""
    first = X[0] if isinstance(X, (list, tuple)) and len(X) else None
    return isinstance(first, dict) or is_dataclass(first)


def named_table(X) -> pd.DataFrame:
    """``X`` as a frame: a frame as it is; any other table checked (2-D, not empty, no complex numbers) and its
    columns numbered."""
    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(check_array(X, dtype=None, ensure_all_finite=False))


class ColumnSelector(TransformerMixin, BaseEstimator):
    """Keep exactly ``columns`` of a record frame, adding missing ones as empty.

    This is the view: anything else in the input (the rationale for the case
    view, the decision, the reviewer's guideline, the labels) is dropped here,
    before any feature sees the row. Records or a frame of them are flattened
    first (:func:`record_frame`).

    It reads its columns by name from a frame of any width (a case before
    review has fewer columns than the training frame, a full record more), so
    it keeps no ``n_features_in_``: the columns it outputs are fixed
    (:meth:`get_feature_names_out`), the columns it reads are not.
    """

    def __init__(self, columns: Sequence[str] = CASE_COLUMNS):
        self.columns = columns

    def fit(self, X, y=None):
        frame = self._frame(X)
        if len(frame) == 0:
            raise ValueError("ColumnSelector needs at least one row to fit on")
        if not set(self.columns) & set(frame.columns):
            raise ValueError(f"none of the columns {list(self.columns)} is in X (its columns: {list(frame.columns)})")
        self.columns_ = list(self.columns)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = self._frame(X)
        out = {}
        for col in self.columns_:
            if col in X.columns:
                out[col] = X[col].to_numpy()
            elif col in NUMERIC_COLUMNS:
                out[col] = np.full(len(X), np.nan)
            else:
                out[col] = np.full(len(X), "", dtype=object)
        return pd.DataFrame(out, index=range(len(X)))

    @staticmethod
    def _frame(X) -> pd.DataFrame:
        return record_frame(X) if isinstance(X, pd.DataFrame) or _is_records(X) else named_table(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return np.asarray([str(c) for c in self.columns_], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # record frames are mostly text
        tags.input_tags.allow_nan = True  # a missing value is passed on: the features that read a column fill it
        tags.transformer_tags.preserves_dtype = []  # a frame out: each column keeps its own type
        return tags


# Columns PrepareColumns reads into derived ones and does not pass on.
_DERIVED_FROM = ("item", "original_request", "date_of_injury", "ur_denial_date")


class PrepareColumns(TransformerMixin, BaseEstimator):
    """Derive the columns the features read from the view's columns.

    ``text`` joins ``text_columns``; ``item_text`` is the item as requested
    (and the original request); ``rationale`` (rationale view) the rationale
    alone; ``days_injury_to_ur`` is the time from injury to the UR denial;
    categorical columns get "" for missing. It reads the frame
    :class:`ColumnSelector` makes: always the same columns, checked against
    those it was fitted on (``n_features_in_``, ``feature_names_in_``).
    """

    def __init__(self, text_columns: Sequence[str] = DEFAULT_TEXT_COLUMNS["case"]):
        self.text_columns = text_columns

    def fit(self, X, y=None):
        X = named_table(X)
        validate_data(self, X, skip_check_array=True)
        missing = [c for c in self.text_columns if c not in X.columns]
        if missing:
            raise ValueError(f"text columns {missing} are not in the view's columns {list(X.columns)}")
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = named_table(X)
        validate_data(self, X, reset=False, skip_check_array=True)
        out = pd.DataFrame(index=X.index)
        parts = [X[c].fillna("").astype(str) for c in self.text_columns]
        out["text"] = parts[0].str.cat(parts[1:], sep="\n") if len(parts) > 1 else parts[0]
        item = X["item"].fillna("").astype(str) if "item" in X else pd.Series("", index=X.index)
        orig = X["original_request"].fillna("").astype(str) if "original_request" in X else ""
        out["item_text"] = item.str.cat(orig, sep=" ") if isinstance(orig, pd.Series) else item
        for col in self._kept(X.columns):
            if col in NUMERIC_COLUMNS:
                out[col] = pd.to_numeric(X[col], errors="coerce").astype(float)
            else:
                out[col] = ["" if _is_missing(v) else str(v) for v in X[col]]
        if "rationale" in X:  # the rationale alone, for the guideline-mention features
            out["rationale"] = X["rationale"].fillna("").astype(str)
        if "date_of_injury" in X and "ur_denial_date" in X:
            out["days_injury_to_ur"] = [
                days_between(a, b) for a, b in zip(X["date_of_injury"], X["ur_denial_date"], strict=True)
            ]
        return out

    def _kept(self, columns) -> list:
        """The input columns passed on as they are (as text; the age as numbers)."""
        return [c for c in columns if c not in self.text_columns and c not in _DERIVED_FROM]

    def get_feature_names_out(self, input_features=None):
        """The columns :meth:`transform` makes from ``input_features`` (default: the columns it was fitted on)."""
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", range(self.n_features_in_))
        columns = list(input_features)
        names = ["text", "item_text", *self._kept(columns)]
        if "rationale" in columns and "rationale" not in names:
            names.append("rationale")
        if "date_of_injury" in columns and "ur_denial_date" in columns:
            names.append("days_injury_to_ur")
        return np.asarray([str(n) for n in names], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # the view's columns are mostly text
        tags.input_tags.allow_nan = True  # a missing text becomes "", a missing age stays NaN for the imputer
        tags.transformer_tags.preserves_dtype = []  # a frame of text and numbers out
        return tags


def view_head(view: str, text_columns: Sequence[str] | None = None) -> list[tuple[str, Any]]:
    """The first two pipeline steps of a view: select its columns, derive the feature columns."""
    cols = view_columns(view)
    text_columns = tuple(text_columns) if text_columns else DEFAULT_TEXT_COLUMNS[view]
    bad = [c for c in text_columns if c not in cols]
    if bad:
        raise ValueError(f"text columns {bad} are not in the {view} view (its columns: {list(cols)})")
    return [("view", ColumnSelector(cols)), ("prepare", PrepareColumns(text_columns))]
