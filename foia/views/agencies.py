"""Pages for agencies: list with filters, detail, contact edit, and the needs-contact work queue (+ CSV)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from ..csvutil import csv_response
from ..filters import AgencyFilter
from ..models import Agency, Campaign, Role
from ..models.agency import CONTACT_FIELDS
from ..permissions import role_required
from . import agency_imports

PAGE_SIZE = 50
CONTACT_EXPORT_FIELDS = ["email", "portal_url", "portal_name", "address", "phone", "fax"]
# The columns of the needs-contact export; the import reads them back (empty cells never erase).
CONTACT_EXPORT_HEADER = ["agency", "state", "city", "county", "email", "portal url", "portal name", "address",
                         "phone", "fax"]  # fmt: skip


def agency_list(request):
    """All agencies, filtered by name or city, state, kind and missing contact, 50 a page."""
    filterset = AgencyFilter(request.GET or None, queryset=Agency.objects.all())
    form = filterset.page_form()
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
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
        "law": agency.law,
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


class ContactRuleMixin:
    """Reporters fill empty contact fields; changing a stored one redirects letters, so it is an editor's job.

    The same rule as the import (and the API, where agency writes need an editor). Who changed a contact and
    when is kept on the agency. Simulated demo contacts may be replaced by anyone.
    """

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.stored = {name: getattr(self.instance, name) for name in CONTACT_FIELDS}

    def clean(self):
        cleaned = super().clean()
        for name in set(CONTACT_FIELDS) & set(self.fields):
            if self.add_prefix(name) not in self.data:  # not submitted at all: kept, not erased
                cleaned[name] = self.stored[name]
        if self.user.has_role(Role.EDITOR) or self.instance.is_demo:
            return cleaned
        for name, stored in self.stored.items():
            if name == "email" and self.instance.email_bounced:
                continue  # an address that bounced is no contact: replacing it is like filling an empty one
            if stored and cleaned.get(name, stored) != stored:
                self.add_error(name, f"Only an editor can change a stored contact (now {stored!r}).")
        return cleaned

    def save(self, commit=True):
        agency = super().save(commit=False)
        if any(getattr(agency, name) != stored for name, stored in self.stored.items()):
            agency.contact_changed_by, agency.contact_changed_at = self.user, timezone.now()
        if commit:
            agency.save()
        return agency


class AgencyContactForm(ContactRuleMixin, forms.ModelForm):
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


class AgencyQuickContactForm(ContactRuleMixin, forms.ModelForm):
    """The row form of the needs-contact queue: the ways to reach an agency, nothing else."""

    class Meta:
        formfield_callback = _formfield
        model = Agency
        fields = ["email", "portal_url", "address", "fax", "phone"]
        widgets = {"address": forms.TextInput()}


@role_required(Role.REPORTER)
@require_http_methods(["GET", "POST"])
def agency_edit(request, pk):
    agency = get_object_or_404(Agency, pk=pk)
    is_post = request.method == "POST"
    form = AgencyContactForm(request.POST if is_post else None, instance=agency, user=request.user)
    if is_post and form.is_valid():
        form.save()
        messages.success(request, f"Saved the contact details of {agency.name}.")
        return redirect("agency-detail", pk=agency.pk)
    return render(request, "agencies/edit.html", {"agency": agency, "form": form})


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@role_required(Role.REPORTER)
@require_POST
def agency_contact(request, pk):
    """Save one row of the needs-contact queue, then back to the queue (post-redirect-get)."""
    agency = get_object_or_404(Agency, pk=pk)
    form = AgencyQuickContactForm(request.POST, instance=agency, user=request.user, prefix=f"a{agency.pk}")
    if form.is_valid():
        form.save()
        messages.success(request, f"Saved the contact of {agency.name}.")
    else:
        errors = "; ".join(f"{form.fields[name].label if name in form.fields else name}: {' '.join(texts)}"
                           for name, texts in form.errors.items())  # fmt: skip
        messages.error(request, f"Nothing saved for {agency.name}: {errors}")
    return redirect(_next_or(request, reverse("agency-needs-contact")))


def _contact_queue(request) -> tuple[Campaign | None, object]:
    """The campaign chosen in ?campaign= (or none: every campaign) and its agencies with no usable contact."""
    raw = request.GET.get("campaign", "")
    campaign = Campaign.objects.filter(pk=raw).first() if raw.isdigit() else None
    if campaign is not None:
        return campaign, campaign.agencies.needing_contact_for(campaign).order_by("state", "name")
    return None, Agency.objects.filter(campaigns__isnull=False).needing_contact().distinct()


def _quick_contact_inputs() -> list[dict]:
    """The row form's inputs as plain data (name, label, type, maxlength) from AgencyQuickContactForm."""
    inputs = []
    for name, field in AgencyQuickContactForm.base_fields.items():
        maxlength = field.widget.attrs.get("maxlength") or getattr(field, "max_length", None)
        kind = field.widget.input_type
        inputs.append({"name": name, "label": field.label, "type": kind, "maxlength": maxlength})
    return inputs


QUICK_CONTACT_INPUTS = _quick_contact_inputs()


def agency_needs_contact(request):
    """The work queue: agencies of a campaign with no usable contact, each with an inline contact form.

    The row forms are written by the template from QUICK_CONTACT_INPUTS: fifty forms of five widget templates
    each were most of the page's time. agency_contact validates what they post with AgencyQuickContactForm.
    """
    campaign, agencies = _contact_queue(request)
    page = Paginator(agencies, PAGE_SIZE).get_page(request.GET.get("page"))
    can_edit = request.user.has_role(Role.REPORTER)
    rows = [
        (agency, [dict(spec, value=getattr(agency, spec["name"])) for spec in QUICK_CONTACT_INPUTS])
        for agency in page.object_list
    ]
    context = {
        "campaign": campaign,
        "campaigns": Campaign.objects.order_by("title").only("pk", "title"),
        "page": page,
        "rows": rows if can_edit else [(agency, None) for agency in page.object_list],
        "can_edit": can_edit,
        "query": f"campaign={campaign.pk}" if campaign else "",
    }
    return render(request, "agencies/needs_contact.html", context)


def agency_needs_contact_csv(request):
    """The queue as a spreadsheet to fill in and import again (empty cells never erase a stored value)."""
    campaign, agencies = _contact_queue(request)
    fields = ["name", "state", "city", "county", *CONTACT_EXPORT_FIELDS]
    # Simulated demo contacts are left out, so a filled file never turns them into real ones.
    rows = (
        row[:4] + ("",) * len(CONTACT_EXPORT_FIELDS) if row[-1] else row[:-1]
        for row in agencies.values_list(*fields, "is_demo")
    )
    suffix = f"-{campaign.slug}" if campaign else ""
    return csv_response(f"agencies-needing-contact{suffix}.csv", CONTACT_EXPORT_HEADER, rows)


urlpatterns = [
    path("", agency_list, name="agency-list"),
    path("needs-contact/", agency_needs_contact, name="agency-needs-contact"),
    path("needs-contact.csv", agency_needs_contact_csv, name="agency-needs-contact-csv"),
    *agency_imports.urlpatterns,
    path("<int:pk>/", agency_detail, name="agency-detail"),
    path("<int:pk>/edit/", agency_edit, name="agency-edit"),
    path("<int:pk>/contact/", agency_contact, name="agency-contact"),
]
