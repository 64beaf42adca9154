"""Worker processes: a file that blows up costs one reject, never the batch, and outcomes keep input order."""

import os
import signal
import subprocess
import sys
import time

from imrml.letters.limits import Limits
from imrml.letters.pool import ParsePool, death_reason
from imrml.letters.worker import Task
from imrml.synth.bombs import write_pdf_bomb


def _tasks(*paths):
    return [Task(p.name, str(p)) for p in paths]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as fh:  # a zombie not yet reaped by its parent is gone too
        return fh.read().split()[2] == "Z"


def test_memory_bombs_are_rejects_naming_the_limit_and_the_batch_goes_on(tmp_path, fixtures_dir):
    # small bombs made here: a 50 MiB page of spaces (~100 MB to load) and 10 MiB of text operators (~150 MB)
    spaces = write_pdf_bomb(tmp_path / "spaces.pdf", "spaces", 50 << 20)
    textops = write_pdf_bomb(tmp_path / "textops.pdf", "textops", 10 << 20)
    good = fixtures_dir / "letter_2016.txt"
    with ParsePool(Limits(max_memory_mb=64), jobs=1) as pool:
        out = list(pool.parse(_tasks(spaces, good, textops, good)))
    assert [o.kind for o in out] == ["reject", "ok", "reject", "ok"]
    for o in (out[0], out[2]):
        assert o.limit == "max_memory_mb" and o.value.startswith(
            "needed more than the 64 MB memory limit (--max-memory-mb"
        )
    assert [len(o.value.items) for o in (out[1], out[3])] == [3, 3]


def test_a_file_past_its_time_is_killed_and_the_next_one_parses(tmp_path, fixtures_dir):
    slow = write_pdf_bomb(tmp_path / "slow.pdf", "textops", 10 << 20)  # about 0.45 s in one PDFium call
    good = fixtures_dir / "letter_2014.txt"
    t0 = time.monotonic()
    with ParsePool(Limits(max_seconds=0.2), jobs=2) as pool:
        out = list(pool.parse(_tasks(good, slow, good)))
    assert [o.kind for o in out] == ["ok", "reject", "ok"]
    assert out[1] == ("reject", "took longer than the 0.2-second limit (--max-seconds)", "max_seconds")
    assert time.monotonic() - t0 < 5


def test_order_holds_with_several_workers_and_recycling(fixtures_dir):
    files = sorted(fixtures_dir.glob("*.txt")) * 4
    with ParsePool(Limits(), jobs=2, recycle=3) as pool:
        out = list(pool.parse(_tasks(*files)))
        pids = [w.proc.pid for w in pool.workers]
    assert [o.value.source_file for o in out] == [f.name for f in files]
    assert all(_gone(pid) for pid in pids)


def test_death_reasons():
    limits = Limits(max_memory_mb=64, max_seconds=2)
    abort = signal.SIGABRT.value  # a wait status of "killed by signal N" is N
    assert death_reason(abort, 70 * 1024, limits, False) == (
        "needed more than the 64 MB memory limit (--max-memory-mb; extraction stopped by SIGABRT at 70 MB)",
        "max_memory_mb",
    )
    assert death_reason(abort, 0, limits, False)[0].endswith("(--max-memory-mb; extraction stopped by SIGABRT)")
    assert death_reason(signal.SIGSEGV.value, 5 * 1024, limits, False) == (
        "PDF extraction crashed (SIGSEGV); the file is probably malformed",
        None,
    )
    assert death_reason(signal.SIGKILL.value, 5 * 1024, limits, True)[1] == "max_seconds"


def test_workers_end_with_a_parent_killed_outright(tmp_path):
    slow = write_pdf_bomb(tmp_path / "slow.pdf", "textops", 10 << 20)
    script = (
        "import sys, time\n"
        "from imrml.letters.pool import ParsePool\n"
        "from imrml.letters.limits import Limits\n"
        "from imrml.letters.worker import Task\n"
        "pool = ParsePool(Limits(max_seconds=600), jobs=1)\n"
        f"it = pool.parse([Task('s.pdf', {str(slow)!r})] * 100)\n"
        "next(it, None)\n"
    )
    # the child prints its worker's pid once the worker holds a task, then waits to be killed
    script += "print(pool.workers[0].proc.pid, flush=True); time.sleep(600)\n"
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    worker_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while not _gone(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(worker_pid)
