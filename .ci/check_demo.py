"""What `make demo` must leave on a fresh clone: its files, the marker that says its letters are generated, and a
champion for every registered model, tagged as trained on generated letters."""

import csv
import json
from pathlib import Path

import mlflow

for f in (
    "data/demo/scored.csv",
    "data/demo/items.jsonl",
    "data/demo/corpus/truth.jsonl",
    "mlflow.db",
    "data/demo/report/report.html",
    "data/demo/report/tables/corpus.csv",
    "data/demo/report/charts/monthly.svg",
    "data/demo/GENERATED.json",
    "data/demo/corpus/GENERATED.json",
):
    assert Path(f).is_file() and Path(f).stat().st_size, f"missing or empty: {f}"
assert "not real" in json.loads(Path("data/demo/GENERATED.json").read_text())["note"], "the marker says nothing"
mlflow.set_tracking_uri("sqlite:///mlflow.db")
client = mlflow.MlflowClient()
names = sorted(m.name for m in client.search_registered_models())
expected = {f"{t}_{v}" for t in ("outcome", "guideline_family", "guideline_topic") for v in ("case", "rationale")}
assert expected <= set(names), f"registered models {names} lack {expected - set(names)}"
for name in names:
    champion = client.get_model_version_by_alias(name, "champion")
    # a champion of generated letters must say so, or it would block a model of real letters from promotion
    assert champion.tags.get("data_origin") == "generated", f"{name} v{champion.version}: {champion.tags}"
    print(f"  {name}: champion v{champion.version} (trained on {champion.tags['data_origin']} letters)")
rows = list(csv.DictReader(Path("data/demo/scored.csv").read_text().splitlines()))
assert rows and {"prediction", "p_overturned", "model_name"} <= set(rows[0]), "scored.csv lacks its columns"
print(f"  scored.csv: {len(rows)} rows")
corpus = next(csv.DictReader(Path("data/demo/report/tables/corpus.csv").read_text().splitlines()))
items = sum(1 for line in Path("data/demo/items.jsonl").read_text().splitlines() if line.strip())
assert int(corpus["items"]) == items, f"the report counts {corpus['items']} items of {items}"
print(f"  report: {corpus['letters']} letters, {corpus['items']} items")
