"""Celery tasks for letters: one small task per PDF, one per email; a beat scan releases staggered emails."""

import datetime
import logging

from celery import shared_task
from celery.signals import worker_init

from foia.campaigns import letter_generate
from foia.sending import RETRYABLE, communication_send, sends_release_due, sends_repair_unmarked

logger = logging.getLogger(__name__)

SEND_MAX_RETRIES = 6


@shared_task(name="foia.tasks.letters.generate_letter")
def generate_letter(request_id: int) -> str:
    """Render and store one letter's PDF; a redelivered task finds it claimed or done and does nothing."""
    return letter_generate(records_request_id=request_id)


@shared_task(bind=True, name="foia.tasks.letters.send_email", max_retries=SEND_MAX_RETRIES)
def send_email(self, communication_id: int) -> str:
    """Send one queued email; transient SMTP/network errors retry with exponential backoff (1, 2, 4… min)."""
    countdown = min(60 * 2**self.request.retries, 3600)
    last_try = self.request.retries >= self.max_retries
    try:
        return communication_send(
            communication_id=communication_id,
            retry_in=None if last_try else datetime.timedelta(seconds=countdown),
        )
    except RETRYABLE as exc:
        logger.warning(
            "send of communication %s failed, retrying in %ss: %s", communication_id, countdown, exc
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="foia.tasks.letters.scan_sends")
def scan_sends() -> int:
    """Every minute: hand the staggered emails that have come due to the workers; repair unmarked sends."""
    sends_repair_unmarked()
    due = sends_release_due()
    for communication_id in due:
        send_email.delay(communication_id)
    return len(due)


@worker_init.connect
def _warm_up_weasyprint(**_kwargs) -> None:
    """Load WeasyPrint and the fonts once in the parent, so every forked pool process starts warm."""
    from foia.letters import pdf_from_html

    try:
        pdf_from_html("<p>warm-up</p>")
    except Exception:  # never stop a worker from starting over a warm-up
        logger.exception("WeasyPrint warm-up failed")
