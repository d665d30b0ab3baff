"""Celery task for agency imports: an AgencyImport id in; the step it waits for runs in foia.imports.runs."""

from celery import shared_task

from foia.imports.runs import agency_import_process


@shared_task(name="foia.tasks.agencies.process_import")
def process_import(import_id: int) -> str:
    """Check or write one agency import (each step claims the row, so a redelivery does nothing)."""
    return agency_import_process(import_id=import_id)
