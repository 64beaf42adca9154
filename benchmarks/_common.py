"""Helpers shared by the benchmarks: where the real letters are, and where results go."""

import json
import os
import platform
import subprocess
import sys
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


def own_peak_rss_mb() -> float:
    """This process's own peak RSS in MB (VmHWM). ru_maxrss is no use in a child here: Linux starts it from the
    peak of the process that forked it (a benchmark driver, with its million-item inputs)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024


def imrml(*args: str) -> tuple[float, str, dict]:
    """Run the imrml command in a fresh process: (seconds, its stdout, and in MB or s: its own peak RSS, its
    CPU time, its workers' peak RSS; the workers' is the kernel's count, which starts from their parent's peak, so it
    is an upper bound)."""
    script = (
        "import json, resource, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from _common import own_peak_rss_mb\n"
        "from imrml.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "me = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'rc': rc, 'self_mb': int(own_peak_rss_mb()), 'cpu_s': round(me.ru_utime + me.ru_stime, 2), "
        "'workers_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}))\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    *out, last = proc.stdout.strip().splitlines()
    return seconds, "\n".join(out), json.loads(last)
