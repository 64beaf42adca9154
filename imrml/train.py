"""Train an experiment: data, view, target, split, cross-validated metrics, MLflow run, registered model (issue 5).

``imrml train experiments/<name>.toml [--data PATH]`` calls :func:`train_command`;
tests call :func:`train_experiment`, which returns a :class:`TrainResult`.

The split is always grouped by letter (``case_id``) so no letter's items sit on
both sides: stratified group k-fold, or by date (the latest letters are the
test set). Metrics are logged per fold (``fold.<metric>``, step = fold) and
pooled over the out-of-fold predictions (``<metric>``). The registered model is
then refit on every usable item.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    classification_report,
    f1_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedGroupKFold

from .experiment import GUIDELINE_METRICS, OUTCOME_METRICS, Experiment, load_experiment
from .features import records_to_frame
from .io import LETTER_SUFFIXES, TABLE_SUFFIXES, find_inputs, read_items
from .models import build_pipeline, top_features
from .schema import OVERTURNED, UPHELD

RARE = "other-rare"


# ---------------------------------------------------------------- data


@dataclass
class Dataset:
    frame: pd.DataFrame  # one row per usable item
    y: np.ndarray  # the target, as strings
    classes: list[str]  # sorted; for outcome ["Overturned", "Upheld"]
    source: str  # where it came from
    info: dict[str, Any] = field(default_factory=dict)  # counts: excluded, folded, labels


def _resolve(path: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute():
        from .tracking import project_home

        p = project_home() / p
    return p


def generated_corpus(n: int, seed: int) -> Path:
    """The default data: ``data/generated/train-n<N>-s<seed>/truth.jsonl``, generated if missing."""
    from .tracking import project_home

    out = project_home() / "data" / "generated" / f"train-n{n}-s{seed}"
    truth = out / "truth.jsonl"
    if not truth.exists():
        from .synth import write_corpus

        print(f"imrml train: generating {n} letters into {out} (seed {seed})", file=sys.stderr)
        write_corpus(out, n=n, seed=seed, fmt="txt")
    return truth


def load_records(exp: Experiment, data: str | None = None) -> tuple[list, str]:
    """The experiment's item records (labelled) and a description of their source."""
    from .labels import label_items

    if data is not None:
        p = Path(data).expanduser() if Path(data).expanduser().exists() else _resolve(data)
        if not p.exists():
            raise FileNotFoundError(f"{data}: no such items file or letters folder")
        is_items = p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
        items, letters = (str(p), None) if is_items else (None, str(p))
    else:
        items = str(_resolve(exp.data.items)) if exp.data.items else None
        letters = str(_resolve(exp.data.letters)) if exp.data.letters else None
    if items:
        if not Path(items).exists():
            raise FileNotFoundError(f"{items}: no such items file")
        records = read_items(items)
        if any(r.guideline_family is None and r.claims_guideline_family is None for r in records):
            records = label_items(records)
        return records, items
    if letters:
        from .parse import parse_paths

        paths = find_inputs([letters], LETTER_SUFFIXES)
        if not paths:
            raise FileNotFoundError(f"{letters}: no letters (.pdf, .txt) found")
        result = parse_paths(paths)
        if result.rejects:
            print(f"imrml train: {len(result.rejects)} of {len(paths)} letters rejected by the parser",
                  file=sys.stderr)
        if not result.records:
            raise ValueError(f"{letters}: no items parsed from {len(paths)} file(s) "
                             f"(first reason: {result.rejects[0].reason if result.rejects else 'none'})")
        return label_items(result.records), letters
    truth = generated_corpus(exp.data.synth_letters, exp.data.synth_seed)
    return read_items(truth), str(truth)


