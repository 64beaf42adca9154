"""The fitted pipeline as an MLflow model, its registration, and the champion alias (issue 5).

:class:`ItemModel` is a pyfunc model: ``predict(DataFrame of item records)``
returns a DataFrame with ``prediction`` and one ``p_<class>`` column per class
(for outcome ``p_overturned`` and ``p_upheld``). Its signature lists only the
view's columns, each optional: a case-view model scores a case before review,
and a missing column is filled as empty.

Each registered version carries its pooled metrics as tags (``metric.<name>``)
and its experiment's primary metric (``primary_metric``,
``primary_metric_value``, ``greater_is_better``), which
:func:`promote_command` compares.
"""

from __future__ import annotations

import math
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types.schema import AnyType, ColSpec, Schema

from .features import NUMERIC_COLUMNS, VIEW_COLUMNS, records_to_frame

CHAMPION = "champion"


def proba_column(cls: str) -> str:
    from .train import proba_column as pc

    return pc(cls)


class ItemModel(PythonModel):
    """A fitted record-frame pipeline served through MLflow pyfunc."""

    def __init__(self, pipeline, classes: list[str], target: str, view: str):
        self.pipeline = pipeline
        self.classes = [str(c) for c in classes]
        self.target = target
        self.view = view

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = records_to_frame(frame)
        raw = self.pipeline.predict_proba(frame)
        proba = np.zeros((len(frame), len(self.classes)))
        index = {c: i for i, c in enumerate(self.classes)}
        for j, c in enumerate(self.pipeline.classes_):
            proba[:, index[str(c)]] = raw[:, j]
        out = pd.DataFrame({"prediction": np.asarray(self.classes, dtype=object)[np.argmax(proba, axis=1)]})
        for k, c in enumerate(self.classes):
            out[proba_column(c)] = proba[:, k]
        return out

    def predict(self, context, model_input, params=None):
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.predict_frame(model_input)


# Columns whose raw record form is not a string: the age (int, float or None) and the
# reviewer's specialties (a list in a record, a "; "-joined string in a frame).
_ANY_COLUMNS = (*NUMERIC_COLUMNS, "reviewer_specialties")


def input_schema(view: str) -> Schema:
    """The view's columns, every one optional (a missing column is filled as empty)."""
    return Schema([
        ColSpec(AnyType() if c in _ANY_COLUMNS else "string", c, required=False) for c in VIEW_COLUMNS[view]
    ])


def input_example(frame: pd.DataFrame, view: str, n: int = 2) -> pd.DataFrame:
    """``n`` rows holding only the view's columns (a case-view example has nothing from after review)."""
    cols = VIEW_COLUMNS[view]
    ex = records_to_frame(frame.head(n))
    out = pd.DataFrame(index=range(len(ex)))
    for c in cols:
        if c in NUMERIC_COLUMNS:
            out[c] = pd.to_numeric(ex[c], errors="coerce").astype(float) if c in ex else np.nan
        else:
            out[c] = ["" if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
                      for v in (ex[c] if c in ex else [""] * len(ex))]
    for c in ("case_summary", "rationale"):
        if c in out:
            out[c] = out[c].str.slice(0, 600)
    return out


def _requirements() -> list[str]:
    import importlib.metadata as md

    reqs = []
    for pkg in ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "cloudpickle"):
        try:
            reqs.append(f"{pkg}=={md.version(pkg)}")
        except md.PackageNotFoundError:
            reqs.append(pkg)
    return reqs


def log_item_model(pipeline, exp, frame: pd.DataFrame, classes: list[str], register: bool = True):
    """Log the fitted pipeline as a pyfunc model in the active run; register it under the experiment's name."""
    model = ItemModel(pipeline, classes, exp.target, exp.view)
    example = input_example(frame, exp.view)
    output = model.predict_frame(example)
    out_schema = Schema([ColSpec("string", "prediction")] + [ColSpec("double", c) for c in output.columns[1:]])
    signature = ModelSignature(inputs=input_schema(exp.view), outputs=out_schema)
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=model,
        signature=signature,
        input_example=example,
        registered_model_name=exp.registered_name if register else None,
        pip_requirements=_requirements(),
    )


