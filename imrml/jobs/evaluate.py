"""The evaluate job: a trained model measured on labelled letters it never saw (``imrml evaluate MODEL DATA``).

MODEL is a registered model (``outcome_case``: its champion; ``outcome_case@alias``,
``outcome_case/3``), a run id, or a model URI. DATA is letters, an items table, a
folder of letters or a corpus folder (``imrml parse --corpus``). The model's own
``fold_labels`` maps labels it never saw to its classes; the metrics get 95%
bootstrap intervals resampling letters; the result is an evaluation run in the
model's MLflow experiment, linked to the
model (tags ``imrml.model_name``, ``imrml.model_version``, ``imrml.source_run_id``
and MLflow's model id) and to the data set (``mlflow.data``, context
"evaluation"), and a table printed in the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mlflow

from ..learn.dataset import labelled_rows
from ..learn.evaluation import HeldOutResult, evaluate_fitted
from ..learn.experiment import DEFAULT_PRIMARY, LOWER_IS_BETTER
from ..learn.intervals import DEFAULT_RESAMPLES
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..mlops.evaluation import items_dataset, log_held_out
from ..mlops.registry import LoadedModel, load_model, resolve_model_uri
from ..mlops.tracking import configure_tracking, ensure_experiment
from ..records.errors import UserError, redact
from .data import load_items


@dataclass
class EvaluationResult:
    run_id: str
    model_uri: str
    name: str | None
    version: str | None
    model_kind: str
    target: str
    view: str
    data_source: str
    data_digest: str
    primary_metric: str
    held_out: HeldOutResult
    excluded: int  # items of the data with no label for the target

    @property
    def metrics(self) -> dict[str, float]:
        return self.held_out.metrics

    @property
    def intervals(self):
        return self.held_out.intervals

    @property
    def model_label(self) -> str:
        return f"{self.name} v{self.version}" if self.name else self.model_uri


def _source_run(loaded: LoadedModel):
    """The training run the model was logged in (None when the store has no such run)."""
    if not loaded.run_id:
        return None
    try:
        return mlflow.MlflowClient().get_run(loaded.run_id)
    except mlflow.exceptions.MlflowException:
        return None


def evaluate(
    model: str,
    data: str,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    records=None,
    limits: Limits = DEFAULT_LIMITS,
) -> EvaluationResult:
    """Measure ``model`` on the labelled items of ``data`` (or ``records``) and log an evaluation run; letters
    in ``data`` are parsed within the per-file ``limits``."""
    configure_tracking()
    uri = resolve_model_uri(model)
    if not uri.startswith(("models:/", "runs:/")):
        raise UserError(
            f"{redact(model)}: not a registered model, run id, models:/ or runs:/ URI; loading a model runs its "
            "code, so evaluate loads models from the tracking store only"
        )
    loaded = load_model(uri)
    wrapper = loaded.item_model
    if wrapper is None:
        raise UserError(f"{uri}: not an imrml model (it has no target or classes to measure against)")
    if records is None:
        records, source = load_items(data, limits)
    else:
        source = data
    frame, labels, excluded = labelled_rows(records, wrapper.target)
    if len(frame) == 0:
        raise UserError(f"{source}: no items with a {wrapper.target} label to evaluate on")
    held_out = evaluate_fitted(wrapper.fitted, frame, labels, wrapper.target, n_resamples=n_resamples, seed=seed)

    train_run = _source_run(loaded)  # its tags say the model's kind and primary metric
    tags = train_run.data.tags if train_run else {}
    kind = tags.get("imrml.model_kind", "model")
    primary = tags.get("imrml.primary_metric", DEFAULT_PRIMARY[wrapper.target])
    # the experiment its training runs are in
    experiment_id = ensure_experiment(f"imrml/{wrapper.target}_{wrapper.view}", wrapper.target)
    data_name = Path(source).name or source
    version = f" v{loaded.version}" if loaded.version else ""
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{kind}{version} on {data_name}") as run:
        dataset = items_dataset(frame, labels, source)
        mlflow.set_tags(
            {
                "imrml.run_kind": "evaluation",
                "imrml.model_uri": uri,
                "imrml.model_name": loaded.name or "",
                "imrml.model_version": loaded.version or "",
                "imrml.source_run_id": loaded.run_id or "",
                "imrml.model_kind": kind,
                "imrml.baseline": tags.get("imrml.baseline", "false"),
                "imrml.view": wrapper.view,
                "imrml.target": wrapper.target,
                "imrml.primary_metric": primary,
                "imrml.data_source": source,
                "imrml.data_digest": dataset.digest,
                "mlflow.note.content": f"{loaded.name or uri}{version} measured on {source}",
            }
        )
        mlflow.log_params(
            {"data.source": source, "data.excluded_unlabelled": excluded, "bootstrap.resamples": n_resamples}
        )
        log_held_out(
            held_out,
            dataset,
            frame,
            target=wrapper.target,
            title=f"{loaded.name or kind}{version}",
            model_kind=kind,
            text_column="rationale" if wrapper.view == "rationale" else "case_summary",
            model_id=getattr(loaded.pyfunc.metadata, "model_id", None),
        )
    return EvaluationResult(
        run.info.run_id,
        uri,
        loaded.name,
        loaded.version,
        kind,
        wrapper.target,
        wrapper.view,
        source,
        dataset.digest,
        primary,
        held_out,
        excluded,
    )


def evaluation_table(res: EvaluationResult) -> str:
    """What ``imrml evaluate`` prints: what was measured on what, one metric a line with its 95% interval."""
    h = res.held_out
    lines = [
        f"{res.model_label} ({res.target}, {res.view} view, {res.model_kind}) on {res.data_source}: "
        f"{h.n_items} items from {h.n_letters} letters"
        + (f" ({res.excluded} without a {res.target} label left out)" if res.excluded else ""),
        f"  {'metric':<20} {'value':>7}   95% interval (resampling letters)",
    ]
    for name, value in res.metrics.items():
        ci = res.intervals.get(name)
        mark = "  <- primary" if name == res.primary_metric else ""
        better = " (lower is better)" if name in LOWER_IS_BETTER else ""
        span = f"[{ci.low:.3f}, {ci.high:.3f}]" if ci else "(undefined in most resamples)"
        lines.append(f"  {name:<20} {value:>7.3f}   {span}{better}{mark}")
    lines.append(f"  evaluation run {res.run_id} (data digest {res.data_digest})")
    return "\n".join(lines)


def evaluate_command(
    model: str, data: str, resamples: int = DEFAULT_RESAMPLES, seed: int = 0, limits: Limits = DEFAULT_LIMITS
) -> int:
    if resamples < 100:
        raise UserError(f"--resamples {resamples}: at least 100 resamples are needed for a 95% interval")
    print(evaluation_table(evaluate(model, data, n_resamples=resamples, seed=seed, limits=limits)))
    return 0
