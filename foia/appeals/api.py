"""Appeals in the API: read them, and change them through the same services and lifecycle as the web pages.

    POST  /api/appeals/                       {"request": 12, "decided_on": "2026-03-18"}   draft an appeal
    PATCH /api/appeals/{id}/                  {"exemptions", "to_address", "template_source"} edit a draft
    POST  /api/appeals/{id}/review/                                                         mark reviewed
    POST  /api/appeals/{id}/send/             email it through foia.outbound (reviewed drafts only)
    POST  /api/appeals/{id}/file/             {"via": "portal", "filed_on", "reference", "received_on"}
    POST  /api/appeals/{id}/transition/       {"to_status": "granted", "on", "note"}        the outcome

Writes need the Reporter role, and reporters may change only appeals of their own (or unowned) requests,
editors any (foia.permissions.can_work_request, as on the pages). A refused change is a 400 keyed by field
({"to_status": ["Cannot go from drafted to granted …"]}); nothing is changed.
"""

import datetime

import django_filters as filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from ..api.permissions import RolePermission
from ..api.views import BaseViewSet
from ..filters import IdFilter
from ..letters import LetterError
from ..models import RecordsRequest, Role
from ..permissions import can_work_request
from . import lifecycle
from .models import Appeal, AppealBasis, AppealKind, AppealStatus
from .services import AppealError, appeal_draft, appeal_edit, appeal_mark_reviewed, appeal_source


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


class StrictSerializer(serializers.Serializer):
    """Unknown fields are a 400 naming them (a misspelt field is never silently ignored)."""

    def to_internal_value(self, data):
        if hasattr(data, "keys") and set(data.keys()) - set(self.fields):
            unknown = sorted(set(data.keys()) - set(self.fields))
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class AppealCreateSerializer(StrictSerializer):
    """Body of POST /api/appeals/: draft the appeal of the request's current decision."""

    request = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    decided_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The date on the denial, if not the recorded one.",
    )


class AppealEditSerializer(StrictSerializer):
    """Body of PATCH /api/appeals/{id}/: a draft's exemptions, the body's email, the letter's template."""

    exemptions = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, trim_whitespace=False
    )
    to_address = serializers.EmailField(required=False, allow_blank=True, max_length=320)
    template_source = serializers.CharField(required=False, max_length=50000, trim_whitespace=False)


class AppealFileSerializer(StrictSerializer):
    """Body of POST /api/appeals/{id}/file/: an appeal filed by portal, mail, fax or hand."""

    via = serializers.ChoiceField(choices=[(m.value, m.label) for m in lifecycle.MANUAL_VIA])
    filed_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: today."
    )
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    received_on = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_filed_on(self, value):
        if value and value > timezone.localdate():
            raise serializers.ValidationError(f"{value} is in the future; give the day it was filed.")
        return value


class AppealTransitionSerializer(StrictSerializer):
    """Body of POST /api/appeals/{id}/transition/: acknowledged, a decision, litigation, withdrawn."""

    to_status = serializers.ChoiceField(choices=AppealStatus.choices)
    on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate_on(self, value):
        if value and value > timezone.localdate():
            raise serializers.ValidationError(f"{value} is in the future; give the day the body decided.")
        return value


class AppealFilter(filters.FilterSet):
    request = IdFilter(field_name="request_id")
    campaign = IdFilter(field_name="request__campaign_id")
    state = filters.CharFilter(field_name="jurisdiction", lookup_expr="iexact")
    status = filters.ChoiceFilter(choices=AppealStatus.choices)
    basis = filters.ChoiceFilter(choices=AppealBasis.choices)

    class Meta:
        model = Appeal
        fields = ["request", "campaign", "state", "status", "basis"]


class CanWorkAppeal(BasePermission):
    """Changing an appeal: the request's owner (or nobody's request) for reporters; any for editors."""

    message = "Only the request's owner or an editor can change its appeal."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_work_request(request.user, obj.request)


def _refused(error: Exception, default: str) -> ApiValidationError:
    """A service's refusal as a 400 keyed by field (the same words as on the pages)."""
    if isinstance(error, LetterError):
        return ApiValidationError({error.field and "template_source" or default: [str(error)]})
    return ApiValidationError(error.by_field(default=default))


