"""The train job: an experiment file -> cross-validated metrics, an MLflow run and a registered model.

``imrml train experiments/<name>.toml [--data PATH]`` runs :func:`train_experiment`:
read the data (labelled), prepare the target, split by letter, cross-validate,
log params, metrics and artifacts, refit on every usable item and register it.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.data
import numpy as np

from ..learn.cross_validation import CVResult, cross_validate
from ..learn.dataset import Dataset, make_splits, prepare_dataset
from ..learn.experiment import GUIDELINE_METRICS, OUTCOME_METRICS, Experiment, load_experiment
from ..learn.inspect import top_features
from ..learn.pipeline import build_pipeline
from ..mlops import artifacts
from ..mlops.registry import log_item_model, tag_version
from ..mlops.tracking import configure_tracking, ensure_experiment
from .data import generated_corpus, load_items, read_labelled_items, resolve


@dataclass
class TrainResult:
    run_id: str
    experiment_id: str
    metrics: dict[str, float]
    fold_metrics: list[dict[str, float]]
    registered_name: str | None
    version: str | None
    info: dict[str, Any]


def experiment_items(exp: Experiment, data: str | None = None) -> tuple[list, str]:
    """The experiment's labelled items (``data`` overrides its [data] table) and where they came from."""
    if data is not None:
        return load_items(data)
    if exp.data.items or exp.data.letters:
        return load_items(resolve(exp.data.items or exp.data.letters))
    truth = generated_corpus(exp.data.synth_letters, exp.data.synth_seed)
    return read_labelled_items(truth), str(truth)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- /:]", "_", name)


def _mlflow_dataset(ds: Dataset):
    df = ds.frame.drop(columns=[c for c in ds.frame.columns if ds.frame[c].map(type).eq(list).any()])
    df = df.assign(target=ds.y)
    return mlflow.data.from_pandas(df, source=ds.source, name=Path(ds.source).name or "items", targets="target")


def _params(exp: Experiment, ds: Dataset, n_folds: int) -> dict[str, Any]:
    params = {k: ("" if v is None else v) for k, v in exp.params().items()}
    params.update(
        {
            "data.source": ds.source,
            "data.n_items": ds.info["n_items"],
            "data.n_letters": ds.info["n_letters"],
            "split.n_folds": n_folds,
        }
    )
    for k in ("excluded_other_decision", "excluded_unlabelled", "folded_rare_items", "date_cutoff"):
        if k in ds.info:
            params[f"data.{k}"] = ds.info[k]
    if "folded_rare_classes" in ds.info:
        params["data.folded_rare_classes"] = json.dumps(ds.info["folded_rare_classes"])[:5000]
    params["data.label_counts"] = json.dumps(ds.info["label_counts"])[:5000]
    return params


def _log_cv(exp: Experiment, ds: Dataset, cv: CVResult) -> None:
    metric_names = OUTCOME_METRICS if exp.target == "outcome" else GUIDELINE_METRICS
    for k, fm in enumerate(cv.fold_metrics):
        mlflow.log_metrics({f"fold.{name}": v for name, v in fm.items()}, step=k)
    mlflow.log_metrics(cv.pooled)
    mlflow.log_metrics(
        {
            f"fold_mean.{n}": float(np.mean([fm[n] for fm in cv.fold_metrics if n in fm]))
            for n in metric_names
            if any(n in fm for fm in cv.fold_metrics)
        }
    )
    mlflow.log_metrics({"n_items": ds.info["n_items"], "n_letters": ds.info["n_letters"], "cv_seconds": cv.fit_seconds})
    mlflow.log_metrics({f"n_class.{_safe(c)}": n for c, n in ds.info["label_counts"].items()})


def _log_artifacts(exp: Experiment, ds: Dataset, cv: CVResult, n_folds: int, final) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "experiment.toml").write_text(exp.text or "", encoding="utf-8")
        y_t, p_t = ds.y[cv.tested], cv.oof_proba[cv.tested]
        artifacts.write_class_reports(out, y_t, p_t, ds.classes)
        artifacts.write_json(
            out / "metrics.json",
            {"pooled": cv.pooled, "folds": cv.fold_metrics, "split": exp.split.kind, "n_folds": n_folds},
        )
        artifacts.write_json(out / "data.json", {"source": ds.source, **ds.info})
        artifacts.write_top_features(out, top_features(final, n=25))
        text_column = "rationale" if exp.view == "rationale" else "case_summary"
        artifacts.misclassified(ds.frame, ds.y, cv.oof_proba, ds.classes, text_column).to_csv(
            out / "misclassified.csv", index=False
        )
        artifacts.write_plots(out, f"{exp.name} (out-of-fold)", exp.model.kind, exp.target, y_t, p_t, ds.classes)
        mlflow.log_artifacts(str(out))


