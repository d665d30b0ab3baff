"""Soak: the embedded stack (web, worker, beat on the filesystem broker) under load for 30 minutes.

    .venv/bin/python bench/soak.py [--minutes 30] [--tick 1] [--rate 3]

Runs in its own var folder (var/soak, emptied first: SQLite database, broker folders, logs). Starts
`runserver`, a `celery worker` (concurrency 2) and `celery beat` as `make run` does, with beat's schedule
accelerated: FOIA_SOAK_TICK_SECONDS adds a tick task every --tick seconds on top of the project's own scans.
Meanwhile this process publishes about --rate ticks a second itself, in bursts, through `.delay()` (as the
app's services do), and asks /healthz every 5 s. Each tick inserts one row keyed by its task id
(foia/tasks/soak.py). At the end, once the queue has drained: published (ids kept here + beat's "Sending due
task soak-tick" log lines) against rows, lost, duplicated, unexpected; process exits (crashes), tracebacks
in the logs, files set aside in broker/bad, web answers. Exit status 0 only if all of those are zero.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "soak"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(tick: float) -> dict:
    env = os.environ.copy()
    env.update(
        FOIA_VAR_DIR=str(VAR),
        DATABASE_URL=f"sqlite:///{VAR / 'soak.sqlite3'}",
        FOIA_SOAK_TICK_SECONDS=str(tick),
        DJANGO_SETTINGS_MODULE="foia.settings",
        SECRET_KEY=env.get("SECRET_KEY", "soak-only-not-secret"),
        DEBUG="true",
        SECURE_SSL_REDIRECT="false",
    )
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    return env


def start(name: str, command: list[str], env: dict) -> subprocess.Popen:
    log = open(VAR / f"{name}.log", "w")  # noqa: SIM115
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--tick", type=float, default=1.0, help="beat's soak tick interval, seconds")
    parser.add_argument("--rate", type=float, default=3.0, help="ticks published a second by this process")
    args = parser.parse_args()

    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    env = environment(args.tick)
    os.environ.update(env)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from foia.tasks.soak import TABLE, tick

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (uid varchar(64) NOT NULL, source varchar(10) NOT NULL)")

    port = free_port()
    celery = [python, "-m", "celery", "-A", "foia"]
    processes = {
        "web": start("web", [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env),
        "worker": start(
            "worker",
            [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--without-mingle", "--without-gossip"],
            env,
        ),
        "beat": start(
            "beat", [*celery, "beat", "--loglevel=INFO", "-s", str(VAR / "celerybeat-schedule")], env
        ),
    }
    published: set[str] = set()
    health_checks = health_failures = 0
    exits: list[str] = []
    started = time.monotonic()
    end = started + args.minutes * 60
    next_health = started + 10  # runserver needs a moment to import the project
    next_report = started + 60
    print(f"soak: {args.minutes:g} min, beat tick every {args.tick:g} s, ~{args.rate:g}/s published here")
    try:
        while time.monotonic() < end:
            # Bursts of 0..2*rate every second, so the worker sees both idle polls and backlogs.
            for _ in range(random.randint(0, int(2 * args.rate))):  # noqa: S311
                published.add(tick.delay("direct").id)
            for name, process in processes.items():
                if process.poll() is not None and name not in exits:
                    exits.append(name)
                    print(f"soak: {name} exited with code {process.returncode}", flush=True)
            now = time.monotonic()
            if now >= next_health:
                health_checks += 1
                health_failures += not healthy(port)
                next_health = now + 5
            if now >= next_report:
                print(f"soak: {int((now - started) / 60)} min, {len(published)} published here", flush=True)
                next_report = now + 60
            time.sleep(1)
        # Stop beat first so no new tick is sent, then let the worker drain the queue.
        processes["beat"].send_signal(signal.SIGTERM)
        processes["beat"].wait(timeout=30)
        beat_sent = (VAR / "beat.log").read_text(errors="replace").count("Sending due task soak-tick")
        expected = len(published) + beat_sent
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")  # noqa: S608
                if cursor.fetchone()[0] >= expected:
                    break
            time.sleep(1)
        time.sleep(2)  # a duplicate delivered late would land now; it is counted below, not awaited
        health_checks += 1
        health_failures += not healthy(port)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT uid, source FROM {TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    direct_rows = [uid for uid, source in rows if source == "direct"]
    beat_rows = [uid for uid, source in rows if source == "beat"]
    lost_direct = len(published - set(direct_rows))
    unexpected = len(set(direct_rows) - published)
    duplicated = len(rows) - len({uid for uid, _ in rows})
    lost_beat = max(0, beat_sent - len(set(beat_rows)))
    logs = "".join((VAR / f"{name}.log").read_text(errors="replace") for name in processes)
    tracebacks = logs.count("Traceback")
    bad_files = len(list((VAR / "broker" / "bad").iterdir()))
    minutes = (time.monotonic() - started) / 60
    print(
        f"soak result: {minutes:.1f} min, {expected} tasks published ({len(published)} by .delay(), "
        f"{beat_sent} by beat), {len(rows)} rows; lost {lost_direct + lost_beat}, duplicated {duplicated}, "
        f"unexpected {unexpected}; crashes (process exits) {len(exits)}, tracebacks in logs {tracebacks}, "
        f"bad messages {bad_files}; /healthz {health_checks - health_failures}/{health_checks} answered"
    )
    failures = lost_direct + lost_beat + duplicated + unexpected + len(exits) + tracebacks + bad_files
    return 0 if failures == 0 and health_failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
