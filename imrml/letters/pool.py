"""Parse worker processes: isolation from a file that blows up, and parallel parsing, in one mechanism.

:class:`ParsePool` keeps up to ``jobs`` workers (:mod:`imrml.letters.worker`), sends each at most
``DEPTH`` tasks at a time and yields outcomes in input order. Per task it keeps a wall-clock deadline
(``max_seconds`` from when the worker starts on it): a worker past it is killed. A worker that dies (killed
for time, PDFium aborting under the address-space cap, a crash in PDFium) is reaped, its task becomes a
reject naming the limit or the crash, its other tasks go to the next worker, and a fresh worker takes its
place: one file never takes the batch with it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import select
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator

from .limits import DEFAULT_LIMITS, Limits
from .worker import HEADER, READY, Outcome, Task, frame, write_all

DEPTH = 2  # tasks a worker holds at once: the next one is ready while the parent is busy
RECYCLE = 1_000  # files a worker parses before a fresh one replaces it (against fragmentation and leaks)
WINDOW_PER_JOB = 32  # tasks ahead of the next one yielded, per worker: bounds what waits to be yielded in order
STARTUP_SECONDS = 60.0  # a worker not ready by then (its imports hung) is ended like one past its deadline


class _Worker:
    """One worker process and the tasks it holds, oldest first."""

    def __init__(self, limits: Limits):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "imrml.letters.worker", limits.to_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # the terminal's Ctrl-C goes to the parent, which ends the workers
        )
        # Linux hands a process started by (v)fork + exec its parent's peak RSS as its own starting peak: a
        # worker's reported peak is its own only when it is above this
        self.inherited_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.rfd = self.proc.stdout.fileno()
        os.set_blocking(self.rfd, False)
        self.buffer = bytearray()
        self.held: deque[int] = deque()  # task numbers
        self.ready = False  # imports done: the first task's time starts then
        self.head_since = time.monotonic()  # when the worker started on held[0] (or was started)
        self.sent = 0

    def send(self, number: int, task: Task) -> None:
        write_all(self.proc.stdin.fileno(), frame(task))
        if not self.held and self.ready:
            self.head_since = time.monotonic()
        self.held.append(number)
        self.sent += 1

    def late(self, now: float, max_seconds: float) -> bool:
        """True when the task it is on (or its start) is past its deadline."""
        if not self.ready:
            return now - self.head_since > STARTUP_SECONDS
        return bool(self.held) and now - self.head_since > max_seconds

    def answers(self) -> list[Outcome] | None:
        """The answers complete so far (oldest first), or None when the worker's output has closed."""
        try:
            chunk = os.read(self.rfd, 1 << 20)
        except BlockingIOError:
            chunk = b""
        else:
            if not chunk:
                return None
        self.buffer += chunk
        out = []
        while len(self.buffer) >= HEADER.size:
            size = HEADER.unpack_from(self.buffer)[0]
            if len(self.buffer) < HEADER.size + size:
                break
            message = pickle.loads(self.buffer[HEADER.size : HEADER.size + size])
            del self.buffer[: HEADER.size + size]
            if message == READY:
                self.ready, self.head_since = True, time.monotonic()
            else:
                out.append(message)
        return out

    def stop(self, kill: bool = False) -> tuple[int, int]:
        """End the worker (closing its input ends it; ``kill`` ends it at once); its wait status and its own
        peak RSS in KB (0 when it stayed below the peak it inherited, so unknown but smaller than that)."""
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        self.proc.stdout.close()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        return status, usage.ru_maxrss if usage.ru_maxrss > self.inherited_peak_kb else 0


def death_reason(status: int, peak_rss_kb: int, limits: Limits, timed_out: bool) -> tuple[str, str | None]:
    """(reason, limit) for a worker that died without answering.

    PDFium aborts (SIGABRT, no message) when an allocation fails under the address-space cap, so SIGABRT, or
    any signal once the worker grew past a quarter of its budget, is the memory limit. A small worker killed by
    another signal (SIGSEGV, SIGILL, SIGBUS) crashed on its own: a malformed file. ``peak_rss_kb`` is 0 when
    unknown.
    """
    if timed_out:
        return limits.reason("max_seconds"), "max_seconds"
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status))
        if sig == signal.SIGABRT or peak_rss_kb * 1024 >= limits.max_memory_mb * 1024 * 1024 // 4:
            at = f" at {peak_rss_kb // 1024} MB" if peak_rss_kb else ""
            return limits.reason("max_memory_mb", f"extraction stopped by {sig.name}{at}"), "max_memory_mb"
        return f"PDF extraction crashed ({sig.name}); the file is probably malformed", None
    return f"the parse worker exited with status {os.WEXITSTATUS(status)} without an answer", None


