"""The soak benchmark's task (bench/soak.py): one row per delivery, so lost and duplicated tasks show."""

from celery import shared_task
from django.db import connection

# Created by bench/soak.py in its own throwaway database; no migration, no model: nothing else reads it.
TABLE = "bench_soak_tick"


@shared_task(bind=True, name="foia.tasks.soak.tick")
def tick(self, source: str = "beat") -> None:
    """Record this delivery under its task id (a redelivery keeps the id, so a duplicate is a second row)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (uid, source) VALUES (%s, %s)", [self.request.id, source])  # noqa: S608
