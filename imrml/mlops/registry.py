"""The fitted model as an MLflow model: the pyfunc wrapper, registration, version tags, the champion alias.

:class:`ItemModel` is a pyfunc model: ``predict(DataFrame of item records)``
returns a DataFrame with ``prediction`` and one ``p_<class>`` column per class
(for outcome ``p_overturned`` and ``p_upheld``). Its signature lists only the
view's columns, each optional: a case-view model scores a case before review,
and a missing column is filled as empty.

Each registered version carries its metrics as tags (``metric.<name>``, with
``.ci_low``/``.ci_high`` the 95% interval) and its primary metric
(``primary_metric``, ``primary_metric_value``, ``greater_is_better``), which
promotion (:mod:`imrml.mlops.promotion`) compares.
"""

from __future__ import annotations

import importlib.metadata as md
import math
import re
from dataclasses import dataclass, field
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types.schema import AnyType, ColSpec, Schema

from ..learn.metrics import aligned_proba
from ..learn.views import NON_STRING_COLUMNS, NUMERIC_COLUMNS, required_columns, view_columns
from ..records.errors import UserError, redact
from ..records.frame import records_to_frame

CHAMPION = "champion"


def proba_column(cls: str) -> str:
    """``p_<class>``: lower case, non-alphanumerics as "_" ("Overturned" -> "p_overturned")."""
    return "p_" + re.sub(r"[^a-z0-9]+", "_", cls.lower()).strip("_")


def model_uri(name: str, alias_or_version: str = CHAMPION) -> str:
    """``models:/<name>@<alias>`` or ``models:/<name>/<version>``."""
    return (
        f"models:/{name}/{alias_or_version}"
        if str(alias_or_version).isdigit()
        else f"models:/{name}@{alias_or_version}"
    )


_RUN_ID = re.compile(r"[0-9a-f]{32}")


def resolve_model_uri(ref: str) -> str:
    """An MLflow model URI from what a user types: ``NAME`` (its champion), ``NAME@alias``, ``NAME/3`` or
    ``NAME:3``, a run id (its logged model), or a URI as it is (``models:/...``, ``runs:/...``)."""
    if "://" in ref or ref.startswith(("models:/", "runs:/")):
        return ref
    if _RUN_ID.fullmatch(ref):
        return f"runs:/{ref}/model"
    if "@" in ref:
        return model_uri(*ref.split("@", 1))
    name, sep, version = ref.replace(":", "/").rpartition("/")
    if sep and version.isdigit():
        return model_uri(name, version)
    return model_uri(ref)


class ItemModel(PythonModel):
    """A fitted record-frame model (:func:`imrml.learn.pipeline.build_pipeline`) served through MLflow pyfunc."""

    def __init__(self, fitted, target: str, view: str):
        self.fitted = fitted
        self.classes = [str(c) for c in fitted.classes_]
        self.target = target
        self.view = view

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Predictions for a frame of item records, flat or not: the fitted model's first step flattens what is
        not flat yet (:func:`~imrml.learn.views.record_frame`), so a chunk is converted once."""
        proba = aligned_proba(self.fitted, frame, self.classes)
        out = pd.DataFrame({"prediction": np.asarray(self.classes, dtype=object)[np.argmax(proba, axis=1)]})
        for k, c in enumerate(self.classes):
            out[proba_column(c)] = proba[:, k]
        return out

    def fold_labels(self, labels) -> np.ndarray:
        """True labels in this model's classes (a label it never saw becomes "other-rare" when it has that class)."""
        return self.fitted.fold_labels(labels)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.predict_frame(model_input)


def input_schema(view: str) -> Schema:
    """The view's columns, every one optional (a missing column is filled as empty)."""
    return Schema(
        [ColSpec(AnyType() if c in NON_STRING_COLUMNS else "string", c, required=False) for c in view_columns(view)]
    )


def input_example(frame: pd.DataFrame, view: str, n: int = 2) -> pd.DataFrame:
    """``n`` rows holding only the view's columns (a case-view example has nothing from after review)."""
    ex = records_to_frame(frame.head(n))
    out = pd.DataFrame(index=range(len(ex)))
    for c in view_columns(view):
        if c in NUMERIC_COLUMNS:
            out[c] = pd.to_numeric(ex[c], errors="coerce").astype(float) if c in ex else np.nan
        else:
            out[c] = [
                "" if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
                for v in (ex[c] if c in ex else [""] * len(ex))
            ]
    for c in ("case_summary", "rationale"):
        if c in out:
            out[c] = out[c].str.slice(0, 600)
    return out


def pip_requirements() -> list[str]:
    """The packages (pinned to the versions here) an imrml pyfunc model needs to load."""
    reqs = []
    for pkg in ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "cloudpickle", "google-re2"):
        try:
            reqs.append(f"{pkg}=={md.version(pkg)}")
        except md.PackageNotFoundError:
            reqs.append(pkg)
    return reqs


