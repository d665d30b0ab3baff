"""Appeals in the API: read-only, explicit fields, scoped to the requests the person may see."""

import django_filters as filters
from rest_framework import mixins, serializers

from ..api.views import BaseViewSet
from ..filters import IdFilter
from ..models import RecordsRequest
from .models import Appeal, AppealBasis, AppealKind, AppealStatus


class AppealSerializer(serializers.ModelSerializer):
    tracking_number = serializers.CharField(source="request.tracking_number", read_only=True)
    kind = serializers.ChoiceField(choices=AppealKind.choices, read_only=True)
    basis = serializers.ChoiceField(choices=AppealBasis.choices, read_only=True)
    status = serializers.ChoiceField(choices=AppealStatus.choices, read_only=True)
    reviewed = serializers.BooleanField(source="is_reviewed", read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id", "request", "tracking_number", "kind", "basis", "decided_on", "jurisdiction", "route",
            "body", "file_how", "citation", "window_closes_on", "window_rule", "is_late", "status",
            "exemptions",
            "subject", "letter", "to_address", "reviewed", "filed_at", "filed_via", "filed_reference",
            "received_on", "decision_due_on", "decision_rule", "outcome_on", "followups_sent", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class AppealFilter(filters.FilterSet):
    request = IdFilter(field_name="request_id")
    campaign = IdFilter(field_name="request__campaign_id")
    state = filters.CharFilter(field_name="jurisdiction", lookup_expr="iexact")
    status = filters.ChoiceFilter(choices=AppealStatus.choices)
    basis = filters.ChoiceFilter(choices=AppealBasis.choices)

    class Meta:
        model = Appeal
        fields = ["request", "campaign", "state", "status", "basis"]


class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Appeals of the requests you may see, with their windows, letters and the body's clock (read only)."""

    serializer_class = AppealSerializer
    filterset_class = AppealFilter
    ordering_fields = ["decided_on", "window_closes_on", "decision_due_on", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        visible = RecordsRequest.objects.visible_to(self.request.user)
        return Appeal.objects.filter(request__in=visible).select_related("request")
