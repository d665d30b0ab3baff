"""Pages for records requests: the list, the overdue page (with CSV), the detail page and its three forms."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..appeals.services import annotate_appeal_windows, appeals_panel, request_appeal_window
from ..clocks import ack_late_text, calendar_for_law, law_for
from ..csvutil import csv_response
from ..filters import RecordsRequestFilter
from ..forms_requests import ExtensionForm, NoteForm, StatusForm, form_refusal_text, refusal_text
from ..lifecycle import (
    LifecycleError,
    allowed_transitions,
    request_add_note,
    request_claim_extension,
    request_record_receipt,
    request_transition,
)
from ..models import RecordsRequest, RequestEvent, Role, Status
from ..permissions import can_work_request, require_can_work, role_required
from .documents import documents_panel
from .letters import letter_panel

PAGE_SIZE = 50


class ReceiptForm(forms.Form):
    received_on = forms.DateField(
        label="Date the agency received it", widget=forms.DateInput(attrs={"type": "date"})
    )


def _listing(request):
    """The filtered, visible requests with what the rows show, and the filter form."""
    filterset = RecordsRequestFilter(
        request.GET or None,
        queryset=RecordsRequest.objects.visible_to(request.user).select_related(
            "agency", "campaign", "owner"
        ),
    )
    return filterset.page_form(), filterset.qs


def _decorate(rows, user, today):
    for rr in rows:
        rr.days_overdue = (today - rr.due_on).days if rr.due_on and rr.is_open and rr.due_on < today else 0
        rr.can_work = can_work_request(user, rr)
        rr.next_statuses = [(s, Status(s).label) for s in allowed_transitions(rr.status)]
    return rows


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def request_list(request):
    form, records_requests = _listing(request)
    page, query = _page(request, records_requests.order_by("-created_at", "tracking_number"))
    _decorate(page.object_list, request.user, timezone.localdate())
    return render(request, "requests/list.html", {"form": form, "page": page, "query": query})


def request_overdue(request):
    today = timezone.localdate()
    form, records_requests = _listing(request)
    overdue = records_requests.overdue(today).order_by("due_on", "tracking_number")
    if request.GET.get("format") == "csv":
        return _overdue_csv(overdue, today)
    page, query = _page(request, overdue)
    _decorate(page.object_list, request.user, today)
    annotate_appeal_windows(page.object_list, today=today)
    context = {"form": form, "page": page, "query": query, "today": today}
    return render(request, "requests/overdue.html", context)


def _appeal_window_cell(rr, today, calendars) -> str:
    window = request_appeal_window(rr, today=today, calendars=calendars)
    if window is None:
        return ""
    return window.closes_on.isoformat() if window.closes_on else window.text


def _overdue_csv(overdue, today):
    header = [
        "tracking_number",
        "campaign",
        "agency",
        "state",
        "owner",
        "status",
        "sent_at",
        "due_on",
        "days_overdue",
        "statutory",
        "due_rule",
        "followups_sent",
        "url",
        # Appended so existing spreadsheets keep their columns.
        "received_on",
        "receipt_estimated",
        "ack_due_on",
        "acknowledged_on",
        "agency_promised_on",
        "appeal_window_closes_on",
    ]
    calendars: dict = {}  # one business-day calendar per state, for the appeal windows
    rows = (
        [
            rr.tracking_number,
            rr.campaign.title,
            rr.agency.name,
            rr.agency.state,
            rr.owner.username if rr.owner else "",
            rr.get_status_display(),
            timezone.localtime(rr.sent_at).strftime("%Y-%m-%d %H:%M") if rr.sent_at else "",
            rr.due_on.isoformat(),
            (today - rr.due_on).days,
            "yes" if rr.due_is_statutory else "no (follow-up target)",
            rr.due_rule,
            rr.followups_sent,
            reverse("request-detail", args=[rr.pk]),
            rr.received_on.isoformat() if rr.received_on else "",
            "yes" if rr.receipt_estimated else "no",
            rr.ack_due_on.isoformat() if rr.ack_due_on else "",
            rr.acknowledged_on.isoformat() if rr.acknowledged_on else "",
            rr.promised_on.isoformat() if rr.promised_on else "",
            _appeal_window_cell(rr, today, calendars),
        ]
        for rr in overdue.iterator(chunk_size=2000)
    )
    return csv_response(f"overdue-{today.isoformat()}.csv", header, rows)


def _ack_late(records_request) -> str:
    """ "acknowledged 3 business days late" for the Dates table, or "" (on time, not acknowledged, no law)."""
    if records_request.acknowledged_on is None or records_request.ack_due_on is None:
        return ""
    try:
        law = law_for(records_request)
        return ack_late_text(records_request, law, calendar_for_law(law))
    except LifecycleError:
        return ""


def request_detail(request, pk):
    """The request page: status, clock, timeline, and the letter and documents panels, loaded here."""
    records_request = get_object_or_404(
        RecordsRequest.objects.visible_to(request.user).select_related("agency", "campaign", "owner"), pk=pk
    )
    today = timezone.localdate()
    _decorate([records_request], request.user, today)
    can_work = records_request.can_work
    records_request.ack_late = _ack_late(records_request)
    status_form = StatusForm()
    status_form.fields["to_status"].choices = records_request.next_statuses
    events = (
        RequestEvent.objects.filter(request=records_request)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    context = {
        "records_request": records_request,
        "events": events,
        "today": today,
        "status_form": status_form,
        "extension_form": ExtensionForm(),
        "receipt_form": ReceiptForm(),
        "note_form": NoteForm(),
        "letter": letter_panel(records_request, can_work=can_work),
        "documents": documents_panel(records_request, can_work=can_work),
        "appeals": appeals_panel(records_request, today=today),
    }
    return render(request, "requests/detail.html", context)


def _back(request, records_request):
    """Back to `next` when it is one of our pages (the overdue page's quick update), else the detail page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("request-detail", pk=records_request.pk)


def _work(request, pk):
    records_request = get_object_or_404(RecordsRequest.objects.select_related("agency"), pk=pk)
    require_can_work(request.user, records_request)
    return records_request


def _invalid(request, form):
    messages.error(request, form_refusal_text(form))


@require_POST
@role_required(Role.REPORTER)
def request_status_update(request, pk):
    records_request = _work(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(request, records_request)
    data = form.cleaned_data
    try:
        request_transition(
            records_request=records_request,
            to_status=data["to_status"],
            actor=request.user,
            note=data["note"],
            fee_amount=data["fee_amount"],
            exemptions=data["exemptions"],
        )
    except LifecycleError as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request,
            f"{records_request.tracking_number} is now {records_request.get_status_display().lower()}.",
        )
    return _back(request, records_request)


@require_POST
@role_required(Role.REPORTER)
def request_extension(request, pk):
    records_request = _work(request, pk)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(request, records_request)
    try:
        request_claim_extension(
            records_request=records_request,
            new_due_on=form.cleaned_data["new_due_on"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except LifecycleError as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, f"Extension recorded: now due {records_request.due_on:%Y-%m-%d}.")
    return _back(request, records_request)


@require_POST
@role_required(Role.REPORTER)
def request_receipt(request, pk):
    """A person enters the agency's actual receipt date (mail, fax, hand); the clock is counted again."""
    records_request = _work(request, pk)
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(request, records_request)
    try:
        request_record_receipt(
            records_request=records_request, received_on=form.cleaned_data["received_on"], actor=request.user
        )
    except LifecycleError as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, "Receipt date recorded; the due dates were counted again.")
    return _back(request, records_request)


@require_POST
@role_required(Role.REPORTER)
def request_note(request, pk):
    records_request = _work(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(request, records_request)
    try:
        request_add_note(records_request=records_request, text=form.cleaned_data["text"], actor=request.user)
    except LifecycleError as error:
        messages.error(request, refusal_text(error))
        return _back(request, records_request)
    messages.success(request, "Note added to the timeline.")
    return _back(request, records_request)


urlpatterns = [
    path("", request_list, name="request-list"),
    path("overdue/", request_overdue, name="request-overdue"),
    path("<int:pk>/", request_detail, name="request-detail"),
    path("<int:pk>/status/", request_status_update, name="request-status"),
    path("<int:pk>/extension/", request_extension, name="request-extension"),
    path("<int:pk>/note/", request_note, name="request-note"),
    path("<int:pk>/receipt/", request_receipt, name="request-receipt"),
]
