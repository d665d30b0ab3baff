"""Pages for documents: the list, one document, its kind and extraction, downloads, uploads and outcomes."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from ..documents import (
    INLINE_TYPES,
    FileRejected,
    document_extract_again,
    document_set_kind,
    document_store,
)
from ..downloads import download_response
from ..filters import DocumentFilter
from ..forms_requests import FeeAmountField, form_refusal_text, refusal_text
from ..lifecycle import allowed_transitions
from ..models import (
    Agency,
    Campaign,
    Document,
    DocumentKind,
    ExtractionStatus,
    RecordsRequest,
    RequestDocument,
    Role,
    Status,
)
from ..permissions import can_see_unsorted_files, require_can_work, role_required
from ..wording import counted
from .uploads import limit_upload_sizes, report_rejections

OUTCOME_STATUSES = [
    Status.ACKNOWLEDGED,
    Status.FIX_REQUIRED,
    Status.PAYMENT_REQUIRED,
    Status.PARTIAL,
    Status.COMPLETED,
    Status.REJECTED,
    Status.NO_RECORDS,
]


def _visible_request(user, pk) -> RecordsRequest:
    return get_object_or_404(
        RecordsRequest.objects.visible_to(user).select_related("agency", "campaign"), pk=pk
    )


def document_list(request):
    links = RequestDocument.objects.select_related("document", "request__agency", "request__campaign").filter(
        request__in=RecordsRequest.objects.visible_to(request.user)
    )
    links = DocumentFilter(request.GET, queryset=links).qs
    filters = {key: request.GET.get(key, "") for key in ("campaign", "agency", "kind", "status", "q")}
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


def _unsorted_links(user, document) -> list:
    """The unsorted messages this file came on, for those who may open files of unsorted mail."""
    if not can_see_unsorted_files(user):
        return []
    return list(document.unsorted_links.select_related("communication"))


def document_detail(request, pk):
    document = get_object_or_404(Document, pk=pk)
    links = list(
        document.links.select_related("request__agency", "request__campaign", "communication").filter(
            request__in=RecordsRequest.objects.visible_to(request.user)
        )
    )
    unsorted = _unsorted_links(request.user, document)
    if not links and not unsorted:
        raise Http404("No document you may see.")
    context = {
        "document": document,
        "links": links,
        "unsorted_links": unsorted,
        "pages": _pages_marked(document, request.GET.get("q", ""), request.GET.get("hit", "")),
        "kinds": DocumentKind.choices,
        "can_edit": any(_can_work(request.user, link.request) for link in links),
        # On no request yet (only unsorted mail): its kind is set once the message is filed.
        "can_set_kind": bool(links)
        and all(_can_work(request.user, link.request) for link in document.links.select_related("request")),
        "inline_ok": document.mime_type in INLINE_TYPES,
    }
    return render(request, "documents/detail.html", context)


def _pages_marked(document, query: str, hit: str) -> list:
    """The first 200 pages (and the page of a search hit beyond them), the query's matches marked."""
    from ..search.exact import page_text_marked

    pages = list(document.pages.all()[:200])
    if hit.isdigit() and int(hit) > 200:
        pages += list(document.pages.filter(number=int(hit)))
    for page in pages:
        page.marked = page_text_marked(page, query) if query.strip() else None
    return pages


def _can_work(user, records_request) -> bool:
    from ..permissions import can_work_request

    return can_work_request(user, records_request)


@require_POST
@role_required(Role.REPORTER)
def document_kind(request, pk):
    document = get_object_or_404(Document, pk=pk)
    # One document (one SHA-256) is shared by every request it arrived on: whoever changes its kind must be
    # allowed to change every one of them, or uploading the same bytes would let anyone relabel it.
    links = list(document.links.select_related("request"))
    if not links or not all(_can_work(request.user, link.request) for link in links):
        raise PermissionDenied(
            "This document is on requests you cannot change; only someone who may change all of them "
            "(their owners together, or an editor) can set its kind."
        )
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
    if document_extract_again(document_id=pk):
        messages.success(request, "Text extraction queued again.")
    return redirect("document-detail", pk=pk)


def document_download(request, pk):
    """The file, only to people who may see a request it arrived on (or, for a file of unsorted mail, to those
    who may open those); inline only for PDFs and images."""
    document = get_object_or_404(Document, pk=pk)
    link = document.links.filter(request__in=RecordsRequest.objects.visible_to(request.user)).first()
    if link is None and can_see_unsorted_files(request.user):
        link = document.unsorted_links.first()  # a file of unsorted mail, under the name it came with
    if link is None:
        raise Http404("No document you may see.")
    inline = request.GET.get("inline") == "1" and document.mime_type in INLINE_TYPES
    return download_response(
        document.file.open("rb"),
        filename=link.filename,
        content_type=document.mime_type if inline else "application/octet-stream",
        inline=inline,
    )


@limit_upload_sizes
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
            report_rejections(request, [exc])
            continue
        stored += len(result.links)
        report_rejections(request, result.rejected)
    if stored:
        messages.success(request, f"{counted(stored, 'file')} added to {records_request.tracking_number}.")
    return redirect("request-detail", pk=pk)


class OutcomeForm(forms.Form):
    """The request's new status from a response, in one step."""

    status = forms.ChoiceField(choices=[(s.value, s.label) for s in OUTCOME_STATUSES])
    fee_amount = FeeAmountField(help_text="For payment required: the amount asked, e.g. 25.00")
    exemptions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For a rejection: the exemptions cited, e.g. MCL 15.243(1)(b)",
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    communication = forms.IntegerField(required=False, widget=forms.HiddenInput)
    document = forms.IntegerField(required=False, widget=forms.HiddenInput)


@require_POST
@role_required(Role.REPORTER)
def record_outcome(request, pk):
    """Set the request's status from a response (communication or document) through the lifecycle."""
    from ..lifecycle import LifecycleError, request_transition

    records_request = _visible_request(request.user, pk)
    require_can_work(request.user, records_request)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_refusal_text(form))
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
    except LifecycleError as exc:  # the rules (amount, exemptions, transitions) are foia.lifecycle's
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, f"Status set to {Status(data['status']).label}.")
    return redirect("request-detail", pk=pk)


def documents_panel(records_request: RecordsRequest, *, can_work: bool) -> dict:
    """What the request page's documents panel shows: files, messages, and the outcome choices open now."""
    allowed = set(allowed_transitions(records_request.status))
    return {
        "links": records_request.documents.select_related("document").order_by("-added_at"),
        "communications": records_request.communications.order_by("-occurred_at", "-id"),
        "can_work": can_work,
        "outcome_choices": [(s.value, s.label) for s in OUTCOME_STATUSES if s.value in allowed],
        "inline_types": INLINE_TYPES,
    }


urlpatterns = [
    path("documents/", document_list, name="document-list"),
    path("documents/<int:pk>/", document_detail, name="document-detail"),
    path("documents/<int:pk>/download/", document_download, name="document-download"),
    path("documents/<int:pk>/kind/", document_kind, name="document-kind"),
    path("documents/<int:pk>/extract/", document_reextract, name="document-reextract"),
]

# Under /requests/<pk>/: a request's files and outcome live under its URL.
request_urlpatterns = [
    path("documents/", document_upload, name="document-upload"),
    path("outcome/", record_outcome, name="record-outcome"),
]