def prepare_dataset(records_or_frame, target: str, min_class_count: int = 5, source: str = "") -> Dataset:
    """Usable rows and their target: outcome keeps Upheld/Overturned; guideline targets fold rare labels."""
    frame = records_or_frame if isinstance(records_or_frame, pd.DataFrame) else records_to_frame(records_or_frame)
    frame = records_to_frame(frame)
    info: dict[str, Any] = {"n_input_items": len(frame)}
    if target == "outcome":
        dec = frame["decision"] if "decision" in frame else pd.Series([None] * len(frame))
        keep = dec.isin([UPHELD, OVERTURNED]).to_numpy()
        info["excluded_other_decision"] = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
        y = frame["decision"].astype(str).to_numpy()
    else:
        lab = frame[target] if target in frame else pd.Series([None] * len(frame))
        keep = lab.notna().to_numpy() & (lab.astype(str) != "").to_numpy()
        info["excluded_unlabelled"] = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
        y = frame[target].astype(str).to_numpy()
        counts = Counter(y)
        rare = sorted(c for c, n in counts.items() if n < min_class_count)
        if len(rare) > 1 or (rare and len(counts) > 2):
            y = np.where(np.isin(y, rare), RARE, y)
        else:
            rare = []
        info["folded_rare_classes"] = rare
        info["folded_rare_items"] = int(sum(counts[c] for c in rare))
    if len(frame) == 0:
        raise ValueError(f"no usable items for target {target!r} in {source or 'the data'}")
    classes = sorted(set(y))
    if len(classes) < 2:
        raise ValueError(f"target {target!r} has one class only ({classes[0]!r}) in {source or 'the data'}")
    groups = _groups(frame)
    info["n_items"] = len(frame)
    info["n_letters"] = int(pd.Series(groups).nunique())
    info["label_counts"] = dict(sorted(Counter(y).items(), key=lambda kv: (-kv[1], kv[0])))
    return Dataset(frame=frame, y=y, classes=classes, source=source, info=info)


def _groups(frame: pd.DataFrame) -> np.ndarray:
    for col in ("case_id", "source_file"):
        if col in frame and frame[col].notna().all():
            return frame[col].astype(str).to_numpy()
    return np.arange(len(frame)).astype(str)


# ---------------------------------------------------------------- splits


def make_splits(ds: Dataset, exp: Experiment) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs, grouped by letter."""
    groups = _groups(ds.frame)
    s = exp.split
    if s.kind == "by_date":
        dates = pd.to_datetime(ds.frame.get("decision_date"), errors="coerce")
        if dates.isna().all():
            raise ValueError("split.kind = 'by_date' needs decision dates, and the data has none")
        letter_date = pd.Series(dates.to_numpy(), index=groups).groupby(level=0).min().dropna().sort_values()
        n_test = max(1, math.ceil(s.test_fraction * len(letter_date)))
        cutoff = letter_date.iloc[len(letter_date) - n_test]
        test = (dates >= cutoff).to_numpy()  # items without a date stay in training
        train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
        if len(train_idx) == 0 or len(test_idx) == 0:
            raise ValueError("split by date left one side empty")
        ds.info["date_cutoff"] = str(cutoff.date())
        return [(train_idx, test_idx)]
    n_groups = len(set(groups))
    k = min(s.n_splits, n_groups)
    if k < 2:
        raise ValueError(f"only {n_groups} letter(s): cannot split")
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=s.seed)
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*least populated class.*")
        return [(tr, te) for tr, te in cv.split(ds.frame, ds.y, groups)]


# ---------------------------------------------------------------- metrics


def expected_calibration_error(y_bin: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Weighted mean |observed rate - mean predicted probability| over equal-width bins."""
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(y_bin[m].mean() - p[m].mean())
    return float(ece)


def outcome_metrics(y: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict[str, float]:
    pos = classes.index(OVERTURNED)
    p = proba[:, pos]
    y_bin = (y == OVERTURNED).astype(int)
    pred = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    m = {
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, average="macro", labels=classes, zero_division=0),
        "recall_overturned": recall_score(y_bin, (pred == OVERTURNED).astype(int), zero_division=0),
        "brier": brier_score_loss(y_bin, p),
        "ece": expected_calibration_error(y_bin, p),
    }
    if 0 < y_bin.sum() < len(y_bin):
        m["roc_auc"] = roc_auc_score(y_bin, p)
        m["pr_auc"] = average_precision_score(y_bin, p)
    return {k: float(v) for k, v in m.items()}


