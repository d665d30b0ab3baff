"""Pages for documents, incoming mail and search: uploads, downloads, unsorted inbox, clause finder."""

import hashlib
import hmac
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from ..csvutil import csv_response
from ..documents import INLINE_TYPES, FileRejected, document_set_kind, document_store
from ..mail import MailError, communication_assign, mail_import, mail_ingest
from ..models import (
    Agency,
    Campaign,
    Communication,
    Direction,
    Document,
    DocumentKind,
    ExtractionStatus,
    RecordsRequest,
    RequestDocument,
    Role,
    Status,
)
from ..permissions import require_can_work, role_required
from ..search import clause_find, search

logger = logging.getLogger(__name__)

OUTCOME_STATUSES = [
    Status.ACKNOWLEDGED,
    Status.FIX_REQUIRED,
    Status.PAYMENT_REQUIRED,
    Status.PARTIAL,
    Status.COMPLETED,
    Status.REJECTED,
    Status.NO_RECORDS,
]


class SizeLimitUploadHandler(FileUploadHandler):
    """Skips any uploaded file over FOIA_MAX_UPLOAD_BYTES while it streams, so it is never kept whole."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.FOIA_MAX_UPLOAD_BYTES:
            self.request.too_large_uploads.append(self.file_name)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


def _limit_upload_sizes(view):
    """Installs SizeLimitUploadHandler; CSRF is checked after, since reading POST freezes the handlers."""
    protected = csrf_protect(view)

    def wrapped(request, *args, **kwargs):
        request.too_large_uploads = []
        request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
        return protected(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return csrf_exempt(wrapped)


def _visible_request(user, pk) -> RecordsRequest:
    return get_object_or_404(
        RecordsRequest.objects.visible_to(user).select_related("agency", "campaign"), pk=pk
    )


def _report_rejections(request, rejected) -> None:
    for exc in rejected:
        messages.error(request, f"Not stored: {exc.name or 'a file'} — {exc.reason}.")


# --- Documents ---------------------------------------------------------------------------------------------


def document_list(request):
    links = RequestDocument.objects.select_related("document", "request__agency", "request__campaign").filter(
        request__in=RecordsRequest.objects.visible_to(request.user)
    )
    filters = {key: request.GET.get(key, "") for key in ("campaign", "agency", "kind", "status", "q")}
    if filters["campaign"].isdigit():
        links = links.filter(request__campaign_id=filters["campaign"])
    if filters["agency"].isdigit():
        links = links.filter(request__agency_id=filters["agency"])
    if filters["kind"] in DocumentKind.values:
        links = links.filter(document__kind=filters["kind"])
    if filters["status"] in ExtractionStatus.values:
        links = links.filter(document__extraction_status=filters["status"])
    if filters["q"]:
        links = links.filter(filename__icontains=filters["q"])
    page = Paginator(links.order_by("-added_at", "-id"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "campaigns": Campaign.objects.order_by("title").only("id", "title"),
        "agencies": Agency.objects.filter(requests__documents__isnull=False)
        .distinct()
        .only("id", "name", "state"),
        "kinds": DocumentKind.choices,
        "statuses": ExtractionStatus.choices,
    }
    return render(request, "documents/list.html", context)


def document_detail(request, pk):
    document = get_object_or_404(Document, pk=pk)
    links = list(
        document.links.select_related("request__agency", "communication").filter(
            request__in=RecordsRequest.objects.visible_to(request.user)
        )
    )
    if not links:
        raise Http404("No document you may see.")
    context = {
        "document": document,
        "links": links,
        "pages": document.pages.all()[:200],
        "kinds": DocumentKind.choices,
        "can_edit": any(_can_work(request.user, link.request) for link in links),
        "inline_ok": document.mime_type in INLINE_TYPES,
    }
    return render(request, "documents/detail.html", context)


def _can_work(user, records_request) -> bool:
    from ..permissions import can_work_request

    return can_work_request(user, records_request)


@require_POST
@role_required(Role.REPORTER)
def document_kind(request, pk):
    document = get_object_or_404(Document, pk=pk)
    if not any(_can_work(request.user, link.request) for link in document.links.select_related("request")):
        raise PermissionDenied("Only the owner of a request it arrived on, or an editor, can change it.")
    kind = request.POST.get("kind", "")
    if kind not in DocumentKind.values:
        messages.error(request, f"Unknown kind {kind!r}.")
    else:
        document_set_kind(document=document, kind=kind)
        messages.success(request, f"Kind set to {DocumentKind(kind).label}.")
    return redirect("document-detail", pk=pk)


@require_POST
@role_required(Role.REPORTER)
def document_reextract(request, pk):
    document = get_object_or_404(Document, pk=pk)
    if not any(_can_work(request.user, link.request) for link in document.links.select_related("request")):
        raise PermissionDenied("Only the owner of a request it arrived on, or an editor, can do that.")
    updated = Document.objects.filter(pk=pk).exclude(extraction_status=ExtractionStatus.NO_TEXT)
    if updated.update(
        extraction_status=ExtractionStatus.PENDING, extraction_started_at=None, extraction_error=""
    ):
        from ..tasks.documents import extract_document

        transaction.on_commit(lambda: extract_document.delay(pk))
        messages.success(request, "Text extraction queued again.")
    return redirect("document-detail", pk=pk)


def document_download(request, pk):
    """The file, only to people who may see a request it arrived on; inline only for PDFs and images."""
    document = get_object_or_404(Document, pk=pk)
    link = document.links.filter(request__in=RecordsRequest.objects.visible_to(request.user)).first()
    if link is None:
        raise Http404("No document you may see.")
    inline = request.GET.get("inline") == "1" and document.mime_type in INLINE_TYPES
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=not inline,
        filename=link.filename,
        content_type=document.mime_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@_limit_upload_sizes
@require_POST
@role_required(Role.REPORTER)
def document_upload(request, pk):
    """Several files at once onto one request; each is stored or refused on its own with the reason."""
    records_request = _visible_request(request.user, pk)
    require_can_work(request.user, records_request)
    files = request.FILES.getlist("files")  # parses the upload; the size handler notes what it skipped
    for name in request.too_large_uploads:
        messages.error(
            request,
            f"Not stored: {name} — larger than the limit of {settings.FOIA_MAX_UPLOAD_BYTES:,} bytes.",
        )
    if not files and not request.too_large_uploads:
        messages.error(request, "Choose one or more files to upload.")
    stored = 0
    for upload in files:
        try:
            with transaction.atomic():
                result = document_store(
                    fileobj=upload, name=upload.name, records_request=records_request, added_by=request.user
                )
        except FileRejected as exc:
            _report_rejections(request, [exc])
            continue
        stored += len(result.links)
        _report_rejections(request, result.rejected)
    if stored:
        messages.success(request, f"{stored} file(s) added to {records_request.tracking_number}.")
    return redirect("request-detail", pk=pk)


class OutcomeForm(forms.Form):
    """The request's new status from a response, in one step."""

    status = forms.ChoiceField(choices=[(s.value, s.label) for s in OUTCOME_STATUSES])
    fee_amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
        help_text="For payment required: the amount asked, e.g. 25.00",
    )
    exemptions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For a rejection: the exemptions cited, e.g. MCL 15.243(1)(b)",
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    communication = forms.IntegerField(required=False, widget=forms.HiddenInput)
    document = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("status") == Status.PAYMENT_REQUIRED and data.get("fee_amount") is None:
            self.add_error("fee_amount", "Payment required needs the amount.")
        if data.get("status") == Status.REJECTED and not (data.get("exemptions") or "").strip():
            self.add_error("exemptions", "A rejection needs the exemptions cited.")
        return data


