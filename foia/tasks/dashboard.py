"""Hourly on beat: fold the dashboard summary's appended rows into one per key (foia.dashboard_summary)."""

from celery import shared_task

from foia.dashboard_summary import compact


@shared_task(name="foia.tasks.dashboard.compact")
def compact_summary() -> dict:
    """Fold the summary rows; returns how many there were and are."""
    before, after = compact()
    return {"before": before, "after": after}
