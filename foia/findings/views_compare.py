"""Pages for comparing with the template: references per kind, near-duplicate groups and variants, the
side-by-side redline of one document against its kind's reference."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from ..models import Campaign, Document, DocumentKind, TemplateComparison, TemplateReference
from ..permissions import can_work_campaign
from .compare import document_redline, reference_set
from .duplicates import stored_groups


@require_safe
def findings_references(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    kind = request.GET.get("kind") or DocumentKind.CONTRACT
    if kind not in DocumentKind.values:
        raise Http404("No such kind.")
    reference = (
        TemplateReference.objects.filter(campaign=campaign, kind=kind).select_related("document").first()
    )
    stored, groups = stored_groups(campaign, kind)
    similarity = {}
    if reference:
        similarity = dict(reference.comparisons.values_list("document_id", "similarity"))
    context = {
        "campaign": campaign,
        "kind": kind,
        "kinds": DocumentKind.choices,
        "reference": reference,
        "groups": [_group_view(group, info, similarity) for group, info in groups],
        "stored": stored,
        "can_change": can_work_campaign(request.user, campaign),
    }
    return render(request, "findings/references.html", context)


def _group_view(group, info, similarity) -> dict:
    variants = []
    for variant in group.variants:
        agencies = [agency for key in variant for agency in info[key][1]]
        variants.append(
            {"leader": info[variant[0]][0], "agencies": agencies, "similarity": similarity.get(variant[0])}
        )
    count = len({agency.pk for v in variants for agency in v["agencies"]})
    return {"agencies": count, "documents": len(group.members), "variants": variants}


@require_POST
def findings_reference_set(request, pk, document_pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    if not can_work_campaign(request.user, campaign):
        raise PermissionDenied(
            "Only the campaign's owner (a reporter) or an editor can choose its reference."
        )
    document = get_object_or_404(
        Document.objects.filter(links__request__campaign=campaign).distinct(), pk=document_pk
    )
    reference_set(campaign=campaign, document=document, user=request.user)
    messages.success(
        request, f"{document} is now the reference for {document.get_kind_display()}; comparing the rest."
    )
    return redirect(f"{reverse('findings-references', args=[campaign.pk])}?kind={document.kind}")


@require_safe
def findings_redline(request, pk, document_pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    document = get_object_or_404(
        Document.objects.filter(links__request__campaign=campaign).distinct(), pk=document_pk
    )
    reference = (
        TemplateReference.objects.filter(campaign=campaign, kind=document.kind)
        .select_related("document")
        .first()
    )
    result = document_redline(reference, document.pk) if reference else None
    comparison = (
        TemplateComparison.objects.filter(reference=reference, document=document).first()
        if reference
        else None
    )
    context = {
        "campaign": campaign,
        "document": document,
        "reference": reference,
        "result": result,
        "comparison": comparison,
        "can_change": can_work_campaign(request.user, campaign),
    }
    return render(request, "findings/redline.html", context)


urlpatterns = [
    path("<int:pk>/findings/references/", findings_references, name="findings-references"),
    path(
        "<int:pk>/findings/references/<int:document_pk>/set/",
        findings_reference_set,
        name="findings-reference-set",
    ),
    path("<int:pk>/findings/redline/<int:document_pk>/", findings_redline, name="findings-redline"),
]
