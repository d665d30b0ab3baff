"""Celery tasks, thin: ids in, claim the row, call a plain function, handle retries.

One module per area; Celery's autodiscovery imports this package, which imports them all.
"""

import logging

from celery import shared_task

from . import agencies, bulk, documents, findings, letters, outbound, reclaim, reminders, soak  # noqa: F401
from .dashboard import compact_summary  # noqa: F401

logger = logging.getLogger(__name__)


@shared_task(name="foia.tasks.ping_database")
def ping_database(username: str) -> None:
    """Reads one row and logs it: lets operators (and the test suite) see a worker reach the database."""
    from foia.models import User

    user = User.objects.get(username=username)
    logger.info("pong %s", user.username)
