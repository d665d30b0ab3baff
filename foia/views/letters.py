"""Pages for letters: preview (with template errors and their lines), PDF, regenerate, send, mark sent."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..campaigns import letter_filename, letter_queue_pdf
from ..downloads import download_response
from ..forms_campaigns import MarkSentForm, manual_choices_for
from ..letters import LetterError, law_for_agency, letter_compose_bounded, requester_limit_warning
from ..models import Campaign, RecordsRequest, Role
from ..permissions import require_can_work, role_required
from ..sending import (
    SendError,
    campaign_queue_emails,
    request_confirm_email,
    request_record_manual_send,
    request_retry_email,
    request_send_method,
    request_send_problem,
)


def _request(pk) -> RecordsRequest:
    return get_object_or_404(RecordsRequest.objects.select_related("agency", "campaign"), pk=pk)


def campaign_letter_preview(request, pk):
    """The campaign's letter as one agency would get it, or the template error with its line."""
    campaign = get_object_or_404(Campaign, pk=pk)
    agencies = campaign.agencies.order_by("state", "name")
    chosen = request.GET.get("agency", "").strip()
    if chosen and not (chosen.isdigit() and int(chosen) < 2**63):
        return HttpResponseBadRequest(
            f"agency: {chosen[:40]!r} is not an agency id (a whole number).", content_type="text/plain"
        )
    agency = (agencies.filter(pk=int(chosen)).first() if chosen else None) or agencies.first()
    context = {"campaign": campaign, "agencies": agencies[:500], "agency": agency}
    if agency is None:
        context["error"] = "Add agencies to the campaign to preview its letter."
        return render(request, "letters/preview.html", context)
    existing = campaign.requests.filter(agency=agency).first()
    try:
        law = law_for_agency(agency)
        context["warning"] = requester_limit_warning(law)
        context["letter"] = letter_compose_bounded(
            campaign=campaign,
            agency=agency,
            law=law,
            tracking_number=existing.tracking_number if existing else f"{campaign.tracking_prefix}-0000",
            reply_address=existing.reply_address if existing else "records+preview@…",
            today=timezone.localdate(),
        )
    except LetterError as error:
        context["error"] = str(error)
        context["error_line"] = error.line
    return render(request, "letters/preview.html", context)


def letter_pdf(request, pk):
    records_request = _request(pk)
    if not records_request.letter_pdf:
        raise Http404("No PDF for this letter yet.")
    name = f"{records_request.tracking_number}-{letter_filename(records_request)}"
    return download_response(
        records_request.letter_pdf.open("rb"), filename=name, content_type="application/pdf"
    )


@require_POST
@role_required(Role.REPORTER)
def letter_generate_pdf(request, pk):
    """Queue this letter's PDF again (after a failure, say)."""
    records_request = _request(pk)
    require_can_work(request.user, records_request)
    if letter_queue_pdf(records_request_id=pk):
        messages.success(request, "The PDF is being generated.")
    else:
        messages.warning(request, "The PDF is already being generated, or there is no letter yet.")
    return redirect("request-detail", pk=pk)


@require_POST
@role_required(Role.REPORTER)
def letter_send(request, pk):
    """Email this one letter now (it still counts toward the campaign's hourly pace)."""
    records_request = _request(pk)
    require_can_work(request.user, records_request)
    try:
        plan = campaign_queue_emails(
            campaign=records_request.campaign,
            actor=request.user,
            requests=RecordsRequest.objects.filter(pk=pk),
        )
    except SendError as error:
        messages.error(request, error.messages[0])
        return redirect("request-detail", pk=pk)
    if plan.queued:
        when = timezone.localtime(plan.queued[0].scheduled_for)
        messages.success(request, f"Queued to {records_request.agency.email}; goes out around {when:%H:%M}.")
    else:
        messages.error(request, plan.skipped[0] if plan.skipped else "Nothing to send.")
    return redirect("request-detail", pk=pk)


@require_POST
@role_required(Role.REPORTER)
def letter_retry(request, pk):
    """Queue a failed email again."""
    records_request = _request(pk)
    require_can_work(request.user, records_request)
    if request_retry_email(records_request=records_request):
        messages.success(request, f"{records_request.tracking_number}: the email is queued again.")
    else:
        messages.warning(request, "There is no failed email to retry.")
    return redirect("request-detail", pk=pk)


@require_POST
@role_required(Role.REPORTER)
def letter_confirm_sent(request, pk):
    """A person confirms that a "probably sent" letter email reached the agency."""
    records_request = _request(pk)
    require_can_work(request.user, records_request)
    if request_confirm_email(records_request=records_request, actor=request.user):
        messages.success(request, f"{records_request.tracking_number}: confirmed sent.")
    else:
        messages.warning(request, "There is no email waiting for confirmation.")
    return redirect("request-detail", pk=pk)


@require_POST
@role_required(Role.REPORTER)
def letter_mark_sent(request, pk):
    """Record a portal/mail/fax submission: date, method, reference."""
    records_request = _request(pk)
    require_can_work(request.user, records_request)
    form = MarkSentForm(
        request.POST, prefix=request.POST.get("prefix") or None, agency=records_request.agency
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("request-detail", args=[pk])
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{records_request.tracking_number} {field}: {' '.join(errors)}")
        return redirect(back)
    try:
        request_record_manual_send(
            records_request=records_request,
            sent_at=form.sent_at(),
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
            received_on=form.cleaned_data["received_on"],
            actor=request.user,
        )
    except (SendError, ValidationError) as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{records_request.tracking_number} marked sent; its clock is running.")
    return redirect(back)


def letter_panel(records_request: RecordsRequest, *, can_work: bool) -> dict:
    """The request page's letter panel: send method, law warnings, what blocks emailing, the send."""
    law = records_request.agency.law
    return {
        "method": request_send_method(records_request),
        "warning": requester_limit_warning(law),
        "no_law": law is None,
        "send_problem": request_send_problem(records_request),
        "can_work": can_work,
        "send": records_request.communications.filter(idempotency_key=f"send:{records_request.pk}").first(),
        "methods": manual_choices_for(records_request.agency),
    }


# Under /requests/<pk>/letter/: the letter's actions live under its request's URL.
request_urlpatterns = [
    path("pdf/", letter_pdf, name="letter-pdf"),
    path("generate/", letter_generate_pdf, name="letter-generate"),
    path("send/", letter_send, name="letter-send"),
    path("retry/", letter_retry, name="letter-retry"),
    path("mark-sent/", letter_mark_sent, name="letter-mark-sent"),
    path("confirm-sent/", letter_confirm_sent, name="letter-confirm-sent"),
]

# Under /campaigns/<pk>/.
campaign_urlpatterns = [
    path("letter/preview/", campaign_letter_preview, name="letter-preview"),
]
