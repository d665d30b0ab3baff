"""Agency CSV import pages: upload -> check -> preview -> confirm -> counts; each import is its owner's."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from ..imports.runs import agency_import_confirm, agency_import_create, campaign_refusal
from ..models import AgencyImport, Campaign, ImportStatus, Role
from ..permissions import role_required


class AgencyImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8 CSV with a header row: agency, state, and any others."
    )
    campaign = forms.ModelChoiceField(
        Campaign.objects.none(),
        required=False,
        empty_label="(none)",
        help_text="Add the agencies to a campaign (yours, or one nobody owns).",
    )
    new_campaign = forms.CharField(
        required=False,
        max_length=200,
        label="…or a new campaign named",
        help_text="Created when you confirm.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        campaigns = Campaign.objects.order_by("title")
        if not user.has_role(Role.EDITOR):
            campaigns = campaigns.filter(Q(owner=user) | Q(owner__isnull=True))
        self.fields["campaign"].queryset = campaigns

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.FOIA_MAX_UPLOAD_BYTES
        if upload.size > limit:
            size, most = filesizeformat(upload.size), filesizeformat(limit)
            raise forms.ValidationError(f"The file is {size}; the largest file accepted is {most}.")
        return upload

    def clean_new_campaign(self):
        name = self.cleaned_data["new_campaign"].strip()
        if refusal := campaign_refusal(user=self.user, new_campaign=name):
            raise forms.ValidationError(refusal + " Choose another name.")
        return name


@role_required(Role.REPORTER)
@require_http_methods(["GET", "POST"])
def agency_import(request):
    """Upload a CSV: small files are checked at once, large ones on a worker; then the import's own page."""
    is_post = request.method == "POST"
    form = AgencyImportForm(request.POST if is_post else None, request.FILES or None, user=request.user)
    if is_post and form.is_valid():
        data = form.cleaned_data
        agency_import = agency_import_create(
            owner=request.user,
            upload=data["file"],
            campaign=data["campaign"],
            new_campaign=data["new_campaign"],
        )
        return redirect("agency-import-detail", pk=agency_import.pk)
    recent = AgencyImport.objects.filter(owner=request.user).defer("rows")[:5]
    return render(request, "agencies/import.html", {"form": form, "recent": recent})


def _own_import(request, pk) -> AgencyImport:
    """An import is seen only by the person who uploaded it (others get 404, as if it did not exist)."""
    return get_object_or_404(
        AgencyImport.objects.defer("rows").select_related("campaign"), pk=pk, owner=request.user
    )


@role_required(Role.REPORTER)
def agency_import_detail(request, pk):
    """One import: progress while checking or writing, problems, the preview to confirm, or the counts."""
    return render(request, "agencies/import_detail.html", {"job": _own_import(request, pk)})


@role_required(Role.REPORTER)
def agency_import_status(request, pk):
    """The progress fragment alone, polled by htmx until the import stops moving."""
    return render(request, "agencies/_import_progress.html", {"job": _own_import(request, pk)})


@role_required(Role.REPORTER)
@require_POST
def agency_import_confirm_view(request, pk):
    """Confirm a checked import (post-redirect-get back to its page)."""
    agency_import = _own_import(request, pk)
    if not agency_import_confirm(agency_import=agency_import, actor=request.user):
        messages.warning(request, "This import is not waiting for a confirmation (already confirmed?).")
    agency_import.refresh_from_db()
    if agency_import.status == ImportStatus.DONE:
        messages.success(request, f"Imported {agency_import.filename}: {agency_import.summary()}.")
    return redirect("agency-import-detail", pk=pk)


urlpatterns = [
    path("import/", agency_import, name="agency-import"),
    path("import/<int:pk>/", agency_import_detail, name="agency-import-detail"),
    path("import/<int:pk>/status/", agency_import_status, name="agency-import-status"),
    path("import/<int:pk>/confirm/", agency_import_confirm_view, name="agency-import-confirm"),
]
