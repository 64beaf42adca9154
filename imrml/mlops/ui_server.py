"""The MLflow UI that ``make ui`` serves: MLflow's own server, opening imrml's experiments on Model training.

MLflow 3.17's UI takes the page an experiment opens on from its switch at the top left, GenAI | Model
training: the URL's ``workflowType``, else the browser's last choice (local storage), else GenAI; the
experiment tag ``mlflow.experimentKind`` that earlier 3.x UIs read no longer decides it. So a bare link to an
imrml experiment, or a click in the experiments list, opened on the GenAI overview (traces, tokens). This
app is MLflow's server with one change: its page sets the switch to Model training in a browser that has
never chosen; a choice the user makes on the switch stands. Run it with ``mlflow ui --app-name imrml``
(the ``mlflow.app`` entry point in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

from flask import Response
from mlflow.server import app as flask_app
from mlflow.server.fastapi_app import app

__all__ = ["app"]

# The UI's local-storage key for the switch (its useLocalStorage hook stores "<key>_v<version>", as JSON).
WORKFLOW_KEY = "mlflow.workflowType_v1"
MODEL_TRAINING = '"machine_learning"'
FIRST_CHOICE = (
    f"<script>try{{if(localStorage.getItem('{WORKFLOW_KEY}')===null)"
    f"localStorage.setItem('{WORKFLOW_KEY}','{MODEL_TRAINING}')}}catch(e){{}}</script>"
)


def page_with_model_training(html: str) -> str:
    """MLflow's page with the first-choice script ahead of the UI's own (its scripts are deferred, so this
    runs first)."""
    return html.replace("<head>", "<head>" + FIRST_CHOICE, 1)


def _serve_page(mlflow_serve):
    def serve():
        page = Path(flask_app.static_folder) / "index.html"
        if not page.is_file():
            return mlflow_serve()  # MLflow's own message for an installation without its UI build
        return Response(page_with_model_training(page.read_text(encoding="utf-8")), mimetype="text/html")

    return serve


flask_app.view_functions["serve"] = _serve_page(flask_app.view_functions["serve"])