@require_POST
@role_required(Role.REPORTER)
def record_outcome(request, pk):
    """Set the request's status from a response (communication or document) through the lifecycle."""
    from ..lifecycle import LifecycleError, request_transition

    records_request = _visible_request(request.user, pk)
    require_can_work(request.user, records_request)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("request-detail", pk=pk)
    data = form.cleaned_data
    note = data["note"]
    if data["communication"]:
        found = records_request.communications.filter(pk=data["communication"]).first()
        note = f"From the reply “{found.subject}”. {note}".strip() if found else note
    if data["document"]:
        found = records_request.documents.filter(document_id=data["document"]).first()
        note = f"From the document {found.filename}. {note}".strip() if found else note
    try:
        request_transition(
            records_request=records_request,
            to_status=data["status"],
            actor=request.user,
            note=note,
            fee_amount=data["fee_amount"],
            exemptions=data["exemptions"],
        )
    except LifecycleError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Status set to {Status(data['status']).label}.")
    return redirect("request-detail", pk=pk)


# --- Incoming mail -----------------------------------------------------------------------------------------


@login_not_required
@csrf_exempt
@require_POST
def inbound_email(request):
    """Raw MIME from the mail provider, signed: X-Signature = hex HMAC-SHA256 of the body with the secret."""
    secret = settings.FOIA_INBOUND_SECRET
    if not secret:
        return HttpResponseForbidden("Inbound mail is switched off: FOIA_INBOUND_SECRET is not set.")
    limit = settings.FOIA_MAX_UPLOAD_BYTES
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return HttpResponse(f"Message larger than {limit:,} bytes.", status=413)
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Signature", "").strip().lower()):
        return HttpResponseForbidden("Bad signature.")
    try:
        result = mail_ingest(raw=raw)
    except MailError as exc:
        return HttpResponse(str(exc), status=400)
    status = 201 if result.created else 200
    state = (
        "filed on " + result.communication.request.tracking_number
        if result.communication.request
        else "unsorted"
    )
    return HttpResponse(f"{'stored' if result.created else 'already stored'}: {state}", status=status)


