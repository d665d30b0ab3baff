"""Celery tasks for reminders: the beat scan writes rows and enqueues one small send task per pending row."""

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from foia.reminders import reminder_send, reminders_scan


@shared_task(name="foia.tasks.reminders.scan")
def scan(now: str | None = None) -> dict:
    """Every 15 minutes (beat): write due reminder rows, recover stale claims, enqueue the pending rows.

    `now` (ISO 8601, aware) lets tests and operators scan as of another moment (workers never time-travel).
    """
    when = datetime.datetime.fromisoformat(now) if now else timezone.now()
    result = reminders_scan(now=when)
    for reminder_id in result.to_send:
        transaction.on_commit(lambda reminder_id=reminder_id: send_reminder.delay(reminder_id))
    return {
        "digests": result.digests_created,
        "followups": result.followups_created,
        "requeued": result.requeued,
        "enqueued": len(result.to_send),
    }


@shared_task(name="foia.tasks.reminders.send_reminder")
def send_reminder(reminder_id: int) -> str:
    """Claim one reminder row (conditional UPDATE) and deliver it; a duplicate message finds it claimed."""
    return reminder_send(reminder_id=reminder_id)
