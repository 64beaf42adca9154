"""The promote job: move a registered model's champion alias when the candidate is better (``imrml promote``).

    imrml promote NAME [--version V] [--on DATA]

The candidate (the latest version, or ``--version``) is compared with the
champion only on numbers measured the same way on the same data
(:mod:`imrml.mlops.promotion`): with ``--on DATA``, both measured on that labelled
data (an earlier evaluation of a version on the same data is reused, else it is
evaluated now); without it, a held-out evaluation both share, else their
cross-validation when both were trained on the same data with the same folds.
When they share none, nothing is compared: a champion trained on generated
letters gives way to a candidate trained on letters (a number from generated
letters says nothing about real ones, so it must not block them); otherwise the
champion stays. The message says which and how to compare them. The move itself is compare-and-set: if
another promotion moved the champion meanwhile, the candidate is compared
with the new champion, so concurrent promotions end with the better version.
"""

from __future__ import annotations

import mlflow

from ..learn.dataset import labelled_rows
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..mlops.evaluation import items_dataset
from ..mlops.promotion import (
    HELD_OUT,
    Measurement,
    candidate_version,
    champion,
    common_measurement,
    data_origin_of,
    evaluation_runs,
    generated_gives_way,
    held_out_measurement,
    is_better,
    primary_metric,
    set_champion_if,
    version_measurements,
)
from ..mlops.tracking import configure_tracking
from ..records.errors import UserError
from .data import load_items
from .evaluate import evaluate

MAX_ATTEMPTS = 20  # champions moved by other promotions before this one gives up


class EvaluationSet:
    """``--on DATA``: the labelled items (letters parsed within the per-file ``limits``), their digest, and each
    version's measurement on them (evaluated once)."""

    def __init__(self, data: str, target: str, limits: Limits = DEFAULT_LIMITS):
        self.records, self.source = load_items(data, limits)
        frame, labels, _ = labelled_rows(self.records, target)
        if len(frame) == 0:
            raise UserError(f"{data}: no items with a {target} label to compare on")
        self.digest = items_dataset(frame, labels, self.source).digest
        self._cache: dict[str, Measurement] = {}

    def measurement(self, client, mv) -> Measurement:
        if str(mv.version) not in self._cache:
            if (mv.tags or {}).get("data_digest") == self.digest:
                raise UserError(
                    f"{self.source}: {mv.name} v{mv.version} was trained on these items, so its numbers on them are "
                    "in-sample; compare on labelled letters neither version was trained on"
                )
            runs = evaluation_runs(client, mv, self.digest)
            if runs:
                found = held_out_measurement(runs[0])
            else:
                res = evaluate(f"{mv.name}/{mv.version}", self.source, records=self.records)
                found = Measurement(HELD_OUT, res.data_digest, res.data_source, _as_columns(res), res.run_id)
            self._cache[str(mv.version)] = found
        return self._cache[str(mv.version)]


def _as_columns(res) -> dict[str, float]:
    out = dict(res.metrics)
    for name, ci in res.intervals.items():
        out[f"{name}.ci_low"], out[f"{name}.ci_high"] = ci.low, ci.high
    return out


def _value(m: Measurement, metric: str) -> str:
    ci = m.interval(metric)
    return f"{m.metrics[metric]:.4f}" + (f" [95% {ci[0]:.4f}, {ci[1]:.4f}]" if ci else "")


def _overlap_note(a: Measurement, b: Measurement, metric: str) -> str:
    ca, cb = a.interval(metric), b.interval(metric)
    if ca and cb and ca[0] <= cb[1] and cb[0] <= ca[1]:
        return "; the intervals overlap, so the difference may be chance"
    return ""


def _sources(ms: list[Measurement]) -> str:
    return "; ".join(m.describe() for m in ms) or "nothing"


def _over_generated(client, model: str, cand, champ) -> str:
    """Why a candidate of letters replaced a champion of generated letters with no number compared."""
    source = (cand.tags or {}).get("data_source", "?")
    return (
        f"promoted v{cand.version} over v{champ.version} of {model}: the champion v{champ.version} was trained on "
        f"{data_origin_of(champ)} letters (measured on {_sources(version_measurements(client, champ))}); "
        f"v{cand.version} was trained on {data_origin_of(cand)} ({source}). Nothing was compared: no numbers on "
        f"the same data, and a model of generated letters never blocks one of real letters. Measure v{cand.version} "
        f"on labelled letters it never saw: imrml evaluate {model}/{cand.version} DATA"
    )


def promote_model(
    model: str, version: str | None = None, on: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[bool, str]:
    """Make ``version`` (default: the latest) champion of ``model`` if it beats the champion on the same data.

    Letters in ``on`` are parsed within the per-file ``limits``. Returns (moved, message); the message says what
    was compared on which data, or why nothing was.
    """
    configure_tracking()
    client = mlflow.MlflowClient()
    cand = candidate_version(client, model, version)
    metric, greater = primary_metric(cand)
    evaluation_set = EvaluationSet(on, (cand.tags or {}).get("target", "outcome"), limits) if on else None
    for _ in range(MAX_ATTEMPTS):
        champ = champion(client, model)
        if champ is None:
            if set_champion_if(client, model, None, cand.version):
                return True, f"promoted v{cand.version} to champion of {model} (there was no champion)"
            continue
        if str(champ.version) == str(cand.version):
            return False, f"kept champion v{champ.version} of {model} (the candidate is the champion)"
        if evaluation_set is not None:
            pair = evaluation_set.measurement(client, cand), evaluation_set.measurement(client, champ)
        else:
            pair = common_measurement(version_measurements(client, cand), version_measurements(client, champ), metric)
        if pair is None and generated_gives_way(champ, cand):
            if set_champion_if(client, model, str(champ.version), cand.version):
                return True, _over_generated(client, model, cand, champ)
            continue  # another promotion moved the champion meanwhile
        if pair is None:
            return False, (
                f"not compared, champion v{champ.version} of {model} kept: candidate v{cand.version} was measured "
                f"on {_sources(version_measurements(client, cand))}, champion v{champ.version} on "
                f"{_sources(version_measurements(client, champ))}; no numbers on the same data. Compare both on "
                f"labelled letters neither was trained on: imrml promote {model} --version {cand.version} --on DATA"
            )
        mine, theirs = pair
        where = mine.describe()
        if not is_better(mine.metrics[metric], theirs.metrics[metric], greater):
            op = "<=" if greater else ">="
            return False, (
                f"kept champion v{champ.version} of {model}: candidate v{cand.version} {metric} "
                f"{_value(mine, metric)} {op} {_value(theirs, metric)}, {where}"
            )
        if set_champion_if(client, model, str(champ.version), cand.version):
            op = ">" if greater else "<"
            return True, (
                f"promoted v{cand.version} over v{champ.version} of {model}: {metric} {_value(mine, metric)} {op} "
                f"{_value(theirs, metric)}, {where}{_overlap_note(mine, theirs, metric)}"
            )
        # another promotion moved the champion after it was read: compare with the new one
    raise UserError(f"the champion of {model} changed {MAX_ATTEMPTS} times during this promotion; try again")


def promote_command(
    model: str, version: str | None = None, on: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> int:
    _, message = promote_model(model, version, on, limits)
    print(message)
    return 0
