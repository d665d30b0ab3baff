"""The one way domain code queues background work: a task by name, after the transaction commits.

Domain modules never import foia.tasks (tasks import the domain, not the reverse), so they send tasks by name
through the Celery app. The database row is the source of truth: every task works on a row that is already in
a retryable state (queued, pending) before it is enqueued, so a broker that is down when the transaction
commits costs a log line, never a 500; the periodic scans find the row and queue it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

logger = logging.getLogger(__name__)

# Names of tasks the broker refused while a `refusals_watch()` block runs (a view tells the person): one entry
# per row the task was for, so a refused chunk of 8 letters (a list of ids) counts 8.
_refused: ContextVar[list[str] | None] = ContextVar("foia_queue_refused", default=None)


@contextmanager
def refusals_watch() -> Iterator[list[str]]:
    """Collect the tasks the broker refused inside this block (after-commit ones included, if they ran)."""
    refused: list[str] = []
    token = _refused.set(refused)
    try:
        yield refused
    finally:
        _refused.reset(token)


def task_enqueue(name: str, *args, countdown: float | None = None) -> bool:
    """Send task `name` with `args` now; False (logged) when the broker refused it."""
    from .celery import app

    try:
        app.send_task(name, args=args, countdown=max(0, round(countdown)) if countdown else None)
    except Exception:  # kombu OperationalError, a refused socket, a timeout: the scans will retry
        logger.exception("could not queue %s%r; the periodic scan will pick it up", name, args)
        watching = _refused.get()
        if watching is not None:
            watching.extend([name] * (len(args[0]) if args and isinstance(args[0], list | tuple) else 1))
        return False
    return True


def task_enqueue_on_commit(name: str, *args, countdown: float | None = None) -> None:
    """Queue task `name` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: task_enqueue(name, *args, countdown=countdown))
