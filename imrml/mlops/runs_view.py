"""The MLflow UI's runs table as imrml's leaderboard: a saved view of each experiment, and links that open it.

MLflow 3.17's UI picks the page an experiment opens on from its workflow
switch (GenAI | Model training: the URL's ``workflowType`` or the browser's
last choice, GenAI by default; :mod:`.ui_server` makes Model training the
first choice); earlier 3.x UIs read the experiment tag
``mlflow.experimentKind``, which :func:`imrml.mlops.tracking.ensure_experiment`
sets as well. The runs table shows no metric column until a view selects
some, so each imrml experiment carries a saved view ("imrml leaderboard",
listed under the table's Views button; the experiment tag
``mlflow.sharedViewState.imrml-leaderboard``): the data set, the registered
model, the primary metric and its 95% interval first, then the other metrics
and their intervals, the held-out ``test.*`` ones, sorted best first.
:func:`runs_table_url` is the link that opens an experiment on that view.
"""

from __future__ import annotations

import json

from ..learn.experiment import DEFAULT_PRIMARY, GUIDELINE_METRICS, LOWER_IS_BETTER, OUTCOME_METRICS

VIEW_ID = "imrml-leaderboard"
VIEW_TAG = f"mlflow.sharedViewState.{VIEW_ID}"  # the UI's prefix for saved views, then the view's id
VIEW_NAME = "imrml leaderboard"
_CREATED_MS = 1_767_225_600_000  # fixed, so the tag's value changes only when the view does


def _metric_columns(name: str) -> list[str]:
    return [f"metrics.`{name}`", f"metrics.`{name}.ci_low`", f"metrics.`{name}.ci_high`"]


def leaderboard_view(target: str) -> str:
    """The saved view's tag value: MLflow's envelope (name, times, state as a JSON string)."""
    primary = DEFAULT_PRIMARY[target]
    others = [m for m in (OUTCOME_METRICS if target == "outcome" else GUIDELINE_METRICS) if m != primary]
    columns = ["attributes.`Dataset`", "attributes.`Models`", *_metric_columns(primary)]
    for name in others:
        columns += _metric_columns(name)
    columns += _metric_columns(f"test.{primary}")
    state = {
        "selectedColumns": columns,
        "columnOrder": columns,
        "columnWidths": {},
        "runsExpanded": {},
        "runsPinned": [],
        "runsHidden": [],
        "runsVisibilityMap": {},
        "runsHiddenMode": "SHOW_ALL",
        "viewMaximized": False,
        "runListHidden": False,
        "isAccordionReordered": False,
        "groupBy": None,
        "groupsExpanded": {},
        "autoRefreshEnabled": False,
        "useGroupedValuesInCharts": True,
        "hideEmptyCharts": True,
        "searchFilter": "",
        "orderByKey": f"metrics.`{primary}`",
        "orderByAsc": primary in LOWER_IS_BETTER,
        "startTime": "ALL",
        "lifecycleFilter": "Active",
        "datasetsFilter": [],
        "modelVersionFilter": "All Runs",
    }
    return json.dumps(
        {"name": VIEW_NAME, "createdAt": _CREATED_MS, "updatedAt": _CREATED_MS, "state": json.dumps(state)}
    )


def runs_table_url(experiment_id: str, base: str = "http://127.0.0.1:5000") -> str:
    """The link that opens an experiment on its runs table (Model training) with the leaderboard view."""
    return f"{base}/#/experiments/{experiment_id}/runs?workflowType=machine_learning&viewStateShareKey={VIEW_ID}"