class ParsePool:
    """Up to ``jobs`` worker processes parsing tasks under ``limits``; :meth:`parse` yields outcomes in input
    order. Use it as a context manager, so that its workers end with it."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, jobs: int = 1, recycle: int = RECYCLE):
        self.limits = limits
        self.jobs = max(1, jobs)
        self.recycle = recycle
        self.workers: list[_Worker] = []
        self.worker_peak_rss_kb = 0  # the largest known peak RSS of the workers ended so far

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for w in self.workers:
            self._end(w, kill=bool(w.held))
        self.workers = []

    def _end(self, w: _Worker, kill: bool = False) -> tuple[int, int]:
        status, peak = w.stop(kill)
        self.worker_peak_rss_kb = max(self.worker_peak_rss_kb, peak)
        return status, peak

    def parse(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        """The outcome of every task, in the order given; tasks are read from ``tasks`` as workers free up."""
        source = enumerate(tasks)
        retry: deque[tuple[int, Task]] = deque()  # tasks of a worker that died holding them
        held: dict[int, Task] = {}
        done: dict[int, Outcome] = {}
        next_out, exhausted = 0, False
        window = WINDOW_PER_JOB * self.jobs
        while True:
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            # hand out tasks while a worker has room and the window allows
            while True:
                w = self._free_worker()
                if w is None:
                    break
                if retry:
                    number, task = retry.popleft()
                elif not exhausted and len(held) + len(done) < window:
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        continue
                    number, task = item
                else:
                    break
                held[number] = task
                try:
                    w.send(number, task)
                except BrokenPipeError:  # died between tasks: its held tasks go again
                    self._bury(w, held, retry, done, timed_out=False)
                    retry.appendleft((number, task))
                    del held[number]
            if not held:
                if exhausted and not retry:
                    return
                continue
            self._wait(held, retry, done)

    def _free_worker(self) -> _Worker | None:
        """A worker with room for a task (starting one if fewer than ``jobs`` run), least loaded first."""
        for w in list(self.workers):
            if not w.held and w.sent >= self.recycle:
                self._end(w)
                self.workers.remove(w)
        room = [w for w in self.workers if len(w.held) < DEPTH and w.sent < self.recycle]
        if len(self.workers) < self.jobs and not any(not w.held for w in room):
            w = _Worker(self.limits)
            self.workers.append(w)
            return w
        return min(room, key=lambda w: len(w.held)) if room else None

    def _wait(self, held: dict[int, Task], retry: deque, done: dict[int, Outcome]) -> None:
        """Wait for an answer or a deadline; file what came in."""
        busy = [w for w in self.workers if w.held]
        deadline = min(w.head_since + (self.limits.max_seconds if w.ready else STARTUP_SECONDS) for w in busy)
        ready, _, _ = select.select([w.rfd for w in busy], [], [], max(0.0, deadline - time.monotonic()))
        now = time.monotonic()
        for w in busy:
            if w.rfd in ready:
                answers = w.answers()
                if answers is None:
                    self._bury(w, held, retry, done, timed_out=False)
                    continue
                for answer in answers:
                    number = w.held.popleft()
                    del held[number]
                    done[number] = answer
                    w.head_since = now
            if w in self.workers and w.late(time.monotonic(), self.limits.max_seconds):
                self._bury(w, held, retry, done, timed_out=True)

    def _bury(self, w: _Worker, held: dict[int, Task], retry: deque, done: dict[int, Outcome], timed_out: bool):
        """End a worker that died or ran out of time: its first task is a reject, the others go again."""
        status, peak = self._end(w, kill=True)
        self.workers.remove(w)
        if not w.held:
            return
        first = w.held.popleft()
        reason, limit = death_reason(status, peak, self.limits, timed_out)
        done[first] = Outcome("reject", reason, limit)
        del held[first]
        for number in reversed(w.held):
            retry.appendleft((number, held.pop(number)))