def guideline_metrics(y: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict[str, float]:
    cls = np.asarray(classes, dtype=object)
    pred = cls[np.argmax(proba, axis=1)]
    top3 = cls[np.argsort(-proba, axis=1)[:, :3]]
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "top3_accuracy": float(np.mean([yy in row for yy, row in zip(y, top3, strict=True)])),
    }


def compute_metrics(target: str, y, proba, classes) -> dict[str, float]:
    return (outcome_metrics if target == "outcome" else guideline_metrics)(np.asarray(y), proba, list(classes))


def _aligned_proba(pipe, X, classes: list[str]) -> np.ndarray:
    """predict_proba with columns in ``classes`` order (a class absent from a fold's training gets 0)."""
    raw = pipe.predict_proba(X)
    out = np.zeros((len(X), len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(pipe.classes_):
        out[:, index[str(c)]] = raw[:, j]
    return out


# ---------------------------------------------------------------- cross-validation


@dataclass
class CVResult:
    fold_metrics: list[dict[str, float]]
    pooled: dict[str, float]
    oof_proba: np.ndarray  # NaN rows: never in a test fold (by_date training rows)
    tested: np.ndarray  # bool mask of rows with an out-of-fold prediction
    fit_seconds: float


def build_experiment_pipeline(exp: Experiment):
    return build_pipeline(
        view=exp.view, target=exp.target, kind=exp.model.kind, text_columns=exp.features.text_columns,
        features=exp.features.build_kwargs(), seed=exp.split.seed, **exp.model.build_kwargs(),
    )


def cross_validate(exp: Experiment, ds: Dataset, splits) -> CVResult:
    proba = np.full((len(ds.y), len(ds.classes)), np.nan)
    folds = []
    t0 = time.perf_counter()
    template = build_experiment_pipeline(exp)
    for tr, te in splits:
        pipe = clone(template).fit(ds.frame.iloc[tr], ds.y[tr])
        p = _aligned_proba(pipe, ds.frame.iloc[te], ds.classes)
        proba[te] = p
        folds.append(compute_metrics(exp.target, ds.y[te], p, ds.classes))
    tested = ~np.isnan(proba).any(axis=1)
    pooled = compute_metrics(exp.target, ds.y[tested], proba[tested], ds.classes)
    return CVResult(folds, pooled, proba, tested, time.perf_counter() - t0)


# ---------------------------------------------------------------- artifacts


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- /:]", "_", name)


def proba_column(cls: str) -> str:
    """``p_<class>``: lower case, non-alphanumerics as "_" ("Overturned" -> "p_overturned")."""
    return "p_" + re.sub(r"[^a-z0-9]+", "_", cls.lower()).strip("_")


def _plots(out: Path, exp: Experiment, y: np.ndarray, proba: np.ndarray, classes: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay

    pred = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    size = max(5.0, 0.45 * len(classes) + 3)
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(y, pred, labels=classes, ax=ax, xticks_rotation="vertical",
                                            colorbar=False)
    ax.set_title(f"{exp.name}: confusion matrix (out-of-fold)")
    fig.tight_layout()
    fig.savefig(out / "confusion_matrix.png", dpi=100)
    plt.close(fig)
    if exp.target != "outcome":
        return
    y_bin = (y == OVERTURNED).astype(int)
    p = proba[:, classes.index(OVERTURNED)]
    if not 0 < y_bin.sum() < len(y_bin):
        return
    for fname, display, title in (
        ("roc.png", RocCurveDisplay, "ROC, Overturned"),
        ("pr.png", PrecisionRecallDisplay, "precision-recall, Overturned"),
    ):
        fig, ax = plt.subplots(figsize=(5, 5))
        display.from_predictions(y_bin, p, ax=ax, name=exp.model.kind)
        ax.set_title(f"{exp.name}: {title}")
        fig.tight_layout()
        fig.savefig(out / fname, dpi=100)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 5))
    CalibrationDisplay.from_predictions(y_bin, p, n_bins=10, strategy="quantile", ax=ax, name=exp.model.kind)
    ax.set_title(f"{exp.name}: calibration, Overturned")
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=100)
    plt.close(fig)


