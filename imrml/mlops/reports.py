"""A report logged to MLflow: its folder as the run's artifacts, its headline numbers as metrics, in the
same tracking store as the models it describes (experiment ``imrml/report``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .tracking import configure_tracking, ensure_experiment

EXPERIMENT = "imrml/report"


def log_report(folder: Path, metrics: dict[str, float], params: dict[str, Any]) -> tuple[str, str]:
    """Log ``folder`` (report.html, tables/, charts/) as one run; returns the run id and the tracking URI."""
    import mlflow

    uri = configure_tracking()
    experiment_id = ensure_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment_id, run_name="report") as run:
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        mlflow.set_tag("mlflow.note.content", "imrml report: open artifacts/report.html")
        mlflow.log_artifacts(str(folder))
    return run.info.run_id, uri