class MailUploadForm(forms.Form):
    file = forms.FileField(
        help_text="A reply saved from your mail program: .eml (one message) or .mbox (many)."
    )
    records_request = forms.ModelChoiceField(
        queryset=RecordsRequest.objects.none(), required=False, label="Request (if it cannot be matched)"
    )


@_limit_upload_sizes
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
        f"{len(results)} message(s) read: {len(new)} new, {filed} filed on requests, "
        f"{len(new) - filed} left unsorted, {len(results) - len(new)} already stored.",
    )
    for result in new:
        _report_rejections(request, result.rejected)


def mail_unsorted(request):
    communications = Communication.objects.filter(request__isnull=True, direction=Direction.INCOMING)
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
    records_request = RecordsRequest.objects.filter(pk=request.POST.get("records_request") or 0).first()
    if records_request is None:
        messages.error(request, "Choose the request this message belongs to.")
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
    return render(
        request, "documents/communication.html", {"communication": communication, "attachments": attachments}
    )


def communication_raw(request, pk):
    """The message exactly as received, as a download."""
    communication = get_object_or_404(Communication, pk=pk)
    visible = RecordsRequest.objects.visible_to(request.user).filter(pk=communication.request_id)
    if communication.request_id and not visible.exists():
        raise Http404("No message you may see.")
    if not communication.raw_message:
        raise Http404("No raw message stored.")
    response = FileResponse(
        communication.raw_message.open("rb"),
        as_attachment=True,
        filename=f"message-{pk}.eml",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- Search ------------------------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False, label="Words", help_text='Use quotes for a phrase: "encourage adoption"'
    )
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("title"), required=False)
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(requests__isnull=False).distinct(), required=False
    )
    state = forms.CharField(required=False, max_length=2)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *DocumentKind.choices], required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def search_page(request):
    form = SearchForm(request.GET or None)
    hits = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        hits = search(
            query=data["q"],
            campaign=data["campaign"],
            agency=data["agency"],
            state=(data["state"] or "").upper() or None,
            kind=data["kind"] or None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    return render(request, "documents/search.html", {"form": form, "hits": hits})


class ClauseForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("title"))
    phrase = forms.CharField(max_length=300, help_text="e.g. encourage adoption — found as this exact phrase")


def clause_finder(request):
    form = ClauseForm(request.GET or None)
    rows = None
    if form.is_valid():
        campaign, phrase = form.cleaned_data["campaign"], form.cleaned_data["phrase"]
        rows = clause_find(campaign=campaign, phrase=phrase)
        if request.GET.get("format") == "csv":
            return csv_response(
                f"clause-{campaign.slug}.csv",
                [
                    "agency",
                    "state",
                    "tracking_number",
                    "found",
                    "documents",
                    "document",
                    "page",
                    "snippet",
                    "url",
                ],
                [_clause_csv_row(request, row) for row in rows],
            )
    return render(request, "documents/clauses.html", {"form": form, "rows": rows})


def _clause_csv_row(request, row) -> list:
    hit = row.hit
    url = request.build_absolute_uri(reverse("document-detail", args=[hit.document.pk])) if hit else ""
    return [
        row.agency.name,
        row.agency.state,
        row.records_request.tracking_number if row.records_request else "",
        "yes" if row.found else "no",
        row.documents_matching,
        hit.link.filename if hit else "",
        hit.page if hit else "",
        hit.snippet_text if hit else "",
        url,
    ]


urlpatterns = [
    path("documents/", document_list, name="document-list"),
    path("documents/<int:pk>/", document_detail, name="document-detail"),
    path("documents/<int:pk>/download/", document_download, name="document-download"),
    path("documents/<int:pk>/kind/", document_kind, name="document-kind"),
    path("documents/<int:pk>/extract/", document_reextract, name="document-reextract"),
    path("documents/request/<int:pk>/upload/", document_upload, name="document-upload"),
    path("documents/request/<int:pk>/outcome/", record_outcome, name="record-outcome"),
    path("mail/unsorted/", mail_unsorted, name="mail-unsorted"),
    path("mail/upload/", mail_upload, name="mail-upload"),
    path("mail/<int:pk>/", communication_detail, name="communication-detail"),
    path("mail/<int:pk>/raw/", communication_raw, name="communication-raw"),
    path("mail/<int:pk>/assign/", mail_assign, name="mail-assign"),
    path("inbound/email/", inbound_email, name="inbound-email"),
    path("search/", search_page, name="search"),
    path("search/clauses/", clause_finder, name="clause-finder"),
]
