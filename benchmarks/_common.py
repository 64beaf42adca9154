"""Helpers shared by the benchmarks: where the real letters are, and where results go."""

import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRML_SHARED", ROOT.parent / "shared"))
RESULTS = ROOT / "bench-results"


def best_of(fn, repeat=3):
    """Run fn() `repeat` times; return the fastest wall time in seconds and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def save(name: str, result: dict) -> Path:
    """Write one benchmark's results to bench-results/<name>.json and print them."""
    RESULTS.mkdir(exist_ok=True)
    result = {
        "benchmark": name,
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "python": platform.python_version(),
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return path
