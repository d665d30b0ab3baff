"""Work left half-done by a crash is found from the database and queued again: the rows are the truth.

A task can vanish: the embedded broker never redelivers a message whose worker was killed (-9, power loss),
Redis redelivers only after its visibility timeout (an hour), and a broker that was down when the row
committed never got the message at all. So every background step works on a row that says where it is, and
the beat scan (foia.tasks.reclaim.scan, every 5 minutes) queues again any row left in between for longer than
FOIA_RECLAIM_AFTER_SECONDS:
- a letter "queued" and never claimed, or "working" past its claim (the worker died while rendering);
- a document "pending" whose extraction was queued long ago and never claimed, or claimed past the task's
  hard limit;
- an agency import waiting for a worker (uploaded, confirmed) long ago, or checking/writing past the import
  task's hard limit: put back to the step it was waiting for (the write is one transaction, so a worker that
  died inside it wrote nothing).
Queuing again is safe because each task claims its row with a conditional UPDATE: a second message for the
same row finds it claimed or done and does nothing. Emails are the exception by design (at most once): a
send left "sending" becomes "probably sent" (foia.outbound.outbound_recover_stale), never sent again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from .campaigns import GENERATE_TASK, LETTER_CLAIM_TIMEOUT
from .documents import EXTRACT_HARD_LIMIT, EXTRACT_TASK
from .imports.runs import IMPORT_HARD_LIMIT, IMPORT_TASK
from .models import AgencyImport, Campaign, Document, ExtractionStatus, ImportStatus, RecordsRequest
from .models.request import LetterState
from .queue import task_enqueue_on_commit

BATCH = 500  # rows per kind per scan; the next scan takes the rest


def reclaim_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.FOIA_RECLAIM_AFTER_SECONDS)


@dataclass
class Reclaimed:
    """Ids queued again by one scan, per kind."""

    letters: list[int]
    extractions: list[int]
    imports: list[int]

    def as_dict(self) -> dict:
        return {
            "letters": len(self.letters),
            "extractions": len(self.extractions),
            "imports": len(self.imports),
        }


def letters_stuck(*, now: datetime.datetime):
    """Letters queued or rendering with no live task: queued long ago, or claimed past the claim timeout."""
    queued_long_ago = Q(letter_state=LetterState.QUEUED) & (
        Q(letter_claimed_at__isnull=True) | Q(letter_claimed_at__lt=now - reclaim_after())
    )
    dead_claim = Q(letter_state=LetterState.WORKING) & (
        Q(letter_claimed_at__isnull=True)
        | Q(letter_claimed_at__lt=now - max(reclaim_after(), LETTER_CLAIM_TIMEOUT))
    )
    return RecordsRequest.objects.filter(queued_long_ago | dead_claim)


def letters_requeue(rows, *, now: datetime.datetime) -> list[int]:
    """Put these letters back to queued (dated now) and queue their tasks after commit; returns their ids."""
    ids = list(rows.values_list("pk", flat=True)[:BATCH])
    # Only rows still in the state that was selected: a worker that claimed one meanwhile keeps it.
    rows.filter(pk__in=ids).update(letter_state=LetterState.QUEUED, letter_claimed_at=now, letter_error="")
    for pk in ids:
        task_enqueue_on_commit(GENERATE_TASK, pk)
    return ids


def extractions_stuck(*, now: datetime.datetime):
    """Pending documents whose task is gone: queued long ago, never claimed or claimed by a dead worker."""
    long_ago = now - reclaim_after()
    unclaimed_or_dead = Q(extraction_started_at__isnull=True) | Q(
        extraction_started_at__lt=now - datetime.timedelta(seconds=EXTRACT_HARD_LIMIT)
    )
    queued_long_ago = Q(extraction_queued_at__lt=long_ago) | Q(
        extraction_queued_at__isnull=True, created_at__lt=long_ago
    )
    return Document.objects.filter(
        unclaimed_or_dead, queued_long_ago, extraction_status=ExtractionStatus.PENDING
    )


def extractions_requeue(rows, *, now: datetime.datetime) -> list[int]:
    """Queue these documents' extraction again (dated now, so the next scan leaves them alone)."""
    ids = list(rows.values_list("pk", flat=True)[:BATCH])
    # A dead worker's claim is dropped, so the new task may claim the row whatever the clocks say.
    rows.filter(pk__in=ids).update(extraction_queued_at=now, extraction_started_at=None)
    for pk in ids:
        task_enqueue_on_commit(EXTRACT_TASK, pk)
    return ids


def work_reclaim(*, now: datetime.datetime) -> Reclaimed:
    """For the beat scan: queue again every letter and extraction left in between by a lost task."""
    return Reclaimed(
        letters=letters_requeue(letters_stuck(now=now), now=now),
        extractions=extractions_requeue(extractions_stuck(now=now), now=now),
        imports=imports_reclaim(now=now),
    )


# A running step's claim is dead after the task's hard limit; a waiting step's message is lost after this.
IMPORT_STEPS = {  # stuck status: the status that waits for the step
    ImportStatus.UPLOADED: ImportStatus.UPLOADED,
    ImportStatus.CONFIRMED: ImportStatus.CONFIRMED,
    ImportStatus.CHECKING: ImportStatus.UPLOADED,
    ImportStatus.WRITING: ImportStatus.CONFIRMED,
}


def imports_reclaim(*, now: datetime.datetime) -> list[int]:
    """Agency imports whose task was lost go back to the step they wait for, and it is queued again."""
    waiting_since = now - reclaim_after()
    dead_claim = now - max(reclaim_after(), datetime.timedelta(seconds=IMPORT_HARD_LIMIT + 60))
    ids = []
    for stuck, back_to in IMPORT_STEPS.items():
        before = dead_claim if stuck != back_to else waiting_since
        # claimed_at dates the last step change (upload rows have none yet: their creation counts).
        rows = AgencyImport.objects.filter(status=stuck).filter(
            Q(claimed_at__lt=before) | Q(claimed_at__isnull=True, created_at__lt=before)
        )
        found = list(rows.values_list("pk", flat=True)[:BATCH])
        rows.filter(pk__in=found).update(status=back_to, claimed_at=now, updated_at=now)
        ids += found
    for pk in ids:
        task_enqueue_on_commit(IMPORT_TASK, pk)
    return ids


def campaign_stuck_letters(*, campaign: Campaign, now: datetime.datetime):
    """The campaign's letters that failed or are stuck in between (for its page and its retry button)."""
    stuck = letters_stuck(now=now).filter(campaign=campaign)
    failed = campaign.requests.filter(letter_state=LetterState.FAILED, letter_body__gt="")
    return RecordsRequest.objects.filter(Q(pk__in=stuck.values("pk")) | Q(pk__in=failed.values("pk")))


def campaign_letters_retry(*, campaign: Campaign, now: datetime.datetime) -> list[int]:
    """A person's retry: the campaign's failed and stuck letters are queued again now; returns their ids."""
    rows = campaign_stuck_letters(campaign=campaign, now=now)
    ids = list(rows.values_list("pk", flat=True)[:BATCH])
    RecordsRequest.objects.filter(pk__in=ids).filter(
        Q(letter_state=LetterState.FAILED) | Q(pk__in=letters_stuck(now=now).values("pk"))
    ).update(letter_state=LetterState.QUEUED, letter_claimed_at=now, letter_error="")
    for pk in ids:
        task_enqueue_on_commit(GENERATE_TASK, pk)
    return ids
