"""The leaderboard: imrml's runs in MLflow, grouped by what they were measured on, best first.

Each MLflow experiment ``imrml/<target>_<view>`` gives one board per data set
and way of measuring: cross-validation on one training set (same data digest,
same folds), or held out on one test set (``train --test-data`` and
``imrml evaluate`` runs). Only numbers on one board are comparable. Within a
board, the newest run of each experiment file (or of each evaluated model
version) is ranked by the primary metric; baselines are marked, and so is the
registered champion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mlflow
from mlflow.exceptions import MlflowException

from ..learn.experiment import DEFAULT_PRIMARY, GUIDELINE_METRICS, LOWER_IS_BETTER, OUTCOME_METRICS
from .evaluation import TEST_PREFIX
from .registry import CHAMPION

EXPERIMENT_PREFIX = "imrml/"


@dataclass
class Entry:
    label: str  # the model kind, and the version for an evaluation
    baseline: bool
    champion: bool
    run_id: str
    metrics: dict[str, float]  # without prefix, intervals as "<metric>.ci_low" / ".ci_high"


@dataclass
class Board:
    experiment: str  # imrml/<target>_<view>
    experiment_id: str
    target: str
    how: str  # "cross-validation group_kfold n_splits=5 seed=0" or "held out"
    data_source: str
    data_digest: str
    n_items: int | None
    primary: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def metric_names(self) -> tuple[str, ...]:
        names = OUTCOME_METRICS if self.target == "outcome" else GUIDELINE_METRICS
        return (self.primary, *(n for n in names if n != self.primary and n != "ece"))

    def ranked(self) -> list[Entry]:
        lower = self.primary in LOWER_IS_BETTER

        def key(e: Entry) -> float:
            v = e.metrics.get(self.primary, math.nan)
            return math.inf if math.isnan(v) else (v if lower else -v)

        return sorted(self.entries, key=key)


def _unprefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    if not prefix:
        return {k: v for k, v in metrics.items() if not k.startswith((TEST_PREFIX, "fold"))}
    return {k[len(prefix) :]: v for k, v in metrics.items() if k.startswith(prefix)}


def _champion(client, registered: str) -> tuple[str | None, str | None]:
    """The champion's (version, training run id) of a registered model, or (None, None)."""
    try:
        mv = client.get_model_version_by_alias(registered, CHAMPION)
    except MlflowException:
        return None, None
    return str(mv.version), mv.run_id


def _boards_of(client, experiment) -> list[Board]:
    boards: dict[tuple[str, str], Board] = {}
    seen: set[tuple[str, str, str]] = set()
    champions: dict[str, tuple[str | None, str | None]] = {}
    for run in client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"]):
        tags, metrics = run.data.tags, run.data.metrics
        kind = tags.get("imrml.model_kind")
        if not kind or run.info.status != "FINISHED":
            continue
        registered = tags.get("imrml.registered_name") or tags.get("imrml.model_name") or ""
        if registered and registered not in champions:
            champions[registered] = _champion(client, registered)
        champ_version, champ_run = champions.get(registered, (None, None))
        target = tags.get("imrml.target", "outcome")
        baseline = tags.get("imrml.baseline") == "true"
        primary = tags.get("imrml.primary_metric") or DEFAULT_PRIMARY.get(target, "macro_f1")
        places = []
        if tags.get("imrml.run_kind") == "evaluation":
            version = tags.get("imrml.model_version", "")
            label = f"{kind} v{version}" if version else kind
            who = f"{registered}/{version}" if version else tags.get("imrml.model_uri", run.info.run_id)
            places.append(
                ("held out", tags.get("imrml.data_digest", ""), tags.get("imrml.data_source", "?"), TEST_PREFIX)
            )
            is_champion = bool(version) and version == champ_version
        else:
            label, who = kind, tags.get("imrml.experiment", run.info.run_id)
            if tags.get("imrml.cv") != "none":  # trained without cross-validation: only its test data's board
                how = f"cross-validation {tags.get('imrml.cv', '')}".strip()
                places.append((how, tags.get("imrml.data_digest", ""), tags.get("imrml.data_source", "?"), ""))
            if tags.get("imrml.test_data_digest"):
                places.append(
                    ("held out", tags["imrml.test_data_digest"], tags.get("imrml.test_data_source", "?"), TEST_PREFIX)
                )
            is_champion = run.info.run_id == champ_run
        for how, digest, source, prefix in places:
            if (how, digest, who) in seen:  # an older run of the same experiment (or version) on the same data
                continue
            seen.add((how, digest, who))
            if (how, digest) not in boards:
                boards[how, digest] = Board(
                    experiment.name, experiment.experiment_id, target, how, source, digest, None, primary
                )
            board = boards[how, digest]
            n = metrics.get(f"{prefix}n_items")
            if board.n_items is None and n is not None:
                board.n_items = int(n)
            board.entries.append(Entry(label, baseline, is_champion, run.info.run_id, _unprefixed(metrics, prefix)))
    return sorted(boards.values(), key=lambda b: b.how == "held out")  # cross-validation first


def leaderboards(name: str | None = None) -> list[Board]:
    """The boards of every imrml experiment, or of one (``outcome_case`` or ``imrml/outcome_case``)."""
    client = mlflow.MlflowClient()
    wanted = None if name is None else (name if name.startswith(EXPERIMENT_PREFIX) else EXPERIMENT_PREFIX + name)
    experiments = [
        e
        for e in client.search_experiments()
        if e.name.startswith(EXPERIMENT_PREFIX) and (wanted is None or e.name == wanted)
    ]
    return [b for e in sorted(experiments, key=lambda e: e.name) for b in _boards_of(client, e)]
