"""The README's real-letter tables: every shipped experiment on the real letters, with 95% intervals.

    .venv/bin/python docs/real_letters.py [LETTERS] [-o data/results/real_letters.json]

LETTERS defaults to $IMRML_SHARED/data/dwc-letters (IMRML_SHARED: ../shared). Each experiment in experiments/ is
measured twice on them: its own split (5-fold StratifiedGroupKFold by letter,
seed 0; pooled out-of-fold metrics) and the split by date (trained on the older
letters, tested on the latest quarter of them). Every metric gets a 95%
bootstrap interval resampling letters. Nothing is logged to MLflow: this is the
measurement behind the tables, written as JSON and printed as Markdown.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

from imrml.learn.cross_validation import cross_validate
from imrml.learn.dataset import make_splits, prepare_dataset
from imrml.learn.evaluation import measured
from imrml.learn.experiment import SplitConfig, load_experiment
from imrml.learn.pipeline import build_pipeline
from imrml.letters.batch import parse_paths

ROOT = Path(__file__).resolve().parents[1]
SPLITS = {"cv": None, "by_date": SplitConfig(kind="by_date", test_fraction=0.25)}


def measure(exp, records, source: str, split: SplitConfig | None) -> dict:
    if split is not None:
        exp = dataclasses.replace(exp, split=split)
    ds = prepare_dataset(records, exp.target, exp.data.min_class_count, source=source)
    splits = make_splits(ds, exp.split)
    t0 = time.perf_counter()
    cv = cross_validate(build_pipeline(exp), exp.target, ds, splits)
    res = measured(exp.target, ds.y[cv.tested], cv.oof_proba[cv.tested], ds.classes, ds.groups[cv.tested])
    return {
        "experiment": exp.name,
        "target": exp.target,
        "view": exp.view,
        "kind": exp.model.kind,
        "split": exp.split.kind,
        "n_items": int(cv.tested.sum()),
        "n_letters": res.n_letters,
        "n_overturned": int((ds.y[cv.tested] == "Overturned").sum()) if exp.target == "outcome" else None,
        "date_cutoff": ds.info.get("date_cutoff"),
        "metrics": res.metrics,
        "intervals": {k: [v.low, v.high] for k, v in res.intervals.items()},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def cell(row: dict, metric: str, interval: bool = True) -> str:
    value = row["metrics"].get(metric)
    if value is None:
        return "-"
    ci = row["intervals"].get(metric)
    return f"{value:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]" if interval and ci else f"{value:.3f}"


def markdown(rows: list[dict]) -> str:
    out = []
    for split in SPLITS:
        out.append(f"\n### split: {split}\n")
        out.append("| target / view | model | bal. acc | ROC-AUC | PR-AUC | recall Ovt | Brier |")
        out.append("|---|---|---|---|---|---|---|")
        for r in rows:
            if r["split"] != ("group_kfold" if split == "cv" else split) or r["target"] != "outcome":
                continue
            out.append(
                f"| {r['target']} / {r['view']} | {r['kind']} | {cell(r, 'balanced_accuracy')} | {cell(r, 'roc_auc')} "
                f"| {cell(r, 'pr_auc')} | {cell(r, 'recall_overturned')} | {cell(r, 'brier', False)} |"
            )
        out.append("\n| target / view | model | accuracy | macro-F1 | top-3 |")
        out.append("|---|---|---|---|---|")
        for r in rows:
            if r["split"] != ("group_kfold" if split == "cv" else split) or r["target"] == "outcome":
                continue
            out.append(
                f"| {r['target']} / {r['view']} | {r['kind']} | {cell(r, 'accuracy')} | {cell(r, 'macro_f1')} "
                f"| {cell(r, 'top3_accuracy', False)} |"
            )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("IMRML_SHARED", ROOT.parent / "shared"))
    ap.add_argument("letters", nargs="?", default=str(shared / "data" / "dwc-letters"))
    ap.add_argument("-o", "--output", default=str(ROOT / "data" / "results" / "real_letters.json"))
    args = ap.parse_args()
    parsed = parse_paths([args.letters])
    print(parsed.summary())
    rows = []
    for path in sorted((ROOT / "experiments").glob("[!_]*.toml")):
        exp = load_experiment(path)
        for split in SPLITS.values():
            row = measure(exp, parsed.records, args.letters, split)
            rows.append(row)
            print(f"{row['experiment']:<45} {row['split']:<12} {row['seconds']:>6.1f} s", flush=True)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(markdown(rows))


if __name__ == "__main__":
    main()
