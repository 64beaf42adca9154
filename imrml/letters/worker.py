"""A parse worker: a process that parses the letter files it is sent, one at a time, under the per-file limits.

Started by :mod:`imrml.letters.pool` as ``python -m imrml.letters.worker LIMITS_JSON`` (a fresh interpreter, not
a fork: a forked copy of a parent with threads, such as a progress bar's, can deadlock on a lock held at the
fork). It caps its own address space at its size after its imports plus ``max_memory_mb``: a decompression
bomb makes PDFium's allocation fail and PDFium abort, which ends this process and nothing else. It ends when
the pool closes its input, and with its parent if that dies first.

Both directions carry length-prefixed pickles: in, a :class:`Task`; out, first ``READY`` (once its imports
are done, so that they do not count against the first file's time), then an :class:`Outcome` per task.
:func:`outcome` is also what runs in process for a small input of text letters.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import signal
import struct
import sys
from pathlib import Path
from typing import NamedTuple

from ..records.schema import Letter
from .errors import LetterError
from .limits import Limits
from .parse import parse_bytes, parse_letter

HEADER = struct.Struct("<Q")  # the length of the pickle that follows
READY = "ready"


class Task(NamedTuple):
    """One letter to parse: a file by its path, or a file's contents (``data``) named ``source_file``."""

    source_file: str
    path: str | None = None
    data: bytes | None = None


class Outcome(NamedTuple):
    """What became of one task: ``("ok", Letter)`` or ``("reject", reason)``; ``limit`` names the per-file
    limit a reject passed (None for any other reason)."""

    kind: str
    value: Letter | str
    limit: str | None = None


def outcome(task: Task, limits: Limits) -> Outcome:
    """Parse one task; every failure, a parser bug included, is a reject with its reason, never an exception."""
    try:
        if task.data is not None:
            return Outcome("ok", parse_bytes(task.data, task.source_file, limits))
        return Outcome("ok", parse_letter(Path(task.path), task.source_file, limits))
    except LetterError as e:
        return Outcome("reject", str(e), getattr(e, "limit", None))
    except MemoryError:
        return Outcome("reject", limits.reason("max_memory_mb", "out of memory while parsing"), "max_memory_mb")
    except OSError as e:
        return Outcome("reject", f"cannot read: {e.strerror or e}")
    except RecursionError:
        return Outcome("reject", "letter structure too deeply nested to parse")
    except Exception as e:  # a parser bug: one reject for this file, and the batch goes on
        return Outcome("reject", f"internal error while parsing ({type(e).__name__}: {e})")


def frame(obj) -> bytes:
    """``obj`` as one message: its pickle's length, then the pickle."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_exactly(fd: int, n: int) -> bytes | None:
    """``n`` bytes from a blocking ``fd``, or None when it closes first."""
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int):
    """The next message from a blocking ``fd``, or None when it closes."""
    head = read_exactly(fd, HEADER.size)
    if head is None:
        return None
    body = read_exactly(fd, HEADER.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def address_space() -> int:
    """This process's address-space size in bytes (VmSize), 0 where /proc is absent."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cap_address_space(max_memory_mb: int) -> None:
    """RLIMIT_AS at the present size + ``max_memory_mb`` (not enforced on macOS; the deadline still is)."""
    cap = address_space() + max_memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def end_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (prctl PR_SET_PDEATHSIG), so that no worker
    outlives a parent killed with SIGKILL. Elsewhere the closed pipe ends it at its next read."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def serve(limits: Limits, rfd: int, wfd: int) -> int:
    """Answer every task read from ``rfd`` on ``wfd`` until ``rfd`` closes."""
    import pypdfium2  # noqa: F401  loaded before the cap, so that the budget is the files' alone

    cap_address_space(limits.max_memory_mb)
    write_all(wfd, frame(READY))
    while True:
        task = read_message(rfd)
        if task is None:
            return 0
        answer = outcome(task, limits)
        write_all(wfd, frame(answer))
        if answer.limit == "max_memory_mb":
            return 0  # a MemoryError may leave this process half broken: the pool starts a fresh one


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes our input
    end_with_parent()
    answers = os.dup(1)
    os.dup2(2, 1)  # a stray print must not corrupt the answers
    try:
        return serve(Limits.from_json(argv[1]), 0, answers)
    except BrokenPipeError:  # the pool ended before it needed this worker: nothing to say
        return 0


if __name__ == "__main__":
    # run as the imported module, not as __main__: the answers' classes must unpickle in the parent
    from imrml.letters.worker import main as serve_tasks

    sys.exit(serve_tasks(sys.argv))
