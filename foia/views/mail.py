"""Pages for incoming mail: the signed inbound webhook, .eml/.mbox uploads, the unsorted inbox, messages."""

import hashlib
import hmac

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..downloads import download_response
from ..mail import MailError, communication_assign, mail_ingest
from ..mail_reports import portal_suggestion_accept, portal_suggestion_dismiss
from ..mail_senders import sender_confirm
from ..mail_sources import mail_import
from ..models import Agency, Communication, Direction, RecordsRequest, Role
from ..permissions import can_work_request, require_can_work, role_required
from ..wording import counted
from .uploads import limit_upload_sizes, report_rejections

WEBHOOK_READ_CHUNK = 64 * 1024


def _webhook_error(status: int, message: str) -> JsonResponse:
    """Errors as JSON (never the body's bytes echoed back as HTML)."""
    return JsonResponse({"error": message}, status=status)


@login_not_required
@csrf_exempt
@require_POST
def inbound_email(request):
    """Raw MIME from the mail provider, signed: X-Signature = hex HMAC-SHA256 of the body with the secret.

    Refused from its Content-Length alone when too large (the body is never read); hashed while read; parsed
    only once the signature matches."""
    secret = settings.FOIA_INBOUND_SECRET
    if not secret:
        return _webhook_error(403, "Inbound mail is switched off: FOIA_INBOUND_SECRET is not set.")
    limit = settings.FOIA_MAX_UPLOAD_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _webhook_error(400, "The Content-Length header is not a number.")
    if declared > limit:
        return _webhook_error(413, f"Message larger than {limit:,} bytes.")
    signature = request.headers.get("X-Signature", "").strip().lower()
    if not signature:
        return _webhook_error(403, "Bad signature.")
    digest, chunks, size = hmac.new(secret.encode(), digestmod=hashlib.sha256), [], 0
    while chunk := request.read(WEBHOOK_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            return _webhook_error(413, f"Message larger than {limit:,} bytes.")
        digest.update(chunk)
        chunks.append(chunk)
    if not hmac.compare_digest(digest.hexdigest(), signature):
        return _webhook_error(403, "Bad signature.")
    try:
        result = mail_ingest(raw=b"".join(chunks))
    except MailError as exc:
        return _webhook_error(400, str(exc))
    filed_on = result.communication.request.tracking_number if result.communication.request else None
    return JsonResponse(
        {"stored": result.created, "filed_on": filed_on, "communication": result.communication.pk},
        status=201 if result.created else 200,
    )


class MailUploadForm(forms.Form):
    file = forms.FileField(
        help_text="A reply saved from your mail program: .eml (one message) or .mbox (many)."
    )
    records_request = forms.ModelChoiceField(
        queryset=RecordsRequest.objects.none(), required=False, label="Request (if it cannot be matched)"
    )


@limit_upload_sizes
@role_required(Role.REPORTER)
def mail_upload(request):
    """Replies reporters forward from their own inboxes, as .eml or .mbox files."""
    form = MailUploadForm(request.POST or None, request.FILES or None)  # parsing runs the size handler
    form.fields["records_request"].queryset = RecordsRequest.objects.visible_to(request.user).select_related(
        "agency"
    )
    for name in request.too_large_uploads:
        messages.error(
            request, f"{name} is larger than the limit of {settings.FOIA_MAX_UPLOAD_BYTES:,} bytes."
        )
    if request.method == "POST" and form.is_valid():
        upload, fallback = form.cleaned_data["file"], form.cleaned_data["records_request"]
        if fallback:
            require_can_work(request.user, fallback)
        try:
            results = mail_import(data=upload.read(), filename=upload.name, actor=request.user)
        except MailError as exc:
            messages.error(request, f"Nothing imported: {exc}")
            return redirect("mail-upload")
        _mail_upload_report(request, results, fallback)
        return redirect(
            "mail-unsorted" if any(r.communication.request_id is None for r in results) else "mail-upload"
        )
    return render(request, "documents/mail_upload.html", {"form": form})


def _mail_upload_report(request, results, fallback) -> None:
    new = [r for r in results if r.created]
    if fallback:
        for result in new:
            if result.communication.request_id is None:
                communication_assign(
                    communication=result.communication, records_request=fallback, actor=request.user
                )
                result.communication.refresh_from_db()
    filed = sum(1 for r in new if r.communication.request_id)
    messages.success(
        request,
        f"{counted(len(results), 'message')} read: {len(new)} new, {filed} filed on requests, "
        f"{len(new) - filed} left unsorted, {len(results) - len(new)} already stored.",
    )
    not_yours = sum(1 for r in new if r.not_yours and r.communication.request_id is None)
    if not_yours:
        messages.warning(
            request,
            f"{counted(not_yours, 'message')} matched a request you cannot change; left in the unsorted "
            "inbox for its owner or an editor.",
        )
    for result in new:
        report_rejections(request, result.rejected)


def mail_unsorted(request):
    communications = Communication.objects.filter(
        request__isnull=True, direction=Direction.INCOMING
    ).prefetch_related("unsorted_attachments__document")
    page = Paginator(communications.order_by("-occurred_at", "-id"), 50).get_page(request.GET.get("page"))
    requests_ = (
        RecordsRequest.objects.visible_to(request.user).select_related("agency").order_by("tracking_number")
    )
    can_assign = request.user.has_role(Role.REPORTER)
    context = {"page": page, "records_requests": requests_, "can_assign": can_assign}
    return render(request, "documents/unsorted.html", context)


@require_POST
@role_required(Role.REPORTER)
def mail_assign(request, pk):
    communication = get_object_or_404(Communication, pk=pk, direction=Direction.INCOMING)
    chosen = (request.POST.get("records_request") or "").strip()
    records_request = None
    if chosen.isdigit() and int(chosen) < 2**63:
        records_request = RecordsRequest.objects.visible_to(request.user).filter(pk=int(chosen)).first()
    if records_request is None:
        what = f" ({chosen[:40]!r} is not a request you can see)" if chosen else ""
        messages.error(request, f"records_request: choose the request this message belongs to{what}.")
        return redirect("mail-unsorted")
    require_can_work(request.user, records_request)
    if communication_assign(communication=communication, records_request=records_request, actor=request.user):
        messages.success(request, f"Message filed on {records_request.tracking_number}.")
    else:
        messages.warning(request, "That message was already filed on a request.")
    return redirect("mail-unsorted")


def communication_detail(request, pk):
    communication = get_object_or_404(Communication.objects.select_related("request__agency"), pk=pk)
    if (
        communication.request
        and not RecordsRequest.objects.visible_to(request.user).filter(pk=communication.request_id).exists()
    ):
        raise Http404("No message you may see.")
    attachments = communication.attachments.select_related("document")
    can_confirm = bool(communication.request) and can_work_request(request.user, communication.request)
    context = {"communication": communication, "attachments": attachments, "can_confirm": can_confirm}
    return render(request, "documents/communication.html", context)


@require_POST
@role_required(Role.REPORTER)
def communication_confirm_sender(request, pk):
    """A person who may work the request vouches for a message matched only by its tracking tag."""
    communication = get_object_or_404(Communication.objects.select_related("request"), pk=pk)
    if communication.request is None:
        raise Http404("An unsorted message has no request to confirm it for.")
    require_can_work(request.user, communication.request)
    if sender_confirm(communication=communication, actor=request.user):
        messages.success(request, "Sender confirmed.")
    return redirect("communication-detail", pk=pk)


def communication_raw(request, pk):
    """The message exactly as received, as a download."""
    communication = get_object_or_404(Communication, pk=pk)
    visible = RecordsRequest.objects.visible_to(request.user).filter(pk=communication.request_id)
    if communication.request_id and not visible.exists():
        raise Http404("No message you may see.")
    if not communication.raw_message:
        raise Http404("No raw message stored.")
    return download_response(communication.raw_message.open("rb"), filename=f"message-{pk}.eml")


@require_POST
@role_required(Role.REPORTER)
def agency_portal_suggestion(request, pk):
    """Accept or dismiss the portal a reply pointed to; switching a working contact is an editor's job."""
    agency = get_object_or_404(Agency, pk=pk)
    action = request.POST.get("action", "")
    if not agency.portal_suggestion_url or action not in ("accept", "dismiss"):
        messages.error(request, "action: nothing to accept or dismiss for this agency.")
    elif action == "dismiss":
        portal_suggestion_dismiss(agency=agency)
        messages.success(request, "Portal suggestion dismissed.")
    else:
        replaces = agency.usable_email or (
            agency.portal_url and agency.portal_url != agency.portal_suggestion_url
        )
        if replaces and not request.user.has_role(Role.EDITOR):
            raise PermissionDenied("Only an editor can replace a working contact with a portal.")
        portal_suggestion_accept(agency=agency, actor=request.user)
        messages.success(request, f"{agency.name} now takes requests through {agency.portal_name}.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("agency-detail", pk=pk)


urlpatterns = [
    path("agencies/<int:pk>/portal-suggestion/", agency_portal_suggestion, name="agency-portal-suggestion"),
    path("mail/unsorted/", mail_unsorted, name="mail-unsorted"),
    path("mail/upload/", mail_upload, name="mail-upload"),
    path("mail/<int:pk>/", communication_detail, name="communication-detail"),
    path("mail/<int:pk>/raw/", communication_raw, name="communication-raw"),
    path("mail/<int:pk>/assign/", mail_assign, name="mail-assign"),
    path("mail/<int:pk>/confirm-sender/", communication_confirm_sender, name="communication-confirm-sender"),
    path("inbound/email/", inbound_email, name="inbound-email"),
]
