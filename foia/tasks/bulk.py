"""Celery tasks for bulk actions: a BulkRun id in; foia.bulk claims the run and applies it."""

from celery import shared_task
from django.utils import timezone

from foia.bulk import bulk_recover_stale, bulk_run_process


@shared_task(name="foia.tasks.bulk.run")
def run(run_id: int) -> str:
    """Apply one bulk run (a redelivered task finds it claimed or done and does nothing)."""
    return bulk_run_process(run_id=run_id)


@shared_task(name="foia.tasks.bulk.scan")
def scan() -> int:
    """Every 5 minutes: queue again the runs whose task was lost or whose worker died."""
    return len(bulk_recover_stale(now=timezone.now()))