class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Appeals of the requests you may see, with their windows, letters and the body's clock; drafted, edited,
    reviewed, sent or filed and decided through the same rules as the appeal pages."""

    permission_classes = [RolePermission, CanWorkAppeal]
    write_role = Role.REPORTER
    serializer_class = AppealSerializer
    filterset_class = AppealFilter
    ordering_fields = ["decided_on", "window_closes_on", "decision_due_on", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        visible = RecordsRequest.objects.visible_to(self.request.user)
        return Appeal.objects.filter(request__in=visible).select_related(
            "request__agency", "request__campaign"
        )

    def _reply(self, appeal: Appeal, code: int = status.HTTP_200_OK) -> Response:
        return Response(AppealSerializer(self.get_queryset().get(pk=appeal.pk)).data, status=code)

    @extend_schema(request=AppealCreateSerializer, responses={201: AppealSerializer})
    def create(self, request):
        """Draft the appeal of a request's decision (a denial, or silence past the statutory deadline)."""
        body = AppealCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rr = RecordsRequest.objects.visible_to(request.user).filter(pk=data["request"]).first()
        if rr is None:
            raise ApiValidationError({"request": [f"No request {data['request']} that you can see."]})
        if not can_work_request(request.user, rr):
            raise PermissionDenied("Only the request's owner or an editor can appeal it.")
        today = timezone.localdate()
        try:
            appeal = appeal_draft(
                records_request=rr, actor=request.user, today=today, decided_on=data["decided_on"]
            )
        except (AppealError, LetterError) as error:
            raise _refused(error, "request") from None
        return self._reply(appeal, status.HTTP_201_CREATED)

    @extend_schema(request=AppealEditSerializer, responses=AppealSerializer)
    def partial_update(self, request, pk=None):
        """Edit a draft: exemptions, the body's email, the letter's template (checked; review is reset)."""
        appeal = self.get_object()
        body = AppealEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            appeal_edit(
                appeal=appeal,
                template_source=data.get("template_source", appeal_source(appeal)),
                exemptions=data.get("exemptions", appeal.exemptions),
                to_address=data.get("to_address", appeal.to_address),
                actor=request.user,
            )
        except (AppealError, LetterError) as error:
            raise _refused(error, "status") from None
        return self._reply(appeal)

    @extend_schema(request=None, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Mark the draft reviewed: only reviewed drafts are sent."""
        try:
            appeal = appeal_mark_reviewed(appeal=self.get_object(), actor=request.user)
        except AppealError as error:
            raise _refused(error, "status") from None
        return self._reply(appeal)

    @extend_schema(request=None, responses={202: AppealSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Email a reviewed draft to the body through the outbound pipeline; it is filed once accepted."""
        appeal = self.get_object()
        try:
            lifecycle.appeal_queue_email(appeal=appeal, actor=request.user)
        except AppealError as error:
            raise _refused(error, "status") from None
        return self._reply(appeal, status.HTTP_202_ACCEPTED)

    @extend_schema(request=AppealFileSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def file(self, request, pk=None):
        """Record a filing by portal, mail, fax or hand: the body's receipt and decision deadline are set."""
        appeal = self.get_object()
        body = AppealFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        filed_on = data["filed_on"] or timezone.localdate()
        filed_at = timezone.make_aware(datetime.datetime.combine(filed_on, datetime.time(9, 0)))
        try:
            appeal = lifecycle.appeal_record_filed(
                appeal=appeal,
                filed_at=filed_at,
                via=data["via"],
                reference=data["reference"],
                received_on=data["received_on"],
                actor=request.user,
            )
        except AppealError as error:
            raise _refused(error, "status") from None
        return self._reply(appeal)

    @extend_schema(request=AppealTransitionSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Record the body's acknowledgement or decision, litigation, or a withdrawal (guarded moves)."""
        appeal = self.get_object()
        body = AppealTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            appeal = lifecycle.appeal_transition(appeal=appeal, actor=request.user, **data)
        except AppealError as error:
            raise _refused(error, "to_status") from None
        return self._reply(appeal)