def _misclassified(ds: Dataset, cv: CVResult, exp: Experiment) -> pd.DataFrame:
    cls = np.asarray(ds.classes, dtype=object)
    idx = np.flatnonzero(cv.tested)
    pred = cls[np.argmax(cv.oof_proba[idx], axis=1)]
    wrong = idx[pred != ds.y[idx]]
    f = ds.frame
    text_col = "rationale" if exp.view == "rationale" else "case_summary"
    rows = []
    for i in wrong:
        p = cv.oof_proba[i]
        rows.append({
            "case_id": f.at[i, "case_id"] if "case_id" in f else None,
            "item_index": f.at[i, "item_index"] if "item_index" in f else None,
            "source_file": f.at[i, "source_file"] if "source_file" in f else None,
            "true": ds.y[i],
            "predicted": cls[np.argmax(p)],
            "p_true": float(p[ds.classes.index(ds.y[i])]),
            "p_predicted": float(p.max()),
            "item": f.at[i, "item"] if "item" in f else "",
            "claims_guideline_family": f.at[i, "claims_guideline_family"] if "claims_guideline_family" in f else None,
            "text": str(f.at[i, text_col])[:2000] if text_col in f else "",
        })
    return pd.DataFrame(rows).sort_values("p_true") if rows else pd.DataFrame(
        columns=["case_id", "item_index", "source_file", "true", "predicted", "p_true", "p_predicted", "item", "text"])


# ---------------------------------------------------------------- the run


@dataclass
class TrainResult:
    run_id: str
    experiment_id: str
    metrics: dict[str, float]
    fold_metrics: list[dict[str, float]]
    registered_name: str | None
    version: str | None
    info: dict[str, Any]


def _dataset_for_mlflow(ds: Dataset, exp: Experiment):
    import mlflow.data

    df = ds.frame.drop(columns=[c for c in ds.frame.columns if ds.frame[c].map(type).eq(list).any()])
    df = df.assign(target=ds.y)
    return mlflow.data.from_pandas(df, source=ds.source, name=Path(ds.source).name or "items", targets="target")