def tag_version(exp, version: str, metrics: dict[str, float], run_id: str, digest: str) -> None:
    client = mlflow.MlflowClient()
    name = exp.registered_name
    tags = {f"metric.{k}": f"{v:.6g}" for k, v in metrics.items()}
    value = metrics.get(exp.primary_metric)
    tags.update({
        "primary_metric": exp.primary_metric,
        "primary_metric_value": "nan" if value is None else f"{value:.6g}",
        "greater_is_better": str(exp.greater_is_better).lower(),
        "experiment": exp.name,
        "model_kind": exp.model.kind,
        "view": exp.view,
        "target": exp.target,
        "split": exp.split.kind,
        "data_digest": digest,
        "source_run_id": run_id,
    })
    for k, v in tags.items():
        client.set_model_version_tag(name, version, k, v)
    if exp.description:
        client.update_model_version(name, version, description=exp.description)


# ---------------------------------------------------------------- promote


def _metric(mv) -> tuple[str | None, float, bool]:
    tags = mv.tags or {}
    name = tags.get("primary_metric")
    try:
        value = float(tags.get("primary_metric_value", "nan"))
    except ValueError:
        value = float("nan")
    return name, value, tags.get("greater_is_better", "true") == "true"


def promote(model: str, version: str | None = None) -> tuple[bool, str]:
    """Move ``champion`` to ``version`` (default: the latest) if it beats the current champion.

    Returns (moved, message). The comparison is on the candidate's primary
    metric, read from the champion's ``metric.<name>`` tag.
    """
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    versions = client.search_model_versions(f"name='{model}'")
    if not versions:
        raise ValueError(f"no registered model named {model!r} (train one with 'imrml train')")
    if version is None:
        cand = max(versions, key=lambda v: int(v.version))
    else:
        found = [v for v in versions if str(v.version) == str(version)]
        if not found:
            raise ValueError(f"{model} has no version {version} (it has {sorted(int(v.version) for v in versions)})")
        cand = found[0]
    metric, value, greater = _metric(cand)
    if metric is None:
        raise ValueError(f"{model} v{cand.version} has no primary_metric tag: was it registered by 'imrml train'?")
    try:
        champ = client.get_model_version_by_alias(model, CHAMPION)
    except MlflowException:
        champ = None
    if champ is None:
        client.set_registered_model_alias(model, CHAMPION, str(cand.version))
        return True, f"promoted v{cand.version} to {CHAMPION} of {model} (no champion yet; {metric} {value:.4f})"
    if str(champ.version) == str(cand.version):
        return False, f"kept champion v{champ.version} of {model} (the candidate is the champion)"
    try:
        champ_value = float((champ.tags or {}).get(f"metric.{metric}", "nan"))
    except ValueError:
        champ_value = float("nan")
    if math.isnan(champ_value):
        better = not math.isnan(value)
    elif math.isnan(value):
        better = False
    else:
        better = value > champ_value if greater else value < champ_value
    if better:
        client.set_registered_model_alias(model, CHAMPION, str(cand.version))
        op = ">" if greater else "<"
        return True, (f"promoted v{cand.version} over v{champ.version} of {model} "
                      f"({metric} {value:.4f} {op} {champ_value:.4f})")
    op = "<=" if greater else ">="
    return False, (f"kept champion v{champ.version} of {model} "
                   f"(candidate v{cand.version} {metric} {value:.4f} {op} {champ_value:.4f})")


def promote_command(model: str, version: str | None = None) -> int:
    """``imrml promote MODEL [--version V]``: print which way it went."""
    from .tracking import configure_tracking

    configure_tracking()
    _, message = promote(model, version)
    print(message)
    return 0


def load_champion(model: str) -> Any:
    """``models:/<model>@champion`` as a pyfunc model."""
    return mlflow.pyfunc.load_model(f"models:/{model}@{CHAMPION}")
