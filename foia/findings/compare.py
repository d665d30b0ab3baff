"""Documents compared with their kind's reference (redline, similarity, sections that differ); the
near-duplicate groups are foia.findings.duplicates'."""

from __future__ import annotations

from django.db import transaction

from ..models import (
    Document,
    DocumentPage,
    ExtractionStatus,
    TemplateComparison,
    TemplateReference,
)
from ..queue import task_enqueue_on_commit
from .redline import Redline, redline

REFERENCE_TASK = "foia.tasks.findings.findings_reference"


def document_texts(document_ids: list[int]) -> dict[int, list[str]]:
    """{document id: [page text, ...]} in page order."""
    out: dict[int, list[str]] = {pk: [] for pk in document_ids}
    rows = DocumentPage.objects.filter(document_id__in=document_ids).order_by("document_id", "number")
    for document_id, text in rows.values_list("document_id", "text").iterator(chunk_size=2000):
        out[document_id].append(text)
    return out


def campaign_documents(campaign, kind: str):
    """The campaign's documents of a kind that have text."""
    return Document.objects.filter(
        links__request__campaign=campaign, kind=kind, extraction_status=ExtractionStatus.DONE
    ).distinct()


def reference_set(*, campaign, document: Document, user=None) -> TemplateReference:
    """Make `document` the reference for its kind in the campaign; every other one is compared again."""
    with transaction.atomic():
        reference, _ = TemplateReference.objects.update_or_create(
            campaign=campaign, kind=document.kind, defaults={"document": document, "chosen_by": user}
        )
        reference.comparisons.all().delete()
    task_enqueue_on_commit(REFERENCE_TASK, reference.pk)
    return reference


def document_redline(reference: TemplateReference, document_id: int) -> Redline:
    texts = document_texts([reference.document_id, document_id])
    return redline(texts[reference.document_id], texts[document_id])


def comparisons_compute(*, reference: TemplateReference, document_ids: list[int] | None = None) -> int:
    """Compare the reference's kind's documents (or these) with it; returns how many were compared."""
    documents = campaign_documents(reference.campaign, reference.kind).exclude(pk=reference.document_id)
    if document_ids is not None:
        documents = documents.filter(pk__in=document_ids)
    ids = list(documents.values_list("pk", flat=True))
    base = document_texts([reference.document_id])[reference.document_id]
    done = 0
    for start in range(0, len(ids), 200):
        chunk = ids[start : start + 200]
        texts = document_texts(chunk)
        for document_id in chunk:
            result = redline(base, texts[document_id])
            TemplateComparison.objects.update_or_create(
                reference=reference,
                document_id=document_id,
                defaults={
                    "similarity": result.similarity,
                    "changes": result.changes,
                    "sections": ",".join(result.sections)[:200],
                },
            )
            done += 1
    return done


def comparisons_for_document(document_id: int) -> int:
    """The document's text or kind changed: compare it with the reference of its kind in its campaigns."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return 0
    TemplateComparison.objects.filter(document_id=document_id).exclude(reference__kind=document.kind).delete()
    references = TemplateReference.objects.filter(
        kind=document.kind, campaign__requests__documents__document_id=document_id
    ).distinct()
    return sum(comparisons_compute(reference=r, document_ids=[document_id]) for r in references)