def log_item_model(fitted, *, target: str, view: str, example_frame: pd.DataFrame, registered_name: str | None = None):
    """Log a fitted model as a pyfunc model in the active run; register it under ``registered_name`` if given."""
    model = ItemModel(fitted, target, view)
    example = input_example(example_frame, view)
    output = model.predict_frame(example)
    out_schema = Schema([ColSpec("string", "prediction")] + [ColSpec("double", c) for c in output.columns[1:]])
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=model,
        signature=ModelSignature(inputs=input_schema(view), outputs=out_schema),
        input_example=example,
        registered_model_name=registered_name,
        pip_requirements=pip_requirements(),
    )


def tag_version(
    name: str,
    version: str,
    *,
    metrics: dict[str, float],
    primary_metric: str,
    greater_is_better: bool,
    tags: dict[str, str],
    description: str = "",
) -> None:
    """Tag a registered version with its metrics, its primary metric and what it is (``tags``)."""
    client = mlflow.MlflowClient()
    value = metrics.get(primary_metric)
    all_tags = {f"metric.{k}": f"{v:.6g}" for k, v in metrics.items()}
    all_tags.update(
        {
            "primary_metric": primary_metric,
            "primary_metric_value": "nan" if value is None else f"{value:.6g}",
            "greater_is_better": str(greater_is_better).lower(),
            **tags,
        }
    )
    for k, v in all_tags.items():
        client.set_model_version_tag(name, version, k, v)
    if description:
        client.update_model_version(name, version, description=description)


# ---------------------------------------------------------------- loading a model to score with


@dataclass
class LoadedModel:
    """A pyfunc model and what a scored row should say about it (name, version, run id, target, classes)."""

    uri: str
    pyfunc: Any
    name: str | None
    version: str | None
    run_id: str | None
    target: str | None
    input_columns: list[str] | None  # the signature's column names; None when it names none
    required_columns: list[str] = field(default_factory=list)  # text columns a table must carry
    classes: list[str] = field(default_factory=list)  # in the order of the p_ columns

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = self.pyfunc.predict(frame)
        return out if isinstance(out, pd.DataFrame) else pd.DataFrame({"prediction": np.asarray(out)})

    @property
    def item_model(self) -> ItemModel | None:
        """imrml's wrapper inside the pyfunc (None for a model imrml did not make)."""
        try:
            wrapper = self.pyfunc.unwrap_python_model()
        except MlflowException:
            return None
        return wrapper if isinstance(wrapper, ItemModel) else None


def _name_and_version(uri: str) -> tuple[str | None, str | None]:
    if not uri.startswith("models:/"):
        return None, None
    ref = uri[len("models:/") :]
    client = mlflow.MlflowClient()
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return name, str(client.get_model_version_by_alias(name, alias).version)
    name, _, version = ref.partition("/")
    if not version.isdigit():
        versions = client.search_model_versions(f"name='{name}'")
        version = str(max(int(v.version) for v in versions)) if versions else None
    return name, version


# Where a model normally comes from: the registry, or a run of the tracking store.
TRACKED_SCHEMES = ("models:/", "runs:/")


def check_model_source(uri: str, allow_path: bool, flag: str = "--model") -> None:
    """A model is code (a pickle runs when it loads): one from a file path or another store loads only when
    the user says so."""
    if not uri.startswith(TRACKED_SCHEMES) and not allow_path:
        raise UserError(
            f"{flag} {redact(uri)}: not a registry or run URI (models:/NAME@ALIAS, models:/NAME/VERSION, "
            f"runs:/RUN_ID/model); loading a model runs its code, so a path or another store needs "
            f"--allow-model-path, and only for a model you trust"
        )


def load_model(uri: str) -> LoadedModel:
    """Load a pyfunc model (``models:/name@alias``, ``models:/name/3``, ``runs:/...``) to score with."""
    try:
        model = mlflow.pyfunc.load_model(uri)
    except Exception as e:
        raise UserError(f"cannot load model {redact(uri)!r}: {redact(str(e).splitlines()[0])}") from None
    meta = model.metadata
    name, version = _name_and_version(uri)
    sig = meta.get_input_schema()
    columns = sig.input_names() if sig is not None and sig.has_input_names() else None
    loaded = LoadedModel(uri, model, name, version, meta.run_id, None, columns)
    wrapper = loaded.item_model
    if wrapper is not None:  # imrml's wrapper knows its target, view and classes (p_ names are sanitized)
        loaded.target, loaded.classes = wrapper.target, list(wrapper.classes)
        loaded.required_columns = list(required_columns(wrapper.view))
    return loaded
