"""What changes a campaign's rows besides a document's text or kind (foia.findings.notify's callers):
agencies joining or leaving, requests made or deleted, a document unlinked or moved to another request.

These are signal receivers because those changes happen through paths this package does not own (the admin,
cascades from a deleted request, the campaign's agency list changed by a view, the API or an import), and
a row must not go stale whichever path it was. Each only queues a task after commit (ids in); no receiver
computes anything itself."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from ..models import Campaign, Document, RecordsRequest, RequestDocument
from .notify import agencies_changed


@receiver(m2m_changed, sender=Campaign.agencies.through, dispatch_uid="findings_campaign_agencies")
def campaign_agencies_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action == "pre_clear":  # the ids are gone by post_clear
        if reverse:
            instance._findings_cleared = list(instance.campaigns.values_list("pk", flat=True))
        else:
            instance._findings_cleared = list(instance.agencies.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    ids = pk_set if action != "post_clear" else getattr(instance, "_findings_cleared", [])
    if reverse:  # agency.campaigns.add(...): instance is the agency, ids are campaigns
        for campaign_id in ids or ():
            agencies_changed(campaign_id, [instance.pk])
    elif ids:
        agencies_changed(instance.pk, ids)


@receiver(post_save, sender=RecordsRequest, dispatch_uid="findings_request_made")
def request_made(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw and instance.campaign_id:
        agencies_changed(instance.campaign_id, [instance.agency_id])


@receiver(post_delete, sender=RecordsRequest, dispatch_uid="findings_request_deleted")
def request_deleted(sender, instance, **kwargs) -> None:
    if instance.campaign_id:
        agencies_changed(instance.campaign_id, [instance.agency_id])


def _where(request_id: int) -> tuple[int | None, int | None]:
    found = RecordsRequest.objects.filter(pk=request_id).values_list("campaign_id", "agency_id").first()
    return found or (None, None)


@receiver(pre_save, sender=RequestDocument, dispatch_uid="findings_link_moved")
def link_moved(sender, instance, raw=False, **kwargs) -> None:
    """A document moved to another request: both agencies' rows, and the groups it was in or joins."""
    if raw or instance.pk is None:
        return  # a new link: documents.document_store queues its row
    before = RequestDocument.objects.filter(pk=instance.pk).values_list("request_id", flat=True).first()
    if before is None or before == instance.request_id:
        return
    from .duplicates import groups_wanted

    kind = Document.objects.filter(pk=instance.document_id).values_list("kind", flat=True).first()
    campaigns = []
    for campaign_id, agency_id in (_where(before), _where(instance.request_id)):
        if campaign_id:
            agencies_changed(campaign_id, [agency_id])
            campaigns.append(campaign_id)
    groups_wanted(campaign_ids=campaigns, kinds=[kind] if kind else [], document_id=instance.document_id)


@receiver(pre_delete, sender=RequestDocument, dispatch_uid="findings_link_deleted")
def link_deleted(sender, instance, **kwargs) -> None:
    """A document unlinked (or its request deleted): that agency's row, and the groups it was in."""
    campaign_id, agency_id = _where(instance.request_id)
    if campaign_id:
        from .duplicates import groups_wanted

        agencies_changed(campaign_id, [agency_id])
        groups_wanted(campaign_ids=[campaign_id], document_id=instance.document_id)
