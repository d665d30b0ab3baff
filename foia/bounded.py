"""Run untrusted work (a person's letter template) in a forked child with time, memory and output limits.

A Django template cannot be interrupted from inside: nested loops over a long string or `"x"|ljust:10**9`
would hold a web worker for minutes or exhaust its memory. A forked child starts in milliseconds with
everything already imported; the parent waits at most `seconds`, reads at most `max_bytes` of the pickled
result, and kills the child past either. The child never touches the database (it gets plain data).
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class BoundExceeded(Exception):
    """The work took longer, or produced more, than allowed; the text says which."""


def _address_space() -> int:
    """This process's virtual memory size in bytes (the child's limit is set above it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(fn: Callable[[], T], write_fd: int, memory_mb: int) -> None:  # pragma: no cover - runs forked
    try:
        limit = _address_space() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            outcome = ("ok", fn())
        except MemoryError:
            outcome = ("error", BoundExceeded(f"it needs more than {memory_mb} MB of memory"))
        except BaseException as exc:  # noqa: BLE001 - anything goes back to the parent to be raised there
            outcome = ("error", exc)
        try:
            data = pickle.dumps(outcome)
        except Exception as exc:  # noqa: BLE001 - an exception that cannot be pickled
            data = pickle.dumps(("error", BoundExceeded(f"{type(exc).__name__}: {exc}")))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def run_bounded(
    fn: Callable[[], T], *, seconds: float, memory_mb: int = 256, max_bytes: int = 4_000_000
) -> T:
    """fn()'s result, computed in a forked child; its exception is raised here; BoundExceeded past a limit."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        _child(fn, write_fd, memory_mb)
    os.close(write_fd)
    chunks, size, problem = [], 0, ""
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                problem = f"it took longer than {seconds:g} seconds"
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                problem = f"its result is larger than {max_bytes:,} bytes"
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if problem:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if problem:
        raise BoundExceeded(problem)
    if not chunks:
        raise BoundExceeded("it stopped without an answer")
    status, value = pickle.loads(b"".join(chunks))  # noqa: S301 - our own child wrote it
    if status == "error":
        raise value
    return value
