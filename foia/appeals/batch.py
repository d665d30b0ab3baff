"""Appeals for many requests at once: choose them (every deemed denial in a state, every rejection citing
an exemption ...), draft them all on a worker with live progress, review each, send only the reviewed.

No generic bulk-actions mechanism exists on main yet, so this is a small service plus one task
(foia.tasks.appeals.draft_batch) with an AppealBatch progress row: the page polls done-of-total.
"""

from __future__ import annotations

import datetime

from django.db.models import F, Q
from django.utils import timezone

from ..letters import LetterError
from ..models import RecordsRequest, Status
from ..permissions import can_work_request
from ..queue import task_enqueue_on_commit
from ..statuses import OPEN_STATUSES
from .models import Appeal, AppealBasis, AppealBatch
from .services import AppealError, appeal_draft

DRAFT_TASK = "foia.tasks.appeals.draft_batch"
MAX_BATCH = 2000
# A batch claimed this long ago without finishing belongs to a dead worker: it may be claimed again.
STALE_CLAIM = datetime.timedelta(minutes=15)


def batch_candidates(*, queryset, today: datetime.date, basis: str = "", exemption: str = ""):
    """Requests that can be appealed now, without an appeal of their current decision, filtered by basis."""
    decided = Q(status__in=[Status.REJECTED, Status.NO_RECORDS, Status.PARTIAL])
    deemed = Q(status__in=OPEN_STATUSES, due_on__lt=today, due_is_statutory=True) & ~Q(status=Status.APPEALED)
    if basis == AppealBasis.DEEMED:
        queryset = queryset.filter(deemed)
    elif basis:
        queryset = queryset.filter(status=basis)
    else:
        queryset = queryset.filter(decided | deemed)
    if exemption.strip():
        queryset = queryset.filter(exemptions_cited__icontains=exemption.strip())
    # Requests with a draft or pending appeal are left out (a decided-and-closed one may be appealed again).
    return queryset.exclude(appeals__status__in=["drafted", "filed", "acknowledged"]).distinct()


def appeal_batch_start(*, records_requests, user, campaign=None) -> AppealBatch:
    """Write the progress row for the requests the person may work and queue the drafting after commit."""
    ids = [rr.pk for rr in records_requests.select_related("agency") if can_work_request(user, rr)]
    if not ids:
        raise AppealError("None of the selected requests can be appealed by you.")
    if len(ids) > MAX_BATCH:
        raise AppealError(f"At most {MAX_BATCH} requests per batch (got {len(ids)}); narrow the filters.")
    batch = AppealBatch.objects.create(campaign=campaign, request_ids=ids, total=len(ids), created_by=user)
    task_enqueue_on_commit(DRAFT_TASK, batch.pk)
    return batch


def appeal_batch_run(*, batch_id: int, now: datetime.datetime | None = None) -> str:
    """Claim the batch (conditional UPDATE) and draft each appeal; a failure is listed, the rest go on."""
    now = now or timezone.now()
    claimed = (
        AppealBatch.objects.filter(pk=batch_id, finished_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
        .update(claimed_at=now)
    )
    if not claimed:
        return "not claimed"
    batch = AppealBatch.objects.select_related("created_by").get(pk=batch_id)
    drafted = set(Appeal.objects.filter(batch=batch).values_list("request_id", flat=True))
    problems = list(batch.problems)
    seen = drafted | {row[0] for row in problems if isinstance(row, list) and row and isinstance(row[0], int)}
    for rr in RecordsRequest.objects.filter(pk__in=batch.request_ids).select_related("agency"):
        if rr.pk in seen:  # a second run after a crash continues where the first stopped
            continue
        try:
            appeal_draft(records_request=rr, actor=batch.created_by, batch=batch)
        except (AppealError, LetterError) as error:
            problems.append([rr.pk, rr.tracking_number, " ".join(getattr(error, "messages", [str(error)]))])
            AppealBatch.objects.filter(pk=batch_id).update(problems=problems)
        AppealBatch.objects.filter(pk=batch_id).update(done=F("done") + 1)
    AppealBatch.objects.filter(pk=batch_id).update(finished_at=timezone.now(), problems=problems)
    return "finished"


def batch_progress(batch: AppealBatch) -> dict:
    """For the page: done of total, percent, whether it still runs, the problems and the drafts."""
    batch.refresh_from_db()
    appeals = list(
        Appeal.objects.filter(batch=batch)
        .select_related("request__agency")
        .order_by("request__tracking_number")
    )
    return {
        "batch": batch,
        "running": batch.finished_at is None,
        "percent": int(100 * batch.done / batch.total) if batch.total else 100,
        "appeals": appeals,
        "reviewed": [a for a in appeals if a.is_reviewed and a.status == "drafted"],
        "problems": batch.problems,
    }
