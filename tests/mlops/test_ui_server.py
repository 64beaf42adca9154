"""``make ui``'s server: MLflow's own, whose page opens imrml's experiments on Model training, not GenAI."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from imrml.mlops import ui_server
from imrml.mlops.tracking import configure_tracking, ensure_experiment


def test_the_page_sets_model_training_before_the_ui_starts():
    client = ui_server.flask_app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert ui_server.FIRST_CHOICE in page
    # MLflow's scripts are deferred; ours must come first so the UI reads the switch already set
    assert page.index(ui_server.FIRST_CHOICE) < page.index("<script defer")
    assert "localStorage.getItem('mlflow.workflowType_v1')===null" in ui_server.FIRST_CHOICE  # a user's choice stands
    bundle = re.search(r'src="(static-files/[^"]+\.js)"', page).group(1)
    assert client.get("/" + bundle).status_code == 200  # the rest of MLflow's server is unchanged


def test_mlflow_finds_the_app_by_name():
    (app,) = entry_points(group="mlflow.app", name="imrml")
    assert app.load() is ui_server.app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_heading(browser: str, profile: Path, url: str) -> str:
    dom = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
         "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"<h2[^>]*>([^<]+)", dom)
    return found.group(1).strip() if found else dom[-500:]


def _ui(home: Path, store: str, port: int, *app: str) -> subprocess.Popen:
    mlflow = Path(sys.executable).with_name("mlflow")
    cmd = [str(mlflow), "ui", *app, "--backend-store-uri", store, "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    pytest.fail(f"mlflow ui {' '.join(app)} did not answer on port {port} within 90 s")


@pytest.mark.slow
def test_a_bare_experiment_link_opens_on_the_runs_table(tracking_home):
    """In a browser that has never chosen, MLflow's plain server opens an experiment on the GenAI overview and
    ``mlflow ui --app-name imrml`` on its runs table (skipped without a browser)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    store = configure_tracking()
    experiment_id = ensure_experiment("imrml/outcome_case", "outcome")
    headings = {}
    for name, app in (("plain", ()), ("imrml", ("--app-name", "imrml"))):
        port = _free_port()
        server = _ui(tracking_home, store, port, *app)
        try:
            url = f"http://127.0.0.1:{port}/#/experiments/{experiment_id}"
            headings[name] = _first_heading(browser, tracking_home / f"profile-{name}", url)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert headings == {"plain": "Overview", "imrml": "Runs"}
