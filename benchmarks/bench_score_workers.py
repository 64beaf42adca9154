"""When do worker processes pay for themselves? `imrml score` with --jobs 1 and --jobs 2 at growing sizes.

Each run is the command a user types, in a fresh process (import, model load, reading, parsing for letters,
scoring, writing), so the workers' start-up (a Python process each that imports MLflow and loads the model)
is counted where it is paid. Inputs: generated letters as text files (parsed on the way), and their true items
as JSONL. The model is the default linear case-view model (experiments/outcome_case_logreg.toml). The size at
which 2 workers become faster than scoring in process is the break-even that `imrml score` uses to decide
(imrml.jobs.score.WORKERS_FROM).

    python benchmarks/bench_score_workers.py [--letters 100 400 1600 4000] [--items 2000 8000 32000 64000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, save

from imrml.jobs.train import train_experiment
from imrml.learn.experiment import load_experiment
from imrml.records.tables import iter_table, write_jsonl
from imrml.synth.corpus import write_corpus

WORK = ROOT / "data" / "bench-score-workers"


def _timed_score(model: str, inputs: Path, jobs: int) -> float:
    out = WORK / "scored.csv"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "imrml", "score", "--model", model, str(inputs), "-o", str(out), "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        env={**os.environ, "IMRML_HOME": str(WORK)},
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, nargs="+", default=[100, 400, 1600, 4000])
    ap.add_argument("--items", type=int, nargs="+", default=[2000, 8000, 32000, 64000])
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = WORK / "corpus"
    if not (corpus / "truth.jsonl").exists():
        write_corpus(corpus, n=max(args.letters), seed=13)
    os.environ["IMRML_HOME"] = str(WORK)
    res = train_experiment(
        load_experiment(ROOT / "experiments" / "outcome_case_logreg.toml"), data=str(corpus / "truth.jsonl")
    )
    model = f"models:/{res.registered_name}/{res.version}"
    letters = sorted((corpus / "letters").iterdir())
    truth = list(iter_table(corpus / "truth.jsonl"))
    rows = []
    for n in args.letters:
        folder = WORK / f"letters-{n}"
        if not folder.exists():
            folder.mkdir()
            for f in letters[:n]:
                shutil.copy(f, folder / f.name)
        n_items = sum(1 for r in truth if Path(r["source_file"]).name in {f.name for f in letters[:n]})
        rows.append(_row("letters", n, n_items, model, folder))
    for n in args.items:
        path = WORK / f"items-{n}.jsonl"
        if not path.exists():
            write_jsonl(
                ({**truth[i % len(truth)], "case_id": f"{truth[i % len(truth)]['case_id']}-{i}"} for i in range(n)),
                path,
            )
        rows.append(_row("items", n, n, model, path))
    save("score-workers", {"data": f"generated letters (seed 13) and their true items; model {model}", "runs": rows})


def _row(kind: str, n: int, n_items: int, model: str, inputs: Path) -> dict:
    one, two = _timed_score(model, inputs, 1), _timed_score(model, inputs, 2)
    print(f"{kind} {n} ({n_items} items): jobs=1 {one:.1f} s, jobs=2 {two:.1f} s", flush=True)
    return {"input": kind, "n": n, "items": n_items, "jobs1_s": round(one, 2), "jobs2_s": round(two, 2)}


if __name__ == "__main__":
    main()