def train_experiment(exp: Experiment, data: str | None = None, *, records=None) -> TrainResult:
    """Run ``exp``: load data, cross-validate, log everything to MLflow, register the refit model."""
    t_start = time.perf_counter()
    if records is None:
        records, source = experiment_items(exp, data)
    else:
        source = "<records>"
    ds = prepare_dataset(records, exp.target, exp.data.min_class_count, source=source)
    splits = make_splits(ds, exp.split)
    cv = cross_validate(build_pipeline(exp), exp.target, ds, splits)

    configure_tracking()
    experiment_id = ensure_experiment(f"imrml/{exp.target}_{exp.view}")
    with mlflow.start_run(experiment_id=experiment_id, run_name=exp.name) as run:
        mlflow.set_tags(
            {
                "imrml.view": exp.view,
                "imrml.target": exp.target,
                "imrml.model_kind": exp.model.kind,
                "imrml.experiment": exp.name,
                "imrml.registered_name": exp.registered_name,
                "imrml.primary_metric": exp.primary_metric,
                "imrml.data_source": source,
                "mlflow.note.content": exp.description or exp.name,
            }
        )
        mlflow.log_params(_params(exp, ds, len(splits)))
        dataset = _mlflow_dataset(ds)
        mlflow.log_input(dataset, context="training")
        mlflow.set_tag("imrml.data_digest", dataset.digest)
        _log_cv(exp, ds, cv)

        t0 = time.perf_counter()
        final = build_pipeline(exp).fit(ds.frame, ds.y)  # the model every item trains
        mlflow.log_metric("fit_seconds", time.perf_counter() - t0)
        _log_artifacts(exp, ds, cv, len(splits), final)

        name = exp.registered_name if exp.registry.register else None
        info = log_item_model(final, target=exp.target, view=exp.view, example_frame=ds.frame, registered_name=name)
        version = str(info.registered_model_version) if name else None
        if version is not None:
            tag_version(
                name,
                version,
                metrics=cv.pooled,
                primary_metric=exp.primary_metric,
                greater_is_better=exp.greater_is_better,
                description=exp.description,
                tags={
                    "experiment": exp.name,
                    "model_kind": exp.model.kind,
                    "view": exp.view,
                    "target": exp.target,
                    "split": exp.split.kind,
                    "data_digest": dataset.digest,
                    "source_run_id": run.info.run_id,
                },
            )
        mlflow.log_metric("total_seconds", time.perf_counter() - t_start)
    return TrainResult(run.info.run_id, experiment_id, cv.pooled, cv.fold_metrics, name, version, ds.info)


def format_metrics(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k}={v:.3f}" for k, v in metrics.items())


def train_summary(exp: Experiment, res: TrainResult) -> str:
    """What ``imrml train`` prints: what was trained on what, its pooled metrics, where it went."""
    info = res.info
    lines = [
        f"{exp.name}: {exp.target} from the {exp.view} view, {exp.model.kind}; "
        f"{info['n_items']} items from {info['n_letters']} letters; split {exp.split.kind}",
        f"  pooled: {format_metrics(res.metrics)}",
        f"  run {res.run_id} (MLflow experiment imrml/{exp.target}_{exp.view})",
    ]
    if res.version:
        lines.append(
            f"  registered {res.registered_name} v{res.version} "
            f"({exp.primary_metric}={res.metrics.get(exp.primary_metric, float('nan')):.3f}); "
            f"'imrml promote {res.registered_name}' to make it champion if it is better"
        )
    return "\n".join(lines)


def train_command(experiment: str, data: str | None = None) -> int:
    exp = load_experiment(experiment)
    print(train_summary(exp, train_experiment(exp, data)))
    return 0
