"""Celery tasks for the findings matrix: ids in, recompute only the affected row or column.

No claim is needed: a recomputation reads the current state and writes the same cells whoever runs it, so
two runs at once (or a retry) agree."""

from celery import shared_task


@shared_task(name="foia.tasks.findings.findings_document", bind=True, max_retries=3, soft_time_limit=300)
def findings_document(self, document_id: int) -> int:
    """A document's text or kind changed: recompute its agencies' rows."""
    from django.db import OperationalError

    from foia.findings.cells import findings_for_document

    try:
        return findings_for_document(document_id)
    except OperationalError as exc:  # a locked SQLite file or a dropped connection: try again shortly
        raise self.retry(exc=exc, countdown=10) from exc


@shared_task(name="foia.tasks.findings.findings_question", bind=True, max_retries=3, soft_time_limit=600)
def findings_question(self, question_id: int) -> int:
    """A question was created or changed: recompute its column."""
    from django.db import OperationalError

    from foia.findings.cells import findings_for_question

    try:
        return findings_for_question(question_id)
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=10) from exc


@shared_task(name="foia.tasks.findings.findings_reference", bind=True, max_retries=3, soft_time_limit=1800)
def findings_reference(self, reference_id: int) -> int:
    """A reference was chosen: compare every other document of its kind with it."""
    from django.db import OperationalError

    from foia.findings.compare import comparisons_compute
    from foia.models import TemplateReference

    reference = TemplateReference.objects.select_related("campaign").filter(pk=reference_id).first()
    if reference is None:
        return 0
    try:
        return comparisons_compute(reference=reference)
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=10) from exc


@shared_task(name="foia.tasks.findings.findings_agencies", bind=True, max_retries=3, soft_time_limit=300)
def findings_agencies(self, campaign_id: int, agency_ids: list[int]) -> int:
    """Agencies joined or left the campaign, or a document was unlinked or moved: recompute their rows."""
    from django.db import OperationalError

    from foia.findings.cells import findings_for_agencies

    try:
        return findings_for_agencies(campaign_id, agency_ids)
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=10) from exc


@shared_task(name="foia.tasks.findings.findings_groups", bind=True, max_retries=3, soft_time_limit=1800)
def findings_groups(self, campaign_id: int, kind: str) -> int:
    """Documents of a kind changed: regroup the campaign's near-duplicates of that kind (if still stale)."""
    from django.db import OperationalError

    from foia.findings.duplicates import groups_compute

    try:
        row = groups_compute(campaign_id=campaign_id, kind=kind)
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=10) from exc
    return len(row.groups) if row else 0
