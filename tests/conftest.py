"""The cast and shared fixtures.

Alice and Bob are reporters (Alice owns the requests she files), Erin is an editor, Victor a viewer who must
never change anything, and Ada the newsroom's admin.
"""

import pytest

from foia.models import Role

from .factories import UserFactory


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", role=Role.REPORTER, first_name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", role=Role.REPORTER, first_name="Bob")


@pytest.fixture
def erin(db):
    return UserFactory(username="erin", role=Role.EDITOR, first_name="Erin", is_staff=True)


@pytest.fixture
def victor(db):
    return UserFactory(username="victor", role=Role.VIEWER, first_name="Victor")


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def erin_client(client, erin):
    client.force_login(erin)
    return client


@pytest.fixture
def victor_client(client, victor):
    client.force_login(victor)
    return client


@pytest.fixture
def sent_tasks(monkeypatch):
    """Tasks queued through foia.queue, recorded instead of handed to the broker: [(name, args), ...]."""
    from foia.celery import app

    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), **options: sent.append((name, tuple(args))))
    return sent


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test stores files under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")


# --- Real services: a Celery worker process and an SMTP server on loopback -------------------------------

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Seconds a real worker gets to start, or to finish what a test waits for. Waits are positive (they end as
# soon as the database shows the result), so a generous deadline costs nothing on a quiet machine and keeps
# a loaded 2-core one (a worker start plus a first task took 20-40 s there) from failing at random.
WORKER_DEADLINE = 180


def database_url_for_subprocess() -> str:
    """The URL of the test database, so a worker process works on the same rows as the test."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


class WorkerProcess:
    """A `celery worker` subprocess; `kill()` is a hard kill (SIGKILL), `stop()` a warm shutdown."""

    def __init__(self, env: dict, log_path: Path, concurrency: int, name: str):
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "foia",
                "worker",
                "--loglevel=INFO",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "-n",
                f"{name}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = WORKER_DEADLINE) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log()}")
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def kill(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def wait_until(predicate, timeout: float = 60, interval: float = 0.2, message="condition"):
    """Poll `predicate` until it returns something truthy; fail with `message` after `timeout` seconds.

    `message` may be a function, called at the failure: a worker's log read then shows what it did meanwhile
    (an f-string is read before the wait, when the worker has not received anything yet).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    what = message() if callable(message) else message
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


def broker_empty() -> None:
    """Drop every message the configured broker holds for the tests, also those a killed worker had taken.

    `purge()` empties the queue only. Redis keeps the messages a worker had taken (acks_late) in `unacked` and
    delivers them again after the visibility timeout (an hour), whichever test runs then: a worker killed by a
    test, or by `stop()` after 30 s, left `send_message(16)` to be sent in a later run where id 16 is another
    test's message, or a stale OCR task holding the only worker process while a test waited for its own task.
    """
    from foia.celery import app

    app.control.purge()
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        if hasattr(channel, "unacked_key"):  # Redis; the filesystem broker forgets what a killed worker took
            channel.client.delete(channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key)


@pytest.fixture
def start_worker(transactional_db, settings, tmp_path):
    """Start real Celery worker processes against the test database and the configured broker.

    Tests that use it must commit their data (transactional_db), since the worker is another process.
    Extra environment (EMAIL_URL of a test SMTP server, say) is passed as keyword arguments.
    """
    broker_empty()
    workers: list[WorkerProcess] = []

    def start(concurrency: int = 1, **extra_env) -> WorkerProcess:
        env = os.environ.copy()
        env.update(
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=database_url_for_subprocess(),
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            EMAIL_FILE_PATH=str(settings.EMAIL_FILE_PATH),
        )
        env.update({key: str(value) for key, value in extra_env.items()})
        worker = WorkerProcess(env, tmp_path / f"worker{len(workers)}.log", concurrency, f"w{len(workers)}")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()
    broker_empty()


@pytest.fixture
def fresh_broker_state():
    """For tests with broker folders of their own: forget the bindings they declared."""
    # kombu keeps declared bindings per process, not per folder: a binding written to a test's folder would
    # make later publishes skip writing it to the configured broker's folder.
    from kombu.transport import filesystem

    filesystem.Transport.global_state.clear()
    yield
    filesystem.Transport.global_state.clear()


class SMTPSink:
    """A real SMTP server on loopback that keeps every message it receives.

    `replies` scripts its answers to DATA, one per message ("451 4.3.0 Try later", then the default 250);
    `answer_after` seconds makes it wait before answering (a client timeout after DATA, or a worker killed
    mid-send). A message answered with 4xx/5xx is not kept; one answered late is (the server has it).
    """

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.replies: list[str] = []
        self.answer_after = 0.0
        self.data_started = 0
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                import asyncio
                import email
                from email import policy

                sink.data_started += 1
                if sink.answer_after:
                    await asyncio.sleep(sink.answer_after)
                reply = sink.replies.pop(0) if sink.replies else ""
                if reply and not reply.startswith("250"):
                    return reply
                message = email.message_from_bytes(envelope.content, policy=policy.default)
                sink.messages.append(
                    {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message}
                )
                return "250 Message accepted for delivery"

        import socket

        with socket.socket() as probe:  # a free port on loopback
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_server(settings):
    """Point Django's email at a real SMTP server on loopback; `smtp_server.messages` holds what arrived."""
    server = SMTPSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()
