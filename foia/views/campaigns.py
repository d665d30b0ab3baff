"""Pages for campaigns: list, create/edit, agencies, letters with live progress, downloads, sending."""

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..campaigns import (
    CampaignError,
    campaign_add_agencies,
    campaign_contact_warning,
    campaign_generate_requests,
    campaign_progress,
    campaign_queue_letters,
    campaign_write_merged_pdf,
    campaign_write_zip,
)
from ..downloads import download_response
from ..filters import AgencyFilter
from ..forms_campaigns import CampaignForm, manual_choices_for
from ..letters import requester_limit_warning
from ..models import Agency, Campaign, Communication, Law, RecordsRequest, Role, Status
from ..permissions import can_work_request, role_required
from ..queue import refusals_watch
from ..reclaim import campaign_letters_retry, campaign_stuck_letters
from ..sending import SendError, campaign_checklist, campaign_queue_emails, request_send_method
from ..wording import counted

CHECKLIST_PAGE_SIZE = 50  # each row renders a form: 50 keep the page under 300 ms at 1,500 agencies
QUEUE_DOWN = (
    "The task queue could not be reached: {n} PDFs are saved as queued and start on their own within a few "
    "minutes of it coming back (or use “Retry stuck and failed letters”)."
)


def can_edit_campaign(user, campaign: Campaign) -> bool:
    """Editors edit any campaign; reporters edit their own."""
    if user.has_role(Role.EDITOR):
        return True
    return user.has_role(Role.REPORTER) and campaign.owner_id == user.pk


def _editable(request, pk) -> Campaign:
    campaign = get_object_or_404(Campaign, pk=pk)
    if not can_edit_campaign(request.user, campaign):
        raise PermissionDenied("Only the campaign's owner or an editor can change it.")
    return campaign


def campaign_list(request):
    campaigns = Campaign.objects.select_related("owner").annotate(
        n_agencies=Count("agencies", distinct=True),
        n_requests=Count("requests", distinct=True),
        n_drafts=Count("requests", filter=Q(requests__status=Status.DRAFT), distinct=True),
    )
    return render(request, "campaigns/list.html", {"campaigns": campaigns})


