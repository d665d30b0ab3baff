"""Near-duplicate groups stored per campaign and kind: computed by the worker when documents of that kind
change (arrive, get their text, change kind, are unlinked or moved), read by the groups page.

A change marks the row wanted (wanted_at) and queues one task; the task records when its computation
began as computed_at, so a change made while it runs leaves the row stale for the next task, and tasks
queued for changes it already saw find the row fresh and do nothing."""

from __future__ import annotations

import datetime

from django.utils import timezone

from ..models import Campaign, DuplicateGroups, RequestDocument
from ..queue import task_enqueue_on_commit
from .compare import campaign_documents, document_texts
from .groups import Group, groups_find, sketch

GROUPS_TASK = "foia.tasks.findings.findings_groups"
CHUNK = 500
# A stale row whose task has not run this long after the change is queued again when the page is read.
REQUEUE_AFTER = datetime.timedelta(minutes=10)


def groups_wanted(*, campaign_ids, kinds=(), document_id: int | None = None) -> int:
    """Documents of these kinds changed in these campaigns (or this document changed, whatever kind it
    was grouped under): mark the stored groups stale and queue their recomputation. Only groups someone
    has looked at are stored, so a campaign nobody groups costs nothing. Returns how many were queued."""
    rows = DuplicateGroups.objects.filter(campaign_id__in=set(campaign_ids))
    wanted = [
        row.pk
        for row in rows.only("id", "kind", "groups")
        if row.kind in kinds or (document_id is not None and _holds(row.groups, document_id))
    ]
    if not wanted:
        return 0
    DuplicateGroups.objects.filter(pk__in=wanted).update(wanted_at=timezone.now())
    for campaign_id, kind in DuplicateGroups.objects.filter(pk__in=wanted).values_list("campaign_id", "kind"):
        task_enqueue_on_commit(GROUPS_TASK, campaign_id, kind)
    return len(wanted)


def _holds(groups: list, document_id: int) -> bool:
    return any(document_id in variant for variants in groups for variant in variants)


def groups_compute(*, campaign_id: int, kind: str, force: bool = False) -> DuplicateGroups | None:
    """Recompute and store the groups if they are stale (or `force`); the row, or None if the campaign is
    gone. Documents are read in chunks and only their sketches are kept, so memory stays flat."""
    row = DuplicateGroups.objects.filter(campaign_id=campaign_id, kind=kind).first()
    if row is None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            return None
        row, _ = DuplicateGroups.objects.get_or_create(campaign=campaign, kind=kind)
    if not (force or row.stale):
        return row
    began = timezone.now()
    ids = sorted(campaign_documents(row.campaign, kind).values_list("pk", flat=True))
    sketches = {}
    for start in range(0, len(ids), CHUNK):
        for document_id, pages in document_texts(ids[start : start + CHUNK]).items():
            sketches[document_id] = sketch(" ".join(pages))
    groups = [group.variants for group in groups_find(sketches)]
    DuplicateGroups.objects.filter(pk=row.pk).update(groups=groups, documents=len(ids), computed_at=began)
    row.refresh_from_db()
    return row


def stored_groups(campaign, kind: str) -> tuple[DuplicateGroups | None, list[tuple[Group, dict]]]:
    """The stored row (None on the first look: its computation is queued) and its groups with
    {document id: (document, [agency, ...])} for showing who returned which variant. A read: the page
    never groups anything itself."""
    row = DuplicateGroups.objects.filter(campaign=campaign, kind=kind).first()
    if row is None:  # the first look: the worker groups them (and keeps them current from now on)
        task_enqueue_on_commit(GROUPS_TASK, campaign.pk, kind)
        return None, []
    if row.stale and (row.wanted_at or row.computed_at or timezone.now()) < timezone.now() - REQUEUE_AFTER:
        task_enqueue_on_commit(GROUPS_TASK, campaign.pk, kind)  # its task was lost (broker down): again
    if row.computed_at is None:
        return row, []
    groups = [Group(variants[0][0], variants) for variants in row.groups]
    ids = [key for group in groups for key in group.members]
    documents = {d.pk: d for d in campaign_documents(campaign, kind).filter(pk__in=ids)}
    agencies: dict[int, list] = {pk: [] for pk in documents}
    links = (
        RequestDocument.objects.filter(document_id__in=documents, request__campaign=campaign)
        .select_related("request__agency")
        .order_by("request__agency__state", "request__agency__name")
    )
    for link in links if documents else []:
        agencies[link.document_id].append(link.request.agency)
    info = {pk: (documents[pk], agencies[pk]) for pk in documents}
    shown = []
    for group in groups:  # a document unlinked since the computation is left out until the next one
        variants = [[key for key in variant if key in info] for variant in group.variants]
        variants = [variant for variant in variants if variant]
        if variants:
            shown.append((Group(variants[0][0], variants), info))
    return row, shown
