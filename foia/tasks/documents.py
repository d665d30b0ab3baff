"""Celery tasks for documents and incoming mail: ids in, claim the row, call a plain function."""

import datetime
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from foia.documents import EXTRACT_HARD_LIMIT as HARD_LIMIT
from foia.documents import EXTRACT_SOFT_LIMIT as SOFT_LIMIT

logger = logging.getLogger(__name__)


@shared_task(name="foia.tasks.documents.extract_document", soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def extract_document(document_id: int) -> str:
    """Extract one document's text, unless another worker is already on it or it is done."""
    from foia.extraction import document_extract
    from foia.models import Document, ExtractionStatus

    now = timezone.now()
    # A claim older than the hard limit belongs to a worker that died; it may be taken over.
    stale = now - datetime.timedelta(seconds=HARD_LIMIT)
    claimed = (
        Document.objects.filter(pk=document_id, extraction_status=ExtractionStatus.PENDING)
        .filter(Q(extraction_started_at__isnull=True) | Q(extraction_started_at__lt=stale))
        .update(extraction_started_at=now)
    )
    if claimed != 1:
        return "skipped"
    document = Document.objects.get(pk=document_id)
    try:
        # OCR waits for files of unsorted mail until a person files the message (foia.mail).
        return document_extract(document=document, ocr=document.links.exists()).status
    except SoftTimeLimitExceeded:
        Document.objects.filter(pk=document_id).update(
            extraction_status=ExtractionStatus.FAILED,
            extraction_error="Extraction took too long and was stopped.",
        )
        return ExtractionStatus.FAILED


@shared_task(name="foia.tasks.documents.notify_reply", soft_time_limit=60, time_limit=90)
def notify_reply(communication_id: int) -> bool:
    """Tell the request's owner that a reply arrived (kept for messages already queued; replies now write a
    `reply:<id>` reminder row, sent by foia.tasks.reminders.send_reminder)."""
    from foia.mail import reply_notify
    from foia.models import Communication

    communication = Communication.objects.select_related("request__agency", "request__owner").filter(
        pk=communication_id
    )
    found = communication.first()
    return reply_notify(communication=found) if found else False


@shared_task(name="foia.tasks.documents.poll_imap", soft_time_limit=600, time_limit=660)
def poll_imap() -> int:
    """Fetch new replies from the IMAP mailbox; does nothing unless FOIA_IMAP_URL is set."""
    from foia.mail_sources import imap_poll

    if not settings.FOIA_IMAP_URL:
        return 0
    stored = imap_poll(url=settings.FOIA_IMAP_URL)
    logger.info("IMAP poll stored %d new message(s)", stored)
    return stored
