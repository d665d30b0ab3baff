"""Celery tasks for letters: PDFs in chunks of a few letters (one for a retry), one task per email; a beat
scan releases staggered emails."""

import logging
import time

from celery import shared_task
from celery.signals import worker_init
from django.utils import timezone

from foia.campaigns import (
    GENERATE_CHUNK_TASK,
    LETTER_PDF_HARD_LIMIT,
    LETTER_PDF_SOFT_LIMIT,
    letter_generate,
    letters_generate,
)
from foia.outbound import SEND_MAX_RETRIES, outbound_enqueue, outbound_recover_stale
from foia.queue import task_enqueue
from foia.sending import sends_release_due, sends_repair_unmarked

from .outbound import send_with_retries

logger = logging.getLogger(__name__)


@shared_task(
    name="foia.tasks.letters.generate_letter",
    soft_time_limit=LETTER_PDF_SOFT_LIMIT,
    time_limit=LETTER_PDF_HARD_LIMIT,
)
def generate_letter(request_id: int) -> str:
    """Render and store one letter's PDF; a redelivered task finds it claimed or done and does nothing."""
    return letter_generate(records_request_id=request_id)


@shared_task(
    name=GENERATE_CHUNK_TASK,
    soft_time_limit=LETTER_PDF_SOFT_LIMIT,
    time_limit=LETTER_PDF_HARD_LIMIT,
)
def generate_letters(request_ids: list[int]) -> int:
    """Render a chunk of letters; past a quarter of the time limit the rest go back to the queue as a new
    chunk, so every letter started has most of the limit to itself. Returns how many were handed on."""
    rest = letters_generate(
        records_request_ids=request_ids, deadline=time.monotonic() + LETTER_PDF_SOFT_LIMIT / 4
    )
    if rest:
        task_enqueue(
            GENERATE_CHUNK_TASK, rest
        )  # still queued in the database: the reclaim scan is the backstop
    return len(rest)


@shared_task(bind=True, name="foia.tasks.letters.send_email", max_retries=SEND_MAX_RETRIES)
def send_email(self, communication_id: int) -> str:
    """The letters' former send task, kept for messages already in a broker; same as send_message."""
    return send_with_retries(self, communication_id)


@shared_task(name="foia.tasks.letters.scan_sends")
def scan_sends() -> int:
    """Every minute: hand due emails to the workers; stale sends become "probably sent"; repair unmarked."""
    outbound_recover_stale(now=timezone.now())
    sends_repair_unmarked()
    due = sends_release_due()
    outbound_enqueue([(communication_id, 0) for communication_id in due])
    return len(due)


@worker_init.connect
def _warm_up_weasyprint(**_kwargs) -> None:
    """Load WeasyPrint and the fonts once in the parent, so every forked pool process starts warm."""
    from foia.letters import pdf_from_html

    try:
        pdf_from_html("<p>warm-up</p>")
    except Exception:  # never stop a worker from starting over a warm-up
        logger.exception("WeasyPrint warm-up failed")
