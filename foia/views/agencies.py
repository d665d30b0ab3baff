"""Pages for agencies: list with filters, detail, contact edit, and the CSV import (upload, confirm)."""

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.views.decorators.http import require_http_methods

from ..imports import (
    STATE_NAMES,
    AgencyImportError,
    agencies_import,
    agencies_import_queue,
    agency_file_parse,
    campaign_for_import,
)
from ..models import Agency, AgencyKind, Campaign, Law, Role
from ..permissions import role_required
from ..tasks.agencies import import_progress_read, import_progress_write

PAGE_SIZE = 50
SESSION_KEY = "agency_import"
# Files with at least this many rows are imported by a worker while the page shows progress.
BACKGROUND_IMPORT_ROWS = 2000


class AgencyFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Name contains")
    state = forms.ChoiceField(required=False, choices=[("", "All")] + sorted(STATE_NAMES.items()))
    kind = forms.ChoiceField(required=False, choices=[("", "All"), *AgencyKind.choices])
    needs_contact = forms.BooleanField(required=False, label="Needs contact only")


def agency_list(request):
    """All agencies, filtered by name, state, kind and missing contact, 50 a page."""
    form = AgencyFilterForm(request.GET or None)
    agencies = Agency.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            agencies = agencies.filter(name__icontains=data["q"].strip())
        if data["state"]:
            agencies = agencies.filter(state=data["state"])
        if data["kind"]:
            agencies = agencies.filter(kind=data["kind"])
        if data["needs_contact"]:
            agencies = agencies.needing_contact()
    page = Paginator(agencies, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "total": Agency.objects.count(),
        "needing_contact": Agency.objects.needing_contact().count(),
        "can_edit": request.user.has_role(Role.REPORTER),
    }
    return render(request, "agencies/list.html", context)


def agency_detail(request, pk):
    agency = get_object_or_404(Agency, pk=pk)
    context = {
        "agency": agency,
        "law": Law.objects.filter(jurisdiction=agency.state).first(),
        "campaigns": agency.campaigns.order_by("title"),
        "requests": agency.requests.select_related("campaign").order_by("-pk"),
        "extra": sorted((agency.extra or {}).items()),
        "can_edit": request.user.has_role(Role.REPORTER),
    }
    return render(request, "agencies/detail.html", context)


def _formfield(field, **kwargs):
    """Model form fields; portal addresses typed without a scheme get https:// (Django 6's default)."""
    if field.name == "portal_url":
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class AgencyContactForm(forms.ModelForm):
    class Meta:
        formfield_callback = _formfield
        model = Agency
        fields = [
            "city",
            "county",
            "kind",
            "email",
            "portal_url",
            "portal_name",
            "address",
            "phone",
            "fax",
            "time_zone",
            "notes",
        ]


@role_required(Role.REPORTER)
@require_http_methods(["GET", "POST"])
def agency_edit(request, pk):
    agency = get_object_or_404(Agency, pk=pk)
    is_post = request.method == "POST"
    form = AgencyContactForm(request.POST if is_post else None, instance=agency)
    if is_post and form.is_valid():
        form.save()
        messages.success(request, f"Saved the contact details of {agency.name}.")
        return redirect("agency-detail", pk=agency.pk)
    return render(request, "agencies/edit.html", {"agency": agency, "form": form})


# --- Import: upload -> check -> preview -> confirm (nothing is written before the confirm) -----------------


class AgencyImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8 CSV with a header row: agency, state, and any others."
    )
    campaign = forms.ModelChoiceField(
        Campaign.objects.all(),
        required=False,
        empty_label="(none)",
        help_text="Add the agencies to a campaign.",
    )
    new_campaign = forms.CharField(
        required=False,
        max_length=200,
        label="…or a new campaign named",
        help_text="Created when you confirm.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.FOIA_MAX_UPLOAD_BYTES
        if upload.size > limit:
            size, most = filesizeformat(upload.size), filesizeformat(limit)
            raise forms.ValidationError(f"The file is {size}; the largest file accepted is {most}.")
        return upload


def _pending_path(token: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "agency-imports" / f"{token}.csv"


def _pending_discard(request) -> None:
    """Forget this person's unconfirmed upload, and any upload abandoned for more than a day."""
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        _pending_path(pending["token"]).unlink(missing_ok=True)
    folder = _pending_path("x").parent
    stale_before = time.time() - 24 * 3600
    for old in folder.glob("*.*") if folder.exists() else []:
        if old.suffix in (".csv", ".json", ".claim") and old.stat().st_mtime < stale_before:
            old.unlink(missing_ok=True)


def _pending(request) -> tuple[dict | None, bytes | None]:
    """The upload this person checked and has not confirmed yet."""
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return None, None
    file_path = _pending_path(pending["token"])
    if not file_path.exists():
        return None, None
    return pending, file_path.read_bytes()


@role_required(Role.REPORTER)
@require_http_methods(["GET", "POST"])
def agency_import(request):
    """Upload a CSV: show every problem with its line, or keep it for the preview."""
    form = AgencyImportForm(request.POST, request.FILES) if request.method == "POST" else AgencyImportForm()
    problems = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        parsed = agency_file_parse(data)
        problems = parsed.problems
        _pending_discard(request)
        if parsed.ok:
            token = secrets.token_hex(16)
            file_path = _pending_path(token)
            file_path.parent.mkdir(parents=True, exist_ok=True)
            file_path.write_bytes(data)
            campaign = form.cleaned_data["campaign"]
            request.session[SESSION_KEY] = {
                "token": token,
                "filename": form.cleaned_data["file"].name,
                "campaign_id": campaign.pk if campaign else None,
                "new_campaign": form.cleaned_data["new_campaign"].strip(),
            }
            return redirect("agency-import-confirm")
        messages.error(
            request, f"Nothing was imported: the file has {len(problems)} problem(s), listed below."
        )
    context = {
        "form": form,
        "problems": problems,
        "result": request.session.pop("agency_import_result", None),
    }
    return render(request, "agencies/import.html", context)


@role_required(Role.REPORTER)
@require_http_methods(["GET", "POST"])
def agency_import_confirm(request):
    """Preview the counts of a checked upload; on POST, import it and show what happened."""
    pending, data = _pending(request)
    if pending is None:
        messages.warning(request, "There is no checked file waiting: upload it again.")
        return redirect("agency-import")
    parsed = agency_file_parse(data)
    campaign = Campaign.objects.filter(pk=pending["campaign_id"]).first() if pending["campaign_id"] else None
    if request.method == "POST" and len(parsed.rows) >= BACKGROUND_IMPORT_ROWS:
        return _import_in_background(request, pending, total=len(parsed.rows))
    if request.method == "POST":
        try:
            with transaction.atomic():
                if pending["new_campaign"] and campaign is None:
                    campaign, _ = campaign_for_import(name=pending["new_campaign"], owner=request.user)
                result = agencies_import(parsed=parsed, campaign=campaign)
        except AgencyImportError as error:
            messages.error(request, f"Nothing was imported: {error}")
            return redirect("agency-import")
        _pending_discard(request)
        request.session["agency_import_result"] = {
            "filename": pending["filename"],
            "summary": result.summary(),
            "campaign": campaign.title if campaign else "",
        }
        messages.success(request, f"Imported {pending['filename']}: {result.summary()}.")
        return redirect("agency-import")
    try:
        preview = agencies_import(parsed=parsed, dry_run=True)
    except AgencyImportError as error:
        messages.error(request, f"The file no longer checks out: {error}")
        return redirect("agency-import")
    context = {"pending": pending, "preview": preview, "campaign": campaign}
    return render(request, "agencies/import_confirm.html", context)


def _import_in_background(request, pending: dict, *, total: int):
    """Hand a large confirmed upload to a worker and show its progress page."""
    token = pending["token"]
    import_progress_write(token, state="queued", done=0, total=total, filename=pending["filename"])
    request.session.pop(SESSION_KEY, None)  # the worker owns (and deletes) the stored file now
    agencies_import_queue(
        token=token,
        total=total,
        campaign_id=pending["campaign_id"],
        new_campaign=pending["new_campaign"],
        owner_id=request.user.pk,
    )
    return redirect("agency-import-progress", token=token)


def _progress_context(token: str) -> dict:
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        raise Http404("No such import.")
    progress = import_progress_read(token)
    if progress is None:
        raise Http404("No such import.")
    total = progress.get("total") or 0
    progress["percent"] = round(100 * progress.get("done", 0) / total) if total else 0
    progress["running"] = progress["state"] in ("queued", "running")
    return {"token": token, "progress": progress}


@role_required(Role.REPORTER)
def agency_import_progress(request, token):
    """The page of a background import: the progress fragment, polled until the counts appear."""
    return render(request, "agencies/import_progress.html", _progress_context(token))


@role_required(Role.REPORTER)
def agency_import_progress_status(request, token):
    """The progress fragment alone, for htmx polling."""
    return render(request, "agencies/_import_progress.html", _progress_context(token))


urlpatterns = [
    path("", agency_list, name="agency-list"),
    path("import/", agency_import, name="agency-import"),
    path("import/confirm/", agency_import_confirm, name="agency-import-confirm"),
    path("import/progress/<str:token>/", agency_import_progress, name="agency-import-progress"),
    path(
        "import/progress/<str:token>/status/",
        agency_import_progress_status,
        name="agency-import-progress-status",
    ),
    path("<int:pk>/", agency_detail, name="agency-detail"),
    path("<int:pk>/edit/", agency_edit, name="agency-edit"),
]
