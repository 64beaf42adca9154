"""Scoring throughput and memory: `imrml score` on 10k, 100k and 1M generated items.

The model is the default linear case-view model (experiments/outcome_case_logreg.toml)
trained on a generated corpus; the items are generated letters' true items (parsed-item
records), repeated with fresh case ids up to each size and stored as Parquet. Each size
is scored in a fresh process so its peak RSS is its own. The reference is the bare
fitted pipeline's predict_proba on the same items already in memory (10k items).

`imrml score` uses one worker process per core (2 here); the bare reference is one process.
Targets (issue 6): >= 5,000 items/s from parsed items, within 1.5 x bare predict_proba;
peak memory at 1M items <= 1.5 x that at 100k.

    python benchmarks/bench_score.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _common import ROOT, SHARED, best_of, own_peak_rss_mb, save

from imrml.jobs.score import model_input_frame, score
from imrml.jobs.train import train_experiment
from imrml.learn.experiment import load_experiment
from imrml.letters.batch import parse_paths
from imrml.mlops.registry import load_model
from imrml.mlops.tracking import configure_tracking
from imrml.records.tables import iter_table
from imrml.synth.corpus import write_corpus

WORK = ROOT / "data" / "bench-score"


def build_inputs(sizes: list[int]) -> dict[int, Path]:
    corpus = WORK / "corpus"
    if not (corpus / "truth.jsonl").exists():
        write_corpus(corpus, n=5000, seed=11)
    base = list(iter_table(corpus / "truth.jsonl"))
    paths = {}
    for n in sizes:
        path = WORK / f"items-{n}.parquet"
        paths[n] = path
        if path.exists():
            continue
        writer = None
        tmp = path.with_suffix(".part")
        written = 0
        rep = 0
        while written < n:
            rows = []
            for r in base[: n - written]:
                rows.append({**r, "case_id": f"{r['case_id']}-{rep}"})
            table = pa.Table.from_pylist(rows)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
            written += len(rows)
            rep += 1
        writer.close()
        os.replace(tmp, path)
    return paths


def train_model() -> str:
    os.environ["IMRML_HOME"] = str(WORK)
    exp = load_experiment(ROOT / "experiments" / "outcome_case_logreg.toml")
    res = train_experiment(exp, data=str(WORK / "corpus" / "truth.jsonl"))
    return f"models:/{res.registered_name}/{res.version}"


def score_one(uri: str, path: str, out: str) -> dict:
    """Run in a child process: score ``path`` and report time and peak memory."""
    configure_tracking()
    model = load_model(uri)
    t0 = time.perf_counter()
    result = score(model, [path], out)
    seconds = time.perf_counter() - t0
    # the parent reads and writes; the workers (one per core) hold the model and score
    return {
        "items": result.n_scored,
        "seconds": round(seconds, 2),
        "items_per_s": round(result.n_scored / seconds, 1),
        "peak_rss_mb": round(own_peak_rss_mb(), 1),
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def bare_predict_proba(uri: str, path: Path, n: int = 10_000) -> float:
    """items/s of the fitted pipeline's predict_proba on items already in memory."""
    configure_tracking()
    rows = pq.read_table(path).slice(0, n).to_pylist()
    frame = model_input_frame(rows)
    pipe = load_model(uri).item_model.fitted
    seconds, _ = best_of(lambda: pipe.predict_proba(frame), repeat=3)
    return len(rows) / seconds


def real_letters_predict_proba(uri: str) -> dict | None:
    """The same model's bare predict_proba on the real letters' items (../shared), each call a fresh transform.

    Real case summaries differ from generated ones in length and wording; this is the
    number that says how fast the features run on real text (262 items: a small sample).
    """
    folder = SHARED / "data" / "dwc-letters"
    if not folder.exists():
        return None
    rows = [r.to_dict() for r in parse_paths([folder]).records]
    frame = model_input_frame(rows)
    configure_tracking()
    pipe = load_model(uri).item_model.fitted
    seconds, _ = best_of(lambda: pipe.predict_proba(frame), repeat=5)
    return {
        "data": f"{len(rows)} items of {len({r['case_id'] for r in rows})} real letters, {folder}",
        "bare_predict_proba_items_per_s": round(len(rows) / seconds, 1),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--child", nargs=3, metavar=("URI", "INPUT", "OUTPUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(score_one(*args.child)))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ["IMRML_HOME"] = str(WORK)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    paths = build_inputs(args.sizes)
    uri = train_model()
    bare = bare_predict_proba(uri, paths[min(args.sizes)])
    real = real_letters_predict_proba(uri)
    runs = {}
    for n, path in sorted(paths.items()):
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", uri, str(path), f"{tmp}/scored.parquet"],
                capture_output=True,
                text=True,
                env={**os.environ, "IMRML_HOME": str(WORK)},
            )
        if proc.returncode != 0:
            sys.exit(f"scoring {n} items failed:\n{proc.stderr[-3000:]}")
        runs[n] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{n:>9} items: {runs[n]}", file=sys.stderr)
    biggest = max(runs)
    rate = runs[biggest]["items_per_s"]
    result = {
        "data": "generated items (5,000 generated letters' true items, repeated with new case ids), Parquet",
        "model": uri + " (outcome_case_logreg.toml: logistic regression, case view)",
        "runs": {str(k): v for k, v in runs.items()},
        "bare_predict_proba_items_per_s": round(bare, 1),
        "score_over_bare_time": round(bare / rate, 2),
        "real_letters": real or "../shared absent: no real-letter reference",
        "targets": {"items_per_s": ">= 5000", "score_over_bare_time": "<= 1.5", "peak_rss_1M_over_100k": "<= 1.5"},
    }
    if 100_000 in runs and 1_000_000 in runs:
        result["peak_rss_1M_over_100k"] = round(runs[1_000_000]["peak_rss_mb"] / runs[100_000]["peak_rss_mb"], 2)
        result["worker_peak_rss_1M_over_100k"] = round(
            runs[1_000_000]["worker_peak_rss_mb"] / runs[100_000]["worker_peak_rss_mb"], 2
        )
    save("score", result)


if __name__ == "__main__":
    main()
