"""django-filter filter sets for the API's list endpoints (a bad value is a 400 naming the field)."""

import django_filters as filters
from django import forms

from ..models import Agency, Campaign, Communication, RecordsRequest, RequestDocument, Status
from ..models.agency import AgencyKind
from ..models.communication import CommunicationChannel, Direction
from ..models.document import DocumentKind


class IdFilter(filters.NumberFilter):
    """A row id: a whole number in the id column's range (a bad value is a 400, never a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class AgencyFilter(filters.FilterSet):
    name = filters.CharFilter(field_name="name", lookup_expr="icontains")
    state = filters.CharFilter(field_name="state", lookup_expr="iexact")
    kind = filters.ChoiceFilter(choices=AgencyKind.choices)
    campaign = IdFilter(field_name="campaigns")

    class Meta:
        model = Agency
        fields = ["name", "state", "kind", "campaign"]


class CampaignFilter(filters.FilterSet):
    title = filters.CharFilter(field_name="title", lookup_expr="icontains")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Campaign
        fields = ["title", "owner"]


class RecordsRequestFilter(filters.FilterSet):
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
        fields = ["campaign", "agency", "owner", "state", "status", "sent_after", "sent_before", "due_before"]


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

    class Meta:
        model = RequestDocument
        fields = ["request", "campaign", "agency", "kind"]
