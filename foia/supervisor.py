"""Keeps `make run`'s web server, Celery worker and beat running: restart with backoff, status for /healthz.

The supervisor (foia/management/commands/devserver.py) restarts a child that exits after 1, 2, 4 ... at most
30 seconds (back to 1 s once a child has run for a minute), logs each exit and restart, and writes
VAR_DIR/devserver-status.json, which /healthz shows. Each child runs in its own session, so a Ctrl-C in the
terminal reaches only the supervisor, which then stops all of them in order; on Linux a child is also told to
exit if the supervisor itself is killed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.utils import timezone

logger = logging.getLogger("foia.devserver")

BACKOFF_MAX_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0  # a child that ran this long before exiting restarts after 1 s again
STATUS_EVERY_SECONDS = 5.0
STATUS_STALE_AFTER_SECONDS = 30.0
STATUS_FILE_NAME = "devserver-status.json"


def backoff_seconds(failures: int) -> float:
    """Seconds to wait before restart number `failures` in a row: 1, 2, 4, 8, 16, 30, 30 ..."""
    return min(BACKOFF_MAX_SECONDS, 2.0 ** max(0, failures - 1))


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether binding `host:port` fails, as runserver's own bind would (it also sets SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _now_iso() -> str:
    return timezone.now().isoformat(timespec="seconds")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if the supervisor dies (even by SIGKILL), so nothing is orphaned."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Child:
    """One supervised process and its restart history."""

    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    failures: int = 0
    last_exit_code: int | None = None
    last_restart: str | None = None
    restart_at: float | None = None

    def state(self) -> str:
        if self.process is not None and self.process.poll() is None:
            return "running"
        return "restarting" if self.restart_at is not None else "stopped"

    def status(self, now: float) -> dict:
        return {
            "state": self.state(),
            "pid": self.process.pid if self.process is not None else None,
            "restarts": self.restarts,
            "last_restart": self.last_restart,
            "last_exit_code": self.last_exit_code,
            "restart_in_seconds": round(max(0.0, self.restart_at - now), 1) if self.restart_at else None,
        }


class Supervisor:
    """Starts the children, restarts any that exits, and stops them all on request."""

    def __init__(self, commands: dict[str, list[str]], status_file: Path):
        self.children = {name: Child(name, command) for name, command in commands.items()}
        self.status_file = status_file
        self._status_written = 0.0

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603
            child.command,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def start_all(self) -> None:
        for child in self.children.values():
            self._spawn(child)
        self.write_status()

    def check(self) -> None:
        """One pass: notice children that exited, schedule their restart, start those that are due."""
        now = time.monotonic()
        changed = False
        for child in self.children.values():
            if child.restart_at is None and child.process is not None and child.process.poll() is not None:
                self._schedule_restart(child, now)
                changed = True
            elif child.restart_at is not None and now >= child.restart_at:
                self._spawn(child)
                child.restarts += 1
                child.last_restart = _now_iso()
                logger.warning(
                    "%s restarted (restart %d, pid %d)", child.name, child.restarts, child.process.pid
                )
                changed = True
        if changed or now - self._status_written >= STATUS_EVERY_SECONDS:
            self.write_status()

    def _schedule_restart(self, child: Child, now: float) -> None:
        # Pool processes of a worker killed with -9 would linger: end its whole session.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)
        ran_for = now - child.started_at
        child.failures = 1 if ran_for >= STABLE_AFTER_SECONDS else child.failures + 1
        child.last_exit_code = child.process.returncode
        child.restart_at = now + backoff_seconds(child.failures)
        logger.error(
            "%s exited with code %s after %.0f s; restarting in %g s",
            child.name,
            child.last_exit_code,
            ran_for,
            backoff_seconds(child.failures),
        )

    def run(self, should_stop, interval: float = 0.5) -> None:
        while not should_stop():
            self.check()
            time.sleep(interval)

    def stop_all(self, timeout: float = 15) -> None:
        """SIGTERM every child (a worker finishes its task), then SIGKILL what is left after `timeout`."""
        for child in self.children.values():
            child.restart_at = None
            if child.process is not None and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.error("%s did not stop within %g s; killing it", child.name, timeout)
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
        self.write_status()

    def write_status(self) -> None:
        """Write the status file atomically, so /healthz never reads half of it."""
        now = time.monotonic()
        status = {
            "supervisor_pid": os.getpid(),
            "updated_at": _now_iso(),
            "processes": {name: child.status(now) for name, child in self.children.items()},
        }
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.status_file.with_suffix(".part")
        partial.write_text(json.dumps(status, indent=2))
        os.replace(partial, self.status_file)
        self._status_written = now


def read_status(status_file: Path) -> dict | None:
    """What /healthz shows about `make run`'s processes; None when no supervisor has written a status."""
    try:
        status = json.loads(status_file.read_text())
        updated = datetime.fromisoformat(status["updated_at"])
    except (OSError, ValueError, KeyError):
        return None
    age = (timezone.now() - updated).total_seconds()
    processes = {
        name: {key: value for key, value in process.items() if key != "pid"}
        for name, process in status.get("processes", {}).items()
    }
    return {
        "updated_at": status["updated_at"],
        "stale": age > STATUS_STALE_AFTER_SECONDS,
        "processes": processes,
    }
