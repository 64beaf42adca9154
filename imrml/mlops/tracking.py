"""Where MLflow tracks: a sqlite file in the project folder, or the server MLFLOW_TRACKING_URI names.

Defaults that need nothing: ``sqlite:///<project>/mlflow.db`` with artifacts in
``<project>/mlartifacts`` (project = ``IMRML_HOME`` or the current folder).
A ``MLFLOW_TRACKING_URI`` in the environment (e.g. ``http://mlflow:5000`` for a
PostgreSQL-backed tracking server) is honoured unchanged, and the server's own
artifact store is used (a ``sqlite:///`` URI keeps artifacts in ``mlartifacts``
beside the database file, not in the current folder).

MLflow is imported by the functions that use it: jobs that only need the project folder (``imrml labels``
through the corpus reader) import this module and need not pay MLflow's import (1.5 s here).
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path

from .runs_view import VIEW_TAG, leaderboard_view

_QUIET = False
# MLflow's own advisories that tell an imrml user nothing they could act on (UserWarnings, shown by default).
# Every other warning shows: MLflow's deprecation notes (DeprecationWarning) only where Python shows those.
MLFLOW_NOISE = (
    # logging the items as a training or test data set: MLflow's registry of data set sources holds the local
    # artifact source twice and warns that it cannot tell them apart
    "The specified dataset source can be interpreted in multiple ways",
    # inferring the schema of the items (the data set a run logs, the precedents' input example): their integer
    # column, item_index, is never missing, and the models' signatures are written out, not inferred
    "Hint: Inferred schema contains integer column",
)
# MLflow 3's UI opens an experiment on the page its kind selects; this value selects classic model training
# (the runs table), where an experiment without it may open on the GenAI overview (traces, tokens).
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MODEL_TRAINING_KIND = "custom_model_development"


def project_home() -> Path:
    return Path(os.environ.get("IMRML_HOME") or os.getcwd()).resolve()


def quiet_mlflow() -> None:
    """Silence MLflow's migration logs and the advisories of MLFLOW_NOISE (once)."""
    global _QUIET
    if _QUIET:
        return
    _QUIET = True
    for name in (
        "alembic",
        "mlflow",
        "mlflow.store",
        "mlflow.tracking",
        "mlflow.models",
        "mlflow.pyfunc",
        "mlflow.utils",
        "mlflow.system_metrics",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    for message in MLFLOW_NOISE:
        warnings.filterwarnings("ignore", message=re.escape(message), category=UserWarning, module=r"mlflow\.")
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")


def configure_tracking() -> str:
    """Point MLflow at the tracking store; return its URI."""
    import mlflow

    quiet_mlflow()
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(os.environ.get("MLFLOW_REGISTRY_URI", uri))
        return uri
    home = project_home()
    uri = f"sqlite:///{home / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def artifact_root() -> Path | None:
    """Where new experiments keep artifacts: beside a local sqlite store, else the server's choice (None)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        return project_home() / "mlartifacts"
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///") :])
        return (db if db.is_absolute() else Path.cwd() / db).resolve().parent / "mlartifacts"
    return None


def lock_dir() -> Path:
    """Where locks live (promotions of one model are serialized by one): beside a local sqlite store, else in the
    project folder (a tracking server's clients on one machine)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri and uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///") :])
        return (db if db.is_absolute() else Path.cwd() / db).resolve().parent / ".imrml-locks"
    return project_home() / ".imrml-locks"


def ensure_experiment(name: str, target: str | None = None) -> str:
    """The MLflow experiment's id, created if needed (local store: artifacts under mlartifacts/), marked as
    model training, and for a ``target`` with the leaderboard view of its runs table (:mod:`.runs_view`)."""
    import mlflow

    client = mlflow.MlflowClient()
    wanted = {EXPERIMENT_KIND_TAG: MODEL_TRAINING_KIND}
    if target is not None:
        wanted[VIEW_TAG] = leaderboard_view(target)
    exp = client.get_experiment_by_name(name)
    if exp is None:
        root = artifact_root()
        location = None if root is None else (root / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)).as_uri()
        return client.create_experiment(name, artifact_location=location, tags=wanted)
    if exp.lifecycle_stage == "deleted":
        client.restore_experiment(exp.experiment_id)
    for key, value in wanted.items():
        if exp.tags.get(key) != value:
            client.set_experiment_tag(exp.experiment_id, key, value)
    return exp.experiment_id
