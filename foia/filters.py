"""django-filter filter sets: the one definition of each list's filters, used by the pages and the API.

The API reads them through DjangoFilterBackend (a bad value is a 400 naming the field); a page builds the
same filter set and renders `page_form()`, the same fields with selects and labels for people (a bad value
on a page is ignored, the way a form field left empty is).
"""

import django_filters as filters
from django import forms
from django.db.models import Q

from .jurisdictions import jurisdiction_choices
from .models import (
    Agency,
    Campaign,
    Communication,
    RecordsRequest,
    RequestDocument,
    Status,
    User,
)
from .models.agency import AgencyKind
from .models.communication import CommunicationChannel, Direction
from .models.document import DocumentKind, ExtractionStatus


class IdFilter(filters.NumberFilter):
    """A row id: a whole number in the id column's range (a bad value is a 400, never a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class OneOfSelect(forms.Select):
    """A single <select> whose value is read as a list, for a MultipleChoiceFilter shown as one choice."""

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return [value for value in getter(name) if value] if getter else data.get(name)


def _select(form, name: str, choices, empty_label: str) -> None:
    form.fields[name].widget = forms.Select(choices=[("", empty_label), *choices])


class AgencyFilter(filters.FilterSet):
    name = filters.CharFilter(field_name="name", lookup_expr="icontains")
    q = filters.CharFilter(method="filter_q", label="Name or city")
    state = filters.CharFilter(field_name="state", lookup_expr="iexact")
    kind = filters.ChoiceFilter(choices=AgencyKind.choices)
    campaign = IdFilter(field_name="campaigns")
    needs_contact = filters.BooleanFilter(method="filter_needs_contact", label="Needs contact only")

    class Meta:
        model = Agency
        fields = ["name", "q", "state", "kind", "campaign", "needs_contact"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(city__icontains=value)) if value else queryset

    def filter_needs_contact(self, queryset, name, value):
        return queryset.needing_contact() if value else queryset

    def page_form(self) -> forms.Form:
        form = self.form
        form.fields["state"].widget = forms.Select(choices=jurisdiction_choices("All"))
        form.fields["kind"].empty_label = "All"
        form.fields["needs_contact"].widget = forms.CheckboxInput()
        return form


class CampaignFilter(filters.FilterSet):
    title = filters.CharFilter(field_name="title", lookup_expr="icontains")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Campaign
        fields = ["title", "owner"]


class RecordsRequestFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label="Tracking number or agency")
    campaign = IdFilter(field_name="campaign_id")
    agency = IdFilter(field_name="agency_id")
    owner = IdFilter(field_name="owner_id")
    state = filters.CharFilter(field_name="agency__state", lookup_expr="iexact")
    status = filters.MultipleChoiceFilter(choices=Status.choices)
    sent_after = filters.DateFilter(field_name="sent_at", lookup_expr="date__gte")
    sent_before = filters.DateFilter(field_name="sent_at", lookup_expr="date__lte")
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = RecordsRequest
        fields = [
            "q",
            "campaign",
            "agency",
            "owner",
            "state",
            "status",
            "sent_after",
            "sent_before",
            "due_before",
        ]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(tracking_number__icontains=value) | Q(agency__name__icontains=value))

    def page_form(self) -> forms.Form:
        form = self.form
        _select(
            form, "campaign", Campaign.objects.order_by("title").values_list("pk", "title"), "Any campaign"
        )
        _select(form, "owner", User.objects.order_by("username").values_list("pk", "username"), "Anyone")
        form.fields["state"].widget = forms.Select(choices=jurisdiction_choices("Any state"))
        form.fields["status"].widget = OneOfSelect(choices=[("", "Any status"), *Status.choices])
        form.fields["agency"].widget = forms.HiddenInput()
        return form


class CommunicationFilter(filters.FilterSet):
    request = IdFilter(field_name="request_id")
    campaign = IdFilter(field_name="request__campaign_id")
    direction = filters.ChoiceFilter(choices=Direction.choices)
    channel = filters.ChoiceFilter(choices=CommunicationChannel.choices)
    after = filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte")
    before = filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte")

    class Meta:
        model = Communication
        fields = ["request", "campaign", "direction", "channel", "after", "before"]


class DocumentFilter(filters.FilterSet):
    request = IdFilter(field_name="request_id")
    campaign = IdFilter(field_name="request__campaign_id")
    agency = IdFilter(field_name="request__agency_id")
    kind = filters.ChoiceFilter(field_name="document__kind", choices=DocumentKind.choices)
    status = filters.ChoiceFilter(
        field_name="document__extraction_status", choices=ExtractionStatus.choices, label="Text"
    )
    q = filters.CharFilter(field_name="filename", lookup_expr="icontains", label="File name")

    class Meta:
        model = RequestDocument
        fields = ["request", "campaign", "agency", "kind", "status", "q"]
