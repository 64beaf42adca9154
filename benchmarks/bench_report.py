"""The report at scale: `imrml report` over 1,000,000 generated items, wall time and peak memory.

Data: `imrml synth -n 50000 --seed 7` (50,000 generated letters, about 105,600 true items), written to a
Parquet dataset 10 times over with `-R<k>` appended to each case id and source file (k = 0..9): about
1,056,000 items in 500,000 letters, 10 files, as `imrml parse -o x.parquet` writes them (dates as ISO
strings, lists as lists). Replicas repeat the same item texts, so there are far fewer distinct requests than
in a million real items (the report labels each distinct text and citation once); the number is in the results.

Each run is `imrml report DATASET -o OUT [--by year]` in a fresh process: its wall time covers starting
Python, imports, reading, every table, every chart and writing the files; its peak RSS is that process's
(VmHWM, ``_common.imrml``). Runs are sequential. Targets (issue 14): under 60 s and under 2 GB.

The ``engines`` step measures the engine choice behind the report: the same eight core tables (by month, family,
topic, the agreement matrix, timing by priority, items per letter, top requests, specialties) from pandas on
pyarrow (the report's engine), DuckDB and polars, each in a fresh process over the same dataset
(``report_engines.py``): seconds and peak RSS, and whether all engines' tables are equal. Only the engines
installed are measured (``pip install duckdb polars``; neither is an imrml dependency).

    python benchmarks/bench_report.py [--letters 50000] [--copies 10] [--repeat 2] [--only report|engines]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq
from _common import ROOT, SHARED, imrml, save

from imrml.synth.corpus import write_corpus

WORK = ROOT / "data" / "bench-report"
TARGET_S, TARGET_MB = 60, 2048


def build_dataset(letters: int, copies: int) -> tuple[Path, dict]:
    """The replicated Parquet dataset (made once), and what it holds."""
    corpus = WORK / f"gen{letters}"
    if not (corpus / "truth.jsonl").exists():
        print(f"generating {letters:,} letters into {corpus} ...", flush=True)
        write_corpus(corpus, n=letters, seed=7)
    out = WORK / f"items-{letters}x{copies}"
    if not out.exists():
        table = pj.read_json(corpus / "truth.jsonl", read_options=pj.ReadOptions(block_size=1 << 26))
        for name in ("decision_date", "date_assigned", "ur_denial_date", "application_received", "date_of_injury"):
            i = table.schema.get_field_index(name)
            if pa.types.is_timestamp(table.schema.field(i).type):  # JSON inference made them timestamps
                table = table.set_column(i, name, pc.strftime(table.column(i), format="%Y-%m-%d"))
        tmp = out.with_name(out.name + ".part")
        tmp.mkdir(parents=True, exist_ok=True)
        for k in range(copies):
            t = table
            for col in ("case_id", "source_file"):
                i = t.schema.get_field_index(col)
                t = t.set_column(i, col, pc.binary_join_element_wise(t.column(col), pa.scalar(f"-R{k}"), ""))
            pq.write_table(t, tmp / f"part-{k:02d}.parquet")
        os.replace(tmp, out)
    dataset = pq.read_table(out, columns=["case_id", "item"])
    info = {
        "items": dataset.num_rows,
        "letters": pc.count_distinct(dataset.column("case_id")).as_py(),
        "distinct_item_texts": pc.count_distinct(dataset.column("item")).as_py(),
        "files": len(list(out.glob("*.parquet"))),
        "megabytes": round(sum(f.stat().st_size for f in out.glob("*.parquet")) / 1e6),
        "source": f"imrml synth -n {letters} --seed 7, replicated {copies} times with new case ids",
    }
    return out, info


def run(dataset: Path, by: str | None, name: str | None = None) -> dict:
    """One `imrml report` in a fresh process: wall seconds, CPU seconds and its own peak RSS."""
    out = WORK / f"report-{name or by or 'all'}"
    wall, stdout, mem = imrml("report", str(dataset), "-o", str(out), *(["--by", by] if by else []))
    return {
        "wall_s": round(wall, 2),
        "cpu_s": mem["cpu_s"],
        "peak_rss_mb": mem["self_mb"],
        "page_kb": round((out / "report.html").stat().st_size / 1024),
        "output": stdout.strip().splitlines()[-1],
    }


def engine_rows(dataset: Path, repeat: int) -> dict:
    """Each installed engine's core tables over ``dataset`` in a fresh process: best seconds, peak RSS, digests."""
    script = Path(__file__).with_name("report_engines.py")
    runs = {}
    for engine in ("pandas", "duckdb", "polars"):  # each engine's module has its name
        if importlib.util.find_spec(engine) is None:
            runs[engine] = "not installed"
            continue
        out = [
            json.loads(subprocess.run([sys.executable, str(script), engine, str(dataset)], capture_output=True,
                                      text=True, check=True).stdout.splitlines()[-1])
            for _ in range(repeat)
        ]  # fmt: skip
        runs[engine] = {
            "seconds": min(r["seconds"] for r in out),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in out),
            "digests": out[0]["digests"],
        }
        print(f"engine {engine}: {runs[engine]['seconds']} s, {runs[engine]['peak_rss_mb']} MB", flush=True)
    measured = [r for r in runs.values() if isinstance(r, dict)]
    return {
        "tables": "month, family, topic, agreement, timing, per_letter, requests, specialty (report_engines.py)",
        "same_tables": all(r["digests"] == measured[0]["digests"] for r in measured),
        "runs": runs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=50_000)
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--only", choices=["report", "engines"], help="run one step (default: both)")
    a = ap.parse_args()
    dataset, info = build_dataset(a.letters, a.copies)
    print(f"data: {info}", flush=True)
    if a.only == "engines":
        save("report-engines", {"data": info, "engines": engine_rows(dataset, a.repeat)})
        return
    results = []
    for by in (None, "year"):
        runs = [run(dataset, by) for _ in range(a.repeat)]
        for r in runs:
            print(f"--by {by or '-'}: {r['wall_s']} s, {r['peak_rss_mb']} MB", flush=True)
        best = min(runs, key=lambda r: r["wall_s"])
        results.append(
            {
                "by": by,
                "best_wall_s": best["wall_s"],
                "cpu_s": best["cpu_s"],
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                "page_kb": best["page_kb"],
                "runs": runs,
                "within_targets": best["wall_s"] < TARGET_S and max(r["peak_rss_mb"] for r in runs) < TARGET_MB,
            }
        )
    real = SHARED / "data" / "dwc-letters"
    reference = run(real, None, "real-letters") if real.is_dir() else "../shared absent: no real-letter reference"
    engines = engine_rows(dataset, a.repeat) if a.only is None else "not run (--only report)"
    save(
        "report",
        {
            "data": info,
            "targets": {"wall_s": TARGET_S, "peak_rss_mb": TARGET_MB},
            "results": results,
            "real_letters_reference": {"data": f"the real letters, parsed on the way: {real}", "run": reference},
            "engines": engines,
            "note": "2-core machine shared with other work; one run at a time",
        },
    )


if __name__ == "__main__":
    main()
