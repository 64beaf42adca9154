"""Which registered version is champion: what each version was measured on, and moving the alias safely.

A version's measurements, each a primary metric on one data set (``data_digest``
of ``mlflow.data``) measured one way:

- ``cross-validation``: the pooled out-of-fold metrics of its training run
  (version tags ``metric.*``, ``data_digest``, ``cv``);
- ``held out``: the model measured on data it was not trained on, by
  ``imrml train --test-data`` (tags ``test.metric.*``, ``test_data_digest``)
  or by ``imrml evaluate`` (evaluation runs tagged with the model and version).

Two versions are compared only on numbers measured the same way on the same
data (:func:`common_measurement`); otherwise nothing is compared. What a version
was trained on is its tag ``data_origin`` (``generated`` or ``letters``;
:func:`data_origin_of`): with nothing to compare, a champion of generated letters
gives way to a candidate of real letters (:func:`generated_gives_way`).

Moving the alias is compare-and-set (:func:`set_champion_if`): under a lock per
registered model, the alias moves only if the champion is still the one the
caller compared against, so concurrent promotions end with the better version
whatever their order, and each caller learns whether its move happened. The
lock is a file (``filelock``) beside a local sqlite store, or in the project
folder for a tracking server: it serializes promotions from one machine.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from mlflow.exceptions import MlflowException

from ..records.errors import UserError
from ..synth.corpus import GENERATED, LETTERS
from .evaluation import TEST_PREFIX
from .registry import CHAMPION
from .tracking import lock_dir

LOCK_TIMEOUT_SECONDS = 120
CV = "cross-validation"
HELD_OUT = "held out"


@dataclass(frozen=True)
class Measurement:
    """The metrics of one version measured one way (``how``) on one data set."""

    how: str  # CV ("cross-validation group_kfold n_splits=5 seed=0") or HELD_OUT
    data_digest: str
    data_source: str
    metrics: dict[str, float] = field(default_factory=dict, hash=False)
    run_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.how, self.data_digest

    def interval(self, metric: str) -> tuple[float, float] | None:
        low, high = self.metrics.get(f"{metric}.ci_low"), self.metrics.get(f"{metric}.ci_high")
        return None if low is None or high is None else (low, high)

    def describe(self) -> str:
        return f"{self.how} on {self.data_source} (data digest {self.data_digest})"


def _float(text: str | None) -> float:
    try:
        return float(text) if text is not None else math.nan
    except ValueError:
        return math.nan


def _prefixed(mapping: dict, prefix: str) -> dict[str, float]:
    return {k[len(prefix) :]: _float(str(v)) for k, v in mapping.items() if k.startswith(prefix)}


def evaluation_runs(client, mv, data_digest: str | None = None) -> list:
    """The evaluation runs of version ``mv`` (on ``data_digest`` if given), newest first."""
    try:
        experiment_id = client.get_run(mv.run_id).info.experiment_id
    except (MlflowException, TypeError):
        return []
    query = (
        f"tags.`imrml.run_kind` = 'evaluation' and tags.`imrml.model_name` = '{mv.name}' "
        f"and tags.`imrml.model_version` = '{mv.version}'"
    )
    if data_digest:
        query += f" and tags.`imrml.data_digest` = '{data_digest}'"
    return client.search_runs([experiment_id], filter_string=query, order_by=["attributes.start_time DESC"])


def held_out_measurement(run) -> Measurement:
    """An evaluation run as a measurement (its ``test.*`` metrics)."""
    tags = run.data.tags
    return Measurement(
        HELD_OUT,
        tags.get("imrml.data_digest", ""),
        tags.get("imrml.data_source", "?"),
        _prefixed(run.data.metrics, TEST_PREFIX),
        run.info.run_id,
    )


def version_measurements(client, mv) -> list[Measurement]:
    """Everything ``mv`` was measured on: held-out measurements first (newest first), then its cross-validation."""
    tags = mv.tags or {}
    out = [held_out_measurement(r) for r in evaluation_runs(client, mv)]
    if tags.get("test_data_digest"):
        out.append(
            Measurement(
                HELD_OUT,
                tags["test_data_digest"],
                tags.get("test_data_source", "?"),
                _prefixed(tags, f"{TEST_PREFIX}metric."),
                tags.get("source_run_id"),
            )
        )
    if tags.get("data_digest") and tags.get("cv") != "none":  # "none": its metric.* tags are its test data's
        how = f"{CV} {tags.get('cv') or tags.get('split', '')}".strip()
        out.append(
            Measurement(how, tags["data_digest"], tags.get("data_source", "?"), _prefixed(tags, "metric."), mv.run_id)
        )
    return out


def common_measurement(
    candidate: list[Measurement], champion: list[Measurement], metric: str
) -> tuple[Measurement, Measurement] | None:
    """The first measurement of the candidate (held out before cross-validation) that the champion has too,
    measured the same way on the same data, with ``metric`` in both; None when they share none."""
    by_key = {}
    for m in champion:
        by_key.setdefault(m.key, m)
    for m in candidate:
        other = by_key.get(m.key)
        if other is not None and metric in m.metrics and metric in other.metrics:
            return m, other
    return None


def data_origin_of(mv) -> str:
    """Where version ``mv`` was trained: its ``data_origin`` tag; a version registered before the tag existed
    counts as trained on letters (so it is never displaced without a comparison)."""
    return (mv.tags or {}).get("data_origin") or LETTERS


def generated_gives_way(champion_mv, candidate_mv) -> bool:
    """Whether the champion, trained on generated letters, gives way to a candidate trained on letters when the
    two share no measurement: numbers from generated letters say nothing about real ones."""
    return data_origin_of(champion_mv) == GENERATED and data_origin_of(candidate_mv) == LETTERS


def is_better(value: float, than: float, greater_is_better: bool) -> bool:
    """Strictly better (a tie keeps the champion); a number beats a missing one."""
    if math.isnan(than):
        return not math.isnan(value)
    if math.isnan(value):
        return False
    return value > than if greater_is_better else value < than


def primary_metric(mv) -> tuple[str, bool]:
    """The primary metric a version was registered with, and whether greater is better."""
    tags = mv.tags or {}
    name = tags.get("primary_metric")
    if name is None:
        raise UserError(f"{mv.name} v{mv.version} has no primary_metric tag: was it registered by 'imrml train'?")
    return name, tags.get("greater_is_better", "true") == "true"


def candidate_version(client, model: str, version: str | None = None):
    """The version to promote: ``version``, or the latest."""
    versions = client.search_model_versions(f"name='{model}'")
    if not versions:
        raise UserError(f"no registered model named {model!r} (train one with 'imrml train')")
    if version is None:
        return max(versions, key=lambda v: int(v.version))
    found = [v for v in versions if str(v.version) == str(version)]
    if not found:
        raise UserError(f"{model} has no version {version} (it has {sorted(int(v.version) for v in versions)})")
    return found[0]


def champion(client, model: str):
    """The champion's ModelVersion, or None when there is none."""
    try:
        return client.get_model_version_by_alias(model, CHAMPION)
    except MlflowException:
        return None


def promotion_lock(model: str) -> FileLock:
    """The lock every promotion of ``model`` takes to compare-and-set its champion."""
    folder = Path(lock_dir())
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / f"promote-{re.sub(r'[^A-Za-z0-9_.-]+', '_', model)}.lock"))


def set_champion_if(client, model: str, expected: str | None, candidate: str) -> bool:
    """Move ``champion`` to ``candidate`` only if the champion is still ``expected`` (None: there is none).

    Returns whether it moved. Under the model's lock, so no two promotions read
    and write the alias at once.
    """
    lock = promotion_lock(model)
    try:
        with lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
            current = champion(client, model)
            if (None if current is None else str(current.version)) != expected:
                return False
            client.set_registered_model_alias(model, CHAMPION, str(candidate))
            return True
    except Timeout:
        raise UserError(
            f"{lock.lock_file}: another promotion of {model} has held this lock for {LOCK_TIMEOUT_SECONDS} s"
        ) from None