def train_experiment(exp: Experiment, data: str | None = None, *, records=None) -> TrainResult:
    """Run ``exp``: load data, cross-validate, log everything to MLflow, register the refit pipeline."""
    import mlflow

    from .registry import log_item_model, tag_version
    from .tracking import configure_tracking, ensure_experiment

    t_start = time.perf_counter()
    if records is not None:
        source = "<records>"
    else:
        records, source = load_records(exp, data)
    ds = prepare_dataset(records, exp.target, exp.data.min_class_count, source=source)
    splits = make_splits(ds, exp)
    cv = cross_validate(exp, ds, splits)

    configure_tracking()
    experiment_id = ensure_experiment(f"imrml/{exp.target}_{exp.view}")
    metric_names = OUTCOME_METRICS if exp.target == "outcome" else GUIDELINE_METRICS
    with mlflow.start_run(experiment_id=experiment_id, run_name=exp.name) as run:
        mlflow.set_tags({
            "imrml.view": exp.view, "imrml.target": exp.target, "imrml.model_kind": exp.model.kind,
            "imrml.experiment": exp.name, "imrml.registered_name": exp.registered_name,
            "imrml.primary_metric": exp.primary_metric, "imrml.data_source": source,
            "mlflow.note.content": exp.description or exp.name,
        })
        params = {k: ("" if v is None else v) for k, v in exp.params().items()}
        params["data.source"] = source
        params["data.n_items"] = ds.info["n_items"]
        params["data.n_letters"] = ds.info["n_letters"]
        params["split.n_folds"] = len(splits)
        for k in ("excluded_other_decision", "excluded_unlabelled", "folded_rare_items", "date_cutoff"):
            if k in ds.info:
                params[f"data.{k}"] = ds.info[k]
        if "folded_rare_classes" in ds.info:
            params["data.folded_rare_classes"] = json.dumps(ds.info["folded_rare_classes"])[:5000]
        params["data.label_counts"] = json.dumps(ds.info["label_counts"])[:5000]
        mlflow.log_params(params)
        dataset = _dataset_for_mlflow(ds, exp)
        mlflow.log_input(dataset, context="training")
        mlflow.set_tag("imrml.data_digest", dataset.digest)

        for k, fm in enumerate(cv.fold_metrics):
            mlflow.log_metrics({f"fold.{name}": v for name, v in fm.items()}, step=k)
        mlflow.log_metrics(cv.pooled)
        mlflow.log_metrics({f"fold_mean.{n}": float(np.mean([fm[n] for fm in cv.fold_metrics if n in fm]))
                            for n in metric_names if any(n in fm for fm in cv.fold_metrics)})
        mlflow.log_metrics({"n_items": ds.info["n_items"], "n_letters": ds.info["n_letters"],
                            "cv_seconds": cv.fit_seconds})
        mlflow.log_metrics({f"n_class.{_safe(c)}": n for c, n in ds.info["label_counts"].items()})

        # the model every item trains: refit on all usable items
        t0 = time.perf_counter()
        final = build_experiment_pipeline(exp).fit(ds.frame, ds.y)
        mlflow.log_metric("fit_seconds", time.perf_counter() - t0)

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            (out / "experiment.toml").write_text(exp.text or "", encoding="utf-8")
            y_t, p_t = ds.y[cv.tested], cv.oof_proba[cv.tested]
            pred_t = np.asarray(ds.classes, dtype=object)[np.argmax(p_t, axis=1)]
            (out / "classification_report.txt").write_text(
                classification_report(y_t, pred_t, labels=ds.classes, zero_division=0), encoding="utf-8")
            report = classification_report(y_t, pred_t, labels=ds.classes, zero_division=0, output_dict=True)
            pd.DataFrame(report).T.to_csv(out / "per_class_report.csv")
            (out / "metrics.json").write_text(json.dumps(
                {"pooled": cv.pooled, "folds": cv.fold_metrics, "split": exp.split.kind, "n_folds": len(splits)},
                indent=2), encoding="utf-8")
            (out / "data.json").write_text(json.dumps({"source": source, **ds.info}, indent=2, default=str),
                                           encoding="utf-8")
            tops = top_features(final, n=25)
            (out / "top_features.json").write_text(json.dumps(tops, indent=2), encoding="utf-8")
            if tops:
                pd.DataFrame([{"class": c, "rank": r + 1, "feature": f, "weight": w}
                              for c, lst in tops.items() for r, (f, w) in enumerate(lst)]).to_csv(
                    out / "top_features.csv", index=False)
            _misclassified(ds, cv, exp).to_csv(out / "misclassified.csv", index=False)
            _plots(out, exp, y_t, p_t, ds.classes)
            mlflow.log_artifacts(str(out))

        info = log_item_model(final, exp, ds.frame, ds.classes,
                              register=exp.registry.register)
        version = info.registered_model_version if exp.registry.register else None
        if version is not None:
            tag_version(exp, str(version), cv.pooled, run.info.run_id, dataset.digest)
        mlflow.log_metric("total_seconds", time.perf_counter() - t_start)
    return TrainResult(run.info.run_id, experiment_id, cv.pooled, cv.fold_metrics,
                       exp.registered_name if version is not None else None,
                       None if version is None else str(version), ds.info)


def format_metrics(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k}={v:.3f}" for k, v in metrics.items())


def train_command(experiment: str, data: str | None = None) -> int:
    """``imrml train EXPERIMENT [--data PATH]``: train, log, register; print where it went."""
    exp = load_experiment(experiment)
    res = train_experiment(exp, data)
    info = res.info
    print(f"{exp.name}: {exp.target} from the {exp.view} view, {exp.model.kind}; "
          f"{info['n_items']} items from {info['n_letters']} letters; split {exp.split.kind}")
    print(f"  pooled: {format_metrics(res.metrics)}")
    print(f"  run {res.run_id} (MLflow experiment imrml/{exp.target}_{exp.view})")
    if res.version:
        print(f"  registered {res.registered_name} v{res.version} "
              f"({exp.primary_metric}={res.metrics.get(exp.primary_metric, float('nan')):.3f}); "
              f"'imrml promote {res.registered_name}' to make it champion if it is better")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(train_command(*sys.argv[1:2], data=os.environ.get("DATA") or None))
