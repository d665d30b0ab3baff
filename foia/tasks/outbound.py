"""The one task that sends a message to an agency (letters, follow-ups, appeals): claim, send once, retry."""

import datetime
import logging

from celery import shared_task
from django.conf import settings

from foia import reminders, sending  # noqa: F401  (they register the letter and follow-up kinds)
from foia.appeals import lifecycle as appeal_lifecycle  # noqa: F401  (registers the appeal kind)
from foia.outbound import (
    RETRYABLE,
    SEND_HARD_LIMIT,
    SEND_MAX_RETRIES,
    SEND_SOFT_LIMIT,
    SEND_TASK,
    outbound_send,
)

logger = logging.getLogger(__name__)


def send_with_retries(task, communication_id: int) -> str:
    """Temporary SMTP/network refusals retry with exponential backoff (1, 2, 4… × FOIA_SEND_RETRY_SECONDS)."""
    countdown = min(settings.FOIA_SEND_RETRY_SECONDS * 2**task.request.retries, 3600)
    last_try = task.request.retries >= task.max_retries
    try:
        return outbound_send(
            communication_id=communication_id,
            retry_in=None if last_try else datetime.timedelta(seconds=countdown),
        )
    except RETRYABLE as exc:
        logger.warning(
            "send of communication %s refused for now, retry in %ss: %s", communication_id, countdown, exc
        )
        raise task.retry(exc=exc, countdown=countdown) from exc


@shared_task(
    bind=True,
    name=SEND_TASK,
    max_retries=SEND_MAX_RETRIES,
    soft_time_limit=SEND_SOFT_LIMIT,
    time_limit=SEND_HARD_LIMIT,
)
def send_message(self, communication_id: int) -> str:
    """Send one queued message to an agency."""
    return send_with_retries(self, communication_id)
