"""The reclaim scan (beat, every 5 minutes): rows left in between by a lost task are queued again."""

import datetime

from celery import shared_task
from django.utils import timezone

from foia.reclaim import work_reclaim


@shared_task(name="foia.tasks.reclaim.scan")
def scan(now: str | None = None) -> dict:
    """Queue stuck letters and extractions again (foia.reclaim); `now` (ISO 8601) scans as of then."""
    when = datetime.datetime.fromisoformat(now) if now else timezone.now()
    return work_reclaim(now=when).as_dict()
