"""Appeal tasks: draft a batch of appeals (ids in, claim the batch row, call the service)."""

from celery import shared_task

from foia.appeals.batch import DRAFT_TASK, appeal_batch_run


@shared_task(name=DRAFT_TASK, soft_time_limit=1800, time_limit=1900)
def draft_batch(batch_id: int) -> str:
    """Draft every appeal of one AppealBatch; progress is written to the row as it goes."""
    return appeal_batch_run(batch_id=batch_id)
