"""The train job: an experiment file -> cross-validated metrics, an MLflow run and a registered model.

``imrml train experiments/<name>.toml [--data PATH] [--test-data PATH]`` runs
:func:`train_experiment`: read the data (labelled), prepare the target, split by
letter, cross-validate, log params, metrics with their 95% intervals (resampling
letters) and artifacts, refit on every usable item and register it. With test
data (``--test-data`` or ``[data] test``), the refit model is also measured on
it in the same run (``test.*`` metrics): the temporal check, trained on older
letters and tested on newer ones.

The run and the version say where the training data came from (``data_origin``):
``generated`` for the experiment's default generated corpus or data in a folder
the generator marked (:func:`imrml.synth.corpus.data_origin`), else ``letters``.
Promotion reads it: a model of generated letters never blocks one of real letters.
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
import numpy as np

from ..learn.cross_validation import CVResult, cross_validate
from ..learn.dataset import Dataset, labelled_rows, make_splits, prepare_dataset
from ..learn.evaluation import HeldOutResult, evaluate_fitted, measured
from ..learn.experiment import GUIDELINE_METRICS, OUTCOME_METRICS, Experiment, load_experiment
from ..learn.inspect import top_features
from ..learn.pipeline import build_pipeline
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..mlops import artifacts
from ..mlops.evaluation import TEST_PREFIX, items_dataset, log_held_out, metric_columns
from ..mlops.precedents import log_precedents_model
from ..mlops.registry import log_item_model, tag_version
from ..mlops.tracking import configure_tracking, ensure_experiment
from ..records.errors import UserError
from ..synth.corpus import GENERATED, LETTERS, data_origin
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
    intervals: dict = None  # metric -> 95% Interval of the pooled out-of-fold metrics
    test: HeldOutResult | None = None  # the refit model on the test data
    test_source: str | None = None
    data_origin: str = LETTERS  # "generated" or "letters": where the training data came from


def experiment_items(exp: Experiment, data: str | None = None, limits: Limits = DEFAULT_LIMITS) -> tuple[list, str]:
    """The experiment's labelled items (``data`` overrides its [data] table; letters parsed within the per-file
    ``limits``) and where they came from."""
    if data is not None:
        return load_items(data, limits)
    if exp.data.items or exp.data.letters:
        return load_items(resolve(exp.data.items or exp.data.letters), limits)
    truth = generated_corpus(exp.data.synth_letters, exp.data.synth_seed)
    return read_labelled_items(truth), str(truth)


def training_data_origin(exp: Experiment, data: str | None = None) -> str:
    """Where :func:`experiment_items` reads from: ``generated`` (the default generated corpus, or a folder the
    generator marked) or ``letters``."""
    path = data if data is not None else (exp.data.items or exp.data.letters)
    if path is None:  # the default generated corpus, marked or made before markers were written
        return GENERATED
    return data_origin(resolve(path))


def experiment_test_items(
    exp: Experiment, test_data: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[list, str] | None:
    """The experiment's labelled test items (``test_data`` overrides ``[data] test``; letters parsed within the
    per-file ``limits``) and their source, if any."""
    path = test_data or exp.data.test
    if path is None:
        return None
    return load_items(path if test_data else resolve(path), limits)


def split_description(exp: Experiment, n_folds: int) -> str:
    """How the pooled metrics were measured, e.g. "group_kfold n_splits=5 seed=0" (same text = same folds)."""
    if exp.split.kind == "none":
        return "none"
    if exp.split.kind == "by_date":
        return f"by_date test_fraction={exp.split.test_fraction:g}"
    if exp.split.kind == "leave_one_letter_out":
        return "leave_one_letter_out"
    return f"group_kfold n_splits={n_folds} seed={exp.split.seed}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- /:]", "_", name)


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


def _log_cv(exp: Experiment, ds: Dataset, cv: CVResult, pooled: HeldOutResult) -> None:
    metric_names = OUTCOME_METRICS if exp.target == "outcome" else GUIDELINE_METRICS
    for k, fm in enumerate(cv.fold_metrics):
        mlflow.log_metrics({f"fold.{name}": v for name, v in fm.items()}, step=k)
    mlflow.log_metrics(metric_columns(pooled.metrics, pooled.intervals))
    mlflow.log_metrics(
        {
            f"fold_mean.{n}": float(np.mean([fm[n] for fm in cv.fold_metrics if n in fm]))
            for n in metric_names
            if any(n in fm for fm in cv.fold_metrics)
        }
    )
    mlflow.log_metrics({"n_items": ds.info["n_items"], "n_letters": ds.info["n_letters"], "cv_seconds": cv.fit_seconds})
    mlflow.log_metrics({f"n_class.{_safe(c)}": n for c, n in ds.info["label_counts"].items()})


def _log_artifacts(exp: Experiment, ds: Dataset, cv: CVResult | None, n_folds: int, final) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "experiment.toml").write_text(exp.text or "", encoding="utf-8")
        artifacts.write_json(out / "data.json", {"source": ds.source, **ds.info})
        artifacts.write_top_features(out, top_features(final, n=25))
        if cv is not None:
            _write_cv_artifacts(out, exp, ds, cv, n_folds)
        mlflow.log_artifacts(str(out))


def _write_cv_artifacts(out: Path, exp: Experiment, ds: Dataset, cv: CVResult, n_folds: int) -> None:
    """The out-of-fold reports, plots and misclassified items."""
    y_t, p_t = ds.y[cv.tested], cv.oof_proba[cv.tested]
    artifacts.write_class_reports(out, y_t, p_t, ds.classes)
    artifacts.write_json(
        out / "metrics.json",
        {"pooled": cv.pooled, "folds": cv.fold_metrics, "split": exp.split.kind, "n_folds": n_folds},
    )
    artifacts.misclassified(ds.frame, ds.y, cv.oof_proba, ds.classes, _text_column(exp)).to_csv(
        out / "misclassified.csv", index=False
    )
    artifacts.write_plots(out, f"{exp.name} (out-of-fold)", exp.model.kind, exp.target, y_t, p_t, ds.classes)


def run_name(exp: Experiment) -> str:
    """A run is named after its model kind (the experiment names the target and view); baselines say so."""
    return f"{exp.model.kind} (baseline)" if exp.is_baseline else exp.model.kind


def train_experiment(
    exp: Experiment,
    data: str | None = None,
    *,
    records=None,
    test_data: str | None = None,
    test_records=None,
    limits: Limits = DEFAULT_LIMITS,
) -> TrainResult:
    """Run ``exp``: load data, cross-validate, log everything to MLflow, register the refit model; measure it on
    the test data when there is any. Letters (training or test) are parsed within the per-file ``limits``."""
    t_start = time.perf_counter()
    if records is None:
        records, source = experiment_items(exp, data, limits)
        origin = training_data_origin(exp, data)
    else:
        source, origin = "<records>", LETTERS  # records handed over: not known to be generated
    if test_records is not None:
        test = (test_records, "<test records>")
    else:
        test = experiment_test_items(exp, test_data, limits)
    ds = prepare_dataset(records, exp.target, exp.data.min_class_count, source=source)
    if test is not None:
        test_frame, test_labels, _ = labelled_rows(test[0], exp.target)
        if len(test_frame) == 0:
            raise UserError(f"{test[1]}: no items with a {exp.target} label to test on")
    cross_validated = exp.split.kind != "none"
    if not cross_validated and test is None:
        raise UserError(
            f"{exp.path}: split.kind = 'none' (no cross-validation) needs test data: [data] test or --test-data"
        )
    splits = make_splits(ds, exp.split) if cross_validated else []
    cv = cross_validate(build_pipeline(exp), exp.target, ds, splits) if cross_validated else None
    pooled = None
    if cv is not None:
        pooled = measured(exp.target, ds.y[cv.tested], cv.oof_proba[cv.tested], ds.classes, ds.groups[cv.tested])

    configure_tracking()
    experiment_id = ensure_experiment(f"imrml/{exp.target}_{exp.view}", exp.target)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name(exp)) as run:
        mlflow.set_tags(
            {
                "imrml.view": exp.view,
                "imrml.target": exp.target,
                "imrml.model_kind": exp.model.kind,
                "imrml.baseline": str(exp.is_baseline).lower(),
                "imrml.run_kind": "training",
                "imrml.cv": split_description(exp, len(splits)),
                "imrml.experiment": exp.name,
                "imrml.registered_name": exp.registered_name,
                "imrml.primary_metric": exp.primary_metric,
                "imrml.data_source": source,
                "imrml.data_origin": origin,
                "mlflow.note.content": exp.description or exp.name,
            }
        )
        mlflow.log_params(_params(exp, ds, len(splits)))
        dataset = items_dataset(ds.frame, ds.stated, ds.source)
        mlflow.log_input(dataset, context="training")
        mlflow.set_tag("imrml.data_digest", dataset.digest)
        if cv is not None:
            _log_cv(exp, ds, cv, pooled)

        t0 = time.perf_counter()
        final = build_pipeline(exp).fit(ds.frame, ds.y)  # the model every item trains
        mlflow.log_metric("fit_seconds", time.perf_counter() - t0)
        _log_artifacts(exp, ds, cv, len(splits), final)

        name = exp.registered_name if exp.registry.register else None
        if exp.model.kind == "precedents":  # the index, served with what each decided item shows
            sentences = exp.model.params.rationale_sentences
            info = log_precedents_model(final, ds.frame, sentences=sentences, registered_name=name)
        else:
            info = log_item_model(final, target=exp.target, view=exp.view, example_frame=ds.frame, registered_name=name)
        version = str(info.registered_model_version) if name else None
        tested = test_tags = None
        if test is not None:
            tested = evaluate_fitted(final, test_frame, test_labels, exp.target)
            test_set = items_dataset(test_frame, test_labels, test[1])
            log_held_out(
                tested,
                test_set,
                test_frame,
                target=exp.target,
                title=exp.name,
                model_kind=exp.model.kind,
                text_column=_text_column(exp),
                model_id=info.model_id,
            )
            test_tags = {
                **{
                    f"{TEST_PREFIX}metric.{k}": f"{v:.6g}"
                    for k, v in metric_columns(tested.metrics, tested.intervals).items()
                },
                "test_data_digest": test_set.digest,
                "test_data_source": test[1],
            }
        if version is not None:
            tag_version(
                name,
                version,
                metrics=metric_columns(*((pooled or tested).metrics, (pooled or tested).intervals)),
                primary_metric=exp.primary_metric,
                greater_is_better=exp.greater_is_better,
                description=exp.description,
                tags={
                    "experiment": exp.name,
                    "model_kind": exp.model.kind,
                    "view": exp.view,
                    "target": exp.target,
                    "split": exp.split.kind,
                    "cv": split_description(exp, len(splits)),
                    "data_digest": dataset.digest,
                    "data_source": ds.source,
                    "data_origin": origin,
                    "source_run_id": run.info.run_id,
                    **(test_tags or {}),
                },
            )
        mlflow.log_metric("total_seconds", time.perf_counter() - t_start)
    return TrainResult(
        run.info.run_id,
        experiment_id,
        pooled.metrics if pooled else {},
        cv.fold_metrics if cv else [],
        name,
        version,
        ds.info,
        pooled.intervals if pooled else {},
        tested,
        None if test is None else test[1],
        origin,
    )


def _text_column(exp: Experiment) -> str:
    """The text a misclassified item is shown with: what the view reads most."""
    return "rationale" if exp.view == "rationale" else "case_summary"


def format_metrics(metrics: dict[str, float], intervals: dict | None = None) -> str:
    """``name=value`` pairs, each with its 95% interval when there is one: ``pr_auc=0.137 [0.081, 0.212]``."""
    intervals = intervals or {}
    return "  ".join(
        f"{k}={v:.3f}" + (f" [{intervals[k].low:.3f}, {intervals[k].high:.3f}]" if k in intervals else "")
        for k, v in metrics.items()
    )


def train_summary(exp: Experiment, res: TrainResult) -> str:
    """What ``imrml train`` prints: what was trained on what, its metrics with 95% intervals, where it went."""
    info = res.info
    lines = [
        f"{exp.name}: {exp.target} from the {exp.view} view, {exp.model.kind}; "
        f"{info['n_items']} items from {info['n_letters']} {_letters_word(res.data_origin)}; split {exp.split.kind}",
    ]
    if res.metrics:
        lines.append(
            f"  pooled out-of-fold, [95% interval resampling letters]: {format_metrics(res.metrics, res.intervals)}"
        )
    if res.test is not None:
        lines.append(
            f"  test ({res.test.n_items} items from {res.test.n_letters} letters in {res.test_source}): "
            f"{format_metrics(res.test.metrics, res.test.intervals)}"
        )
    lines.append(f"  run {res.run_id} (MLflow experiment imrml/{exp.target}_{exp.view})")
    if res.version:
        headline = res.metrics or res.test.metrics  # no cross-validation: the test data's
        lines.append(
            f"  registered {res.registered_name} v{res.version} "
            f"({exp.primary_metric}={headline.get(exp.primary_metric, float('nan')):.3f}); "
            f"'imrml promote {res.registered_name}' to make it champion if it is better"
        )
    return "\n".join(lines)


def _letters_word(origin: str) -> str:
    return "generated letters" if origin == GENERATED else "letters"


def train_command(
    experiment: str, data: str | None = None, test_data: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> int:
    exp = load_experiment(experiment)
    print(train_summary(exp, train_experiment(exp, data, test_data=test_data, limits=limits)))
    return 0
