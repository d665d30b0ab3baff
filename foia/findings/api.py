"""API for findings: the campaign's questions (read: anyone signed in; write: reporters and above) and the
matrix's cells (read; a person's answer set with POST …/decide/). Explicit fields, scoped by ?campaign=."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from ..api.permissions import RolePermission
from ..api.serializers import StrictSerializer
from ..api.views import BaseViewSet
from ..models import CampaignQuestion, FindingCell, Role
from ..permissions import can_work_campaign
from .cells import ANSWERS, cell_decide
from .questions import question_save


class QuestionSerializer(StrictSerializer):
    class Meta:
        model = CampaignQuestion
        fields = [
            "id",
            "campaign",
            "slug",
            "question",
            "phrases",
            "mode",
            "kinds",
            "pick",
            "position",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class CellSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name", read_only=True)
    agency_id = serializers.IntegerField(read_only=True)
    state = serializers.CharField(source="agency.state", read_only=True)
    question = serializers.CharField(source="question.slug", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = FindingCell
        fields = [
            "id", "agency", "agency_id", "state", "question", "answer", "reason", "document", "filename",
            "page", "passage", "amount", "found_date", "value_passage", "human_answer", "note", "decided_by",
            "decided_at", "needs_review", "computed_at",
        ]  # fmt: skip
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["", *ANSWERS], allow_blank=True)
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class WorksCampaign(BasePermission):
    """Changing a question or a cell: the campaign's owner (reporters) or any editor, as on the pages."""

    message = "Only the campaign's owner (a reporter) or an editor can change its findings."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        campaign = obj.campaign if isinstance(obj, CampaignQuestion) else obj.question.campaign
        return can_work_campaign(request.user, campaign)


CAMPAIGN = OpenApiParameter("campaign", int, description="Only this campaign's rows (id).")


def _campaign_scope(queryset, request, field: str):
    raw = request.query_params.get("campaign")
    if raw is None:
        return queryset
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationError({"campaign": ["A campaign id (a whole number)."]})
    return queryset.filter(**{field: int(raw)})


@extend_schema(parameters=[CAMPAIGN])
class QuestionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    BaseViewSet,
):
    """A campaign's questions; saving one queues the recomputation of its column."""

    serializer_class = QuestionSerializer
    permission_classes = [RolePermission, WorksCampaign]
    write_role = Role.REPORTER
    ordering_fields = ["position", "slug", "id"]
    ordering = ["campaign", "position", "slug"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return _campaign_scope(CampaignQuestion.objects.all(), self.request, "campaign_id")

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        campaign = serializer.validated_data.get("campaign")
        if campaign is not None and not can_work_campaign(self.request.user, campaign):
            raise PermissionDenied(WorksCampaign.message)
        question = serializer.instance or CampaignQuestion()
        for name, value in serializer.validated_data.items():
            setattr(question, name, value)
        try:
            serializer.instance = question_save(question=question)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc


@extend_schema(parameters=[CAMPAIGN])
class CellViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """The matrix's cells: machine answer, evidence, amount, and a person's answer kept apart."""

    serializer_class = CellSerializer
    permission_classes = [RolePermission, WorksCampaign]
    write_role = Role.REPORTER
    ordering_fields = ["id", "amount", "found_date"]
    ordering = ["agency__state", "agency__name", "question__slug"]

    def get_queryset(self):
        cells = FindingCell.objects.select_related("agency", "question", "decided_by")
        return _campaign_scope(cells, self.request, "question__campaign_id")

    @extend_schema(request=DecideSerializer, responses=CellSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Confirm or override the machine's answer with a note ("" clears it)."""
        cell = self.get_object()
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cell_decide(
            cell=cell,
            answer=body.validated_data["answer"],
            note=body.validated_data["note"],
            user=request.user,
        )
        return Response(CellSerializer(cell).data)
