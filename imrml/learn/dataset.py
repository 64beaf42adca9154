"""The items a target can learn from, their labels, and splits that keep each letter on one side.

:func:`prepare_dataset` keeps the usable rows (outcome: Upheld or Overturned;
guideline targets: labelled items) and folds rare guideline labels into
"other-rare", chosen once on the whole data set. :func:`make_splits` groups by
letter (``case_id``): stratified group k-fold, by date (the latest letters
are the test set), or leave one letter out.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold

from ..records.errors import UserError
from ..records.frame import records_to_frame
from ..records.schema import OVERTURNED, UPHELD
from .estimators import RARE
from .experiment import SplitConfig

log = logging.getLogger(__name__)


@dataclass
class Dataset:
    frame: pd.DataFrame  # one row per usable item
    y: np.ndarray  # the target, as strings
    classes: list[str]  # sorted; for outcome ["Overturned", "Upheld"]
    source: str  # where it came from
    info: dict[str, Any] = field(default_factory=dict)  # counts: excluded, folded, labels
    stated: np.ndarray | None = None  # the labels as the letters state them, before rare ones were folded

    @property
    def groups(self) -> np.ndarray:
        return letter_groups(self.frame)


def letter_groups(frame: pd.DataFrame) -> np.ndarray:
    """Each row's letter (case id, else source file, else the row itself)."""
    for col in ("case_id", "source_file"):
        if col in frame and frame[col].notna().all():
            return frame[col].astype(str).to_numpy()
    return np.arange(len(frame)).astype(str)


def target_labels(frame: pd.DataFrame, target: str) -> pd.Series:
    """The target's label of every row (None where it has none)."""
    column = "decision" if target == "outcome" else target
    if column not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    labels = frame[column]
    if target == "outcome":
        return labels.where(labels.isin([UPHELD, OVERTURNED]), None)
    return labels.where(labels.notna() & (labels.astype(str) != ""), None)


def labelled_rows(records, target: str) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The rows ``target`` can be measured on (outcome: Upheld or Overturned; guideline targets: labelled), their
    labels as stated (no folding), and how many rows were left out."""
    frame = records_to_frame(records)
    labels = target_labels(frame, target)
    keep = labels.notna().to_numpy()
    return frame[keep].reset_index(drop=True), labels[keep].astype(str).to_numpy(), int((~keep).sum())


def rare_labels(y, min_count: int) -> list[str]:
    """The labels of ``y`` seen fewer than ``min_count`` times, when folding them leaves a real choice.

    Nothing folds when only one label is rare in a two-class target (folding it would just rename it).
    """
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    rare = [c for c, n in zip(labels.tolist(), counts, strict=True) if n < min_count]
    return rare if len(rare) > 1 or (rare and len(labels) > 2) else []


def prepare_dataset(records, target: str, min_class_count: int = 5, source: str = "") -> Dataset:
    """Usable rows and their target: outcome keeps Upheld/Overturned; guideline targets fold rare labels.

    The one place labels fold: the rare ones are chosen here, once, on the whole data set; a model fitted on
    them maps labels it never saw to "other-rare" itself (``FoldedLabelClassifier.fold_labels``).
    """
    frame, y, n_excluded = labelled_rows(records, target)
    info: dict[str, Any] = {"n_input_items": len(frame) + n_excluded}
    info["excluded_other_decision" if target == "outcome" else "excluded_unlabelled"] = n_excluded
    stated = y
    if target != "outcome":
        rare = rare_labels(y, min_class_count)
        counts = Counter(y)
        y = np.where(np.isin(y, rare), RARE, y)
        info["folded_rare_classes"] = rare
        info["folded_rare_items"] = int(sum(counts[c] for c in rare))
    if len(frame) == 0:
        raise UserError(f"no usable items for target {target!r} in {source or 'the data'}")
    classes = sorted(set(y))
    if len(classes) < 2:
        raise UserError(f"target {target!r} has one class only ({classes[0]!r}) in {source or 'the data'}")
    info["n_items"] = len(frame)
    info["n_letters"] = int(pd.Series(letter_groups(frame)).nunique())
    info["label_counts"] = dict(sorted(Counter(y).items(), key=lambda kv: (-kv[1], kv[0])))
    return Dataset(frame=frame, y=y, classes=classes, source=source, info=info, stated=stated)


def make_splits(ds: Dataset, split: SplitConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs, grouped by letter."""
    groups = ds.groups
    if split.kind == "by_date":
        dates = pd.to_datetime(ds.frame.get("decision_date"), errors="coerce")
        if dates.isna().all():
            raise UserError("split.kind = 'by_date' needs decision dates, and the data has none")
        letter_date = pd.Series(dates.to_numpy(), index=groups).groupby(level=0).min().dropna().sort_values()
        n_test = max(1, math.ceil(split.test_fraction * len(letter_date)))
        cutoff = letter_date.iloc[len(letter_date) - n_test]
        test = (dates >= cutoff).to_numpy()  # items without a date stay in training
        train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
        if len(train_idx) == 0 or len(test_idx) == 0:
            raise UserError("split by date left one side empty")
        ds.info["date_cutoff"] = str(cutoff.date())
        return [(train_idx, test_idx)]
    n_groups = len(set(groups))
    if split.kind == "leave_one_letter_out":  # each letter is tested by a model that never saw it
        if n_groups < 2:
            raise UserError(f"only {n_groups} letter(s): cannot split")
        return list(LeaveOneGroupOut().split(ds.frame, ds.y, groups))
    k = min(split.n_splits, n_groups)
    if k < 2:
        raise UserError(f"only {n_groups} letter(s): cannot split")
    if k < split.n_splits:
        log.warning("split.n_splits = %d but the data has %d letters: running %d folds", split.n_splits, n_groups, k)
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=split.seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*least populated class.*")
        return list(cv.split(ds.frame, ds.y, groups))
