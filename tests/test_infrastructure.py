"""The real services the other tests lean on: an SMTP server on loopback and a Celery worker process."""

from django.core.mail import send_mail

from foia.celery import app

from .conftest import WORKER_DEADLINE, wait_until


def test_smtp_server_receives_what_django_sends(smtp_server):
    send_mail("Subject here", "Body here", "from@newsroom.example", ["to@agency.example"])
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["message"]["Subject"] == "Subject here"


def test_worker_process_runs_a_task_against_the_test_database(start_worker, alice):
    worker = start_worker()
    app.send_task("foia.tasks.ping_database", kwargs={"username": "alice"})
    wait_until(
        lambda: "pong alice" in worker.log(),
        timeout=WORKER_DEADLINE,
        message="the worker to run ping_database",
    )