@role_required(Role.REPORTER)
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = form.save(commit=False)
        campaign.slug = form.cleaned_data["slug"]
        campaign.owner = request.user
        campaign.save()
        messages.success(request, f"Campaign “{campaign.title}” created. Next: add agencies.")
        return redirect("campaign-agencies", pk=campaign.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": None})


@role_required(Role.REPORTER)
def campaign_edit(request, pk):
    campaign = _editable(request, pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        campaign = form.save(commit=False)
        campaign.slug = form.cleaned_data["slug"]
        campaign.save()
        messages.success(
            request, "Campaign saved. Generate the letters again to apply the changes to drafts."
        )
        return redirect("campaign-detail", pk=campaign.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": campaign})


def _flagged_agencies(campaign: Campaign) -> list[tuple[Agency, str]]:
    """Agencies whose state limits who may request (citizens/residents), with the warning."""
    limited = Law.objects.exclude(requester_limit="").by_jurisdiction()
    agencies = campaign.agencies.filter(state__in=limited).order_by("state", "name")
    return [(agency, requester_limit_warning(limited[agency.state])) for agency in agencies]


def _live_context(request, campaign: Campaign) -> dict:
    """What changes while letters render and emails go out: progress, downloads, sending, request table."""
    requests = campaign.requests.select_related("agency").order_by("tracking_number")
    progress = campaign_progress(campaign=campaign)
    sends = dict(
        Communication.objects.filter(request__campaign=campaign, idempotency_key__startswith="send:")
        .values_list("delivery_state")
        .annotate(n=Count("pk"))
        .values_list("delivery_state", "n")
    )
    # Poll quickly while PDFs render; slowly while staggered emails wait their turn (hours at 60 per hour).
    if progress["running"]:
        poll = "every 1s"
    elif sends.get("pending") or sends.get("sending"):
        poll = "every 10s"
    else:
        poll = ""
    return {
        "campaign": campaign,
        "can_edit": can_edit_campaign(request.user, campaign),
        "page": Paginator(requests, 100).get_page(request.GET.get("page")),
        "progress": progress,
        "poll": poll,
        "failed": campaign_stuck_letters(campaign=campaign, now=timezone.now())
        .select_related("agency")
        .order_by("tracking_number")[:20],
        "n_checklist": campaign_checklist(campaign=campaign).count(),
        "sends": sends,
        "n_email_ready": campaign.requests.filter(
            status=Status.DRAFT, send_queued_at__isnull=True, letter_state="ready"
        )
        .exclude(agency__email="")
        .count(),
    }


def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    by_status = dict(campaign.requests.order_by().values_list("status").annotate(n=Count("pk")))
    context = {
        **_live_context(request, campaign),
        "status_counts": [(label, by_status.get(value, 0)) for value, label in Status.choices],
        "total": sum(by_status.values()),
        "overdue": RecordsRequest.objects.filter(campaign=campaign).overdue(timezone.localdate()).count(),
        "n_agencies": campaign.agencies.count(),
        # Simulated demo contacts do not count outside the demo campaign (Agency.needing_contact_for).
        "n_needing_contact": campaign.agencies.needing_contact_for(campaign).count(),
        "flagged": _flagged_agencies(campaign),
    }
    return render(request, "campaigns/detail.html", context)


@role_required(Role.REPORTER)
def campaign_agencies(request, pk):
    """Choose agencies by state, kind and name; add the ticked ones or every one matching the filter."""
    campaign = _editable(request, pk)
    filterset = AgencyFilter(request.GET or None, queryset=Agency.objects.all())
    matching = filterset.qs
    if request.method == "POST":
        if request.POST.get("all_matching"):
            added = campaign_add_agencies(campaign=campaign, agencies=matching.values_list("pk", flat=True))
        else:
            ids = [int(v) for v in request.POST.getlist("agency") if v.isdigit()]
            added = campaign_add_agencies(campaign=campaign, agencies=Agency.objects.filter(pk__in=ids))
        messages.success(request, f"Added {counted(added, 'agency', 'agencies')} to the campaign.")
        return redirect(f"{request.path}?{request.GET.urlencode()}")
    in_campaign = set(campaign.agencies.values_list("pk", flat=True))
    page = Paginator(matching.order_by("state", "name"), 200).get_page(request.GET.get("page"))
    context = {
        "campaign": campaign,
        "filters": filterset.page_form(),
        "page": page,
        "n_matching": page.paginator.count,
        "in_campaign": in_campaign,
        "query": request.GET.urlencode(),
    }
    return render(request, "campaigns/agencies.html", context)


@require_POST
@role_required(Role.REPORTER)
def campaign_remove_without_contact(request, pk):
    """Drop agencies that have no contact, with their unsent drafts (tracking numbers are not reused)."""
    campaign = _editable(request, pk)
    without = campaign.agencies.needing_contact_for(campaign)  # the agencies the page counted
    with transaction.atomic():
        campaign.requests.filter(
            agency__in=without,
            status=Status.DRAFT,
            letter_frozen_at__isnull=True,
            send_queued_at__isnull=True,
        ).delete()
        keep = set(campaign.requests.filter(agency__in=without).values_list("agency_id", flat=True))
        removed = [agency for agency in without if agency.pk not in keep]
        campaign.agencies.remove(*removed)
    messages.success(
        request,
        f"Removed {counted(len(removed), 'agency', 'agencies')} that have no contact, and their drafts.",
    )
    return redirect("campaign-detail", pk=campaign.pk)


@require_POST
@role_required(Role.REPORTER)
def campaign_generate(request, pk):
    """Write every draft letter (all or nothing), then queue one PDF task per letter."""
    campaign = _editable(request, pk)
    try:
        with refusals_watch() as refused, transaction.atomic():
            changed = campaign_generate_requests(campaign=campaign, actor=request.user)
            ids = campaign_queue_letters(campaign=campaign)
    except CampaignError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("campaign-detail", pk=campaign.pk)
    messages.success(
        request,
        f"{counted(len(changed), 'letter')} written or updated; {counted(len(ids), 'PDF')} being generated.",
    )
    if refused:
        messages.warning(request, QUEUE_DOWN.format(n=len(refused)))
    warning = campaign_contact_warning(campaign=campaign)
    if warning:
        messages.warning(request, warning)
    return redirect("campaign-detail", pk=campaign.pk)


@require_POST
@role_required(Role.REPORTER)
def campaign_retry_letters(request, pk):
    """Queue again the letters that failed or are stuck in between (a worker died, the queue was down)."""
    campaign = _editable(request, pk)
    with refusals_watch() as refused:
        ids = campaign_letters_retry(campaign=campaign, now=timezone.now())
    if ids:
        messages.success(request, f"{len(ids)} letters queued again.")
    else:
        messages.info(request, "No letters are stuck or failed.")
    if refused:
        messages.warning(request, QUEUE_DOWN.format(n=len(refused)))
    return redirect("campaign-detail", pk=campaign.pk)


def campaign_progress_fragment(request, pk):
    """The live part of the campaign page; it keeps polling itself until letters and emails are done."""
    campaign = get_object_or_404(Campaign, pk=pk)
    return render(request, "campaigns/_live.html", _live_context(request, campaign))


def _download(campaign: Campaign, writer, suffix: str, content_type: str):
    # A temporary file on disk, streamed out: the archive is never held in memory next to the PDFs.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    count = writer(campaign=campaign, fileobj=spool)
    spool.seek(0)
    return download_response(spool, filename=f"{campaign.slug}-{suffix}", content_type=content_type), count


def campaign_zip(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    if not campaign.requests.exclude(letter_pdf="").exists():
        messages.warning(request, "No letter PDFs yet: generate the letters first.")
        return redirect("campaign-detail", pk=pk)
    return _download(campaign, campaign_write_zip, "letters.zip", "application/zip")[0]


def campaign_merged(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    if not campaign.requests.exclude(letter_pdf="").exists():
        messages.warning(request, "No letter PDFs yet: generate the letters first.")
        return redirect("campaign-detail", pk=pk)
    return _download(campaign, campaign_write_merged_pdf, "all-letters.pdf", "application/pdf")[0]


def _workable(user, requests):
    """The requests this person may send: editors all, reporters their own and unowned ones."""
    if user.has_role(Role.EDITOR):
        return requests
    return requests.filter(Q(owner=user) | Q(owner__isnull=True))


@require_POST
@role_required(Role.REPORTER)
def campaign_send(request, pk):
    """Queue every ready email letter the person may send, staggered by the campaign's send_per_hour."""
    campaign = get_object_or_404(Campaign, pk=pk)
    candidates = _workable(request.user, campaign.requests.filter(status=Status.DRAFT))
    try:
        plan = campaign_queue_emails(campaign=campaign, actor=request.user, requests=candidates)
    except SendError as error:
        messages.error(request, error.messages[0])
        return redirect("campaign-detail", pk=pk)
    if plan.queued:
        last = plan.queued[-1].scheduled_for
        messages.success(
            request,
            f"{counted(len(plan.queued), 'email')} queued, {campaign.send_per_hour} per hour; "
            f"the last goes out around {timezone.localtime(last):%Y-%m-%d %H:%M}.",
        )
    else:
        messages.warning(request, "No email letters are ready to send.")
    if plan.skipped:
        messages.info(request, f"{len(plan.skipped)} not queued, e.g. {plan.skipped[0]}")
    return redirect("campaign-detail", pk=pk)


def campaign_checklist_page(request, pk):
    """Portal, mail and fax agencies: what to submit where, and a form to record each submission."""
    campaign = get_object_or_404(Campaign, pk=pk)
    page = Paginator(campaign_checklist(campaign=campaign), CHECKLIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # The "Mark sent" inputs are written out in the template (MarkSentForm's fields, checked when posted):
    # Django's widget templates cost ~5 ms a row, most of the page at 50 rows.
    rows = [
        {
            "records_request": r,
            "method": request_send_method(r),
            "can_work": can_work_request(request.user, r),
            "methods": manual_choices_for(r.agency),
        }
        for r in page.object_list
    ]
    context = {"campaign": campaign, "rows": rows, "page": page, "query": "", "today": timezone.localdate()}
    return render(request, "campaigns/checklist.html", context)


urlpatterns = [
    path("", campaign_list, name="campaign-list"),
    path("new/", campaign_create, name="campaign-create"),
    path("<int:pk>/", campaign_detail, name="campaign-detail"),
    path("<int:pk>/edit/", campaign_edit, name="campaign-edit"),
    path("<int:pk>/agencies/", campaign_agencies, name="campaign-agencies"),
    path("<int:pk>/agencies/remove-without-contact/", campaign_remove_without_contact, name="campaign-prune"),
    path("<int:pk>/generate/", campaign_generate, name="campaign-generate"),
    path("<int:pk>/progress/", campaign_progress_fragment, name="campaign-progress"),
    path("<int:pk>/retry-letters/", campaign_retry_letters, name="campaign-retry-letters"),
    path("<int:pk>/letters.zip", campaign_zip, name="campaign-zip"),
    path("<int:pk>/letters.pdf", campaign_merged, name="campaign-merged"),
    path("<int:pk>/send/", campaign_send, name="campaign-send"),
    path("<int:pk>/checklist/", campaign_checklist_page, name="campaign-checklist"),
]
