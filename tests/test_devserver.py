"""`manage.py devserver` (`make run`): a dead worker comes back, the web keeps answering, Ctrl-C ends all.

The command runs for real in a subprocess on a free port, with the embedded broker in its own folder.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from kombu import Connection

from foia.broker import folders
from foia.supervisor import backoff_seconds, read_status

from .conftest import ROOT, WORKER_DEADLINE, database_url_for_subprocess, wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:  # noqa: S310
            return json.loads(response.read())
    except OSError:
        return None


def sessions_alive(session_ids: set[int]) -> set[int]:
    """Pids of live (not zombie) processes in any of these sessions: a child and everything it forked."""
    alive = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) in session_ids:
            alive.add(int(entry.name))
    return alive


def test_restarts_back_off_from_one_second_to_at_most_thirty():
    assert [backoff_seconds(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_devserver_refuses_a_port_in_use_with_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "FOIA_VAR_DIR": str(tmp_path)}
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "devserver", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"port {port} is already in use — is another `make run` running?" in result.stderr
    assert "celery" not in (result.stdout + result.stderr).lower()
    assert not (tmp_path / "devserver-status.json").exists()


@pytest.mark.usefixtures("fresh_broker_state")
def test_a_killed_worker_is_restarted_while_the_web_answers_and_ctrl_c_stops_everything(
    transactional_db, alice, tmp_path
):
    from foia.tasks import ping_database

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "FOIA_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "filesystem://",
        "REDIS_URL": "",
    }
    log_path = tmp_path / "devserver.log"
    with open(log_path, "w") as log:
        devserver = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "devserver", "--port", str(port), "--concurrency", "1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    status_file = tmp_path / "devserver-status.json"

    def status() -> dict:
        return read_status(status_file) or {"processes": {}}

    def ping() -> None:
        with Connection(
            "filesystem://", transport="foia.broker:Transport", transport_options=folders(tmp_path / "broker")
        ) as conn:
            ping_database.apply_async(args=["alice"], connection=conn)

    def pongs() -> int:
        return log_path.read_text().count("pong alice")

    try:
        ping()
        wait_until(
            lambda: log_path.read_text().count("pong alice") == 1,
            timeout=WORKER_DEADLINE,
            message=lambda: f"the first ping\n{log_path.read_text()}",
        )
        wait_until(lambda: healthz(port), timeout=WORKER_DEADLINE, message="the web server")
        worker_pid = json.loads(status_file.read_text())["processes"]["worker"]["pid"]
        sessions = {process["pid"] for process in json.loads(status_file.read_text())["processes"].values()}

        os.kill(worker_pid, signal.SIGKILL)
        assert healthz(port)["ok"] is True  # the web does not go down with the worker

        restarted = wait_until(
            lambda: (w := status()["processes"]["worker"])["restarts"] == 1 and w["state"] == "running" and w,
            timeout=WORKER_DEADLINE,
            message="the worker to be restarted",
        )
        assert restarted["last_exit_code"] == -signal.SIGKILL
        new_pid = json.loads(status_file.read_text())["processes"]["worker"]["pid"]
        assert new_pid != worker_pid
        sessions.add(new_pid)
        ping()
        wait_until(
            lambda: log_path.read_text().count("pong alice") == 2,
            timeout=WORKER_DEADLINE,
            message=lambda: f"the second ping\n{log_path.read_text()}",
        )
        health = healthz(port)
        assert health["background"]["processes"]["worker"]["restarts"] == 1
        assert health["background"]["processes"]["web"]["restarts"] == 0
        assert "worker exited with code -9" in log_path.read_text()

        devserver.send_signal(signal.SIGINT)
        assert devserver.wait(timeout=40) == 0
        assert sessions_alive(sessions) == set()
        assert healthz(port) is None
        final = json.loads(status_file.read_text())["processes"]
        assert {process["state"] for process in final.values()} == {"stopped"}
    finally:
        if devserver.poll() is None:
            devserver.kill()
            devserver.wait()


def test_healthz_shows_the_supervised_processes_without_their_pids(db, client, settings, tmp_path):
    from foia.supervisor import STATUS_FILE_NAME, Supervisor

    settings.VAR_DIR = tmp_path
    assert "background" not in client.get("/healthz").json()  # no `make run` here: nothing to show
    Supervisor({"worker": ["true"], "beat": ["true"]}, tmp_path / STATUS_FILE_NAME).write_status()
    body = client.get("/healthz").json()
    assert body["ok"] is True
    assert body["background"]["stale"] is False
    assert body["background"]["processes"]["worker"] == {
        "state": "stopped",
        "restarts": 0,
        "last_restart": None,
        "last_exit_code": None,
        "restart_in_seconds": None,
    }


def test_healthz_says_when_the_supervisor_status_is_stale(db, client, settings, tmp_path):
    from foia.supervisor import STATUS_FILE_NAME

    settings.VAR_DIR = tmp_path
    (tmp_path / STATUS_FILE_NAME).write_text(
        json.dumps({"updated_at": "2026-01-01T00:00:00+00:00", "processes": {"worker": {"state": "running"}}})
    )
    assert client.get("/healthz").json()["background"]["stale"] is True
