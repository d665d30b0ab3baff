"""Celery task for agency imports: an AgencyImport id in; the step it waits for runs in foia.imports.runs."""

from celery import shared_task

from foia.imports.runs import IMPORT_HARD_LIMIT, IMPORT_SOFT_LIMIT, IMPORT_TASK, agency_import_process


@shared_task(name=IMPORT_TASK, soft_time_limit=IMPORT_SOFT_LIMIT, time_limit=IMPORT_HARD_LIMIT)
def process_import(import_id: int) -> str:
    """Check or write one agency import (each step claims the row, so a redelivery does nothing)."""
    return agency_import_process(import_id=import_id)
