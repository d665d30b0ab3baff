"""API views: thin viewsets over the same querysets and services as the web pages."""

from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import filters
from ..downloads import download_response
from ..models import (
    Agency,
    Campaign,
    Communication,
    DocumentKind,
    RecordsRequest,
    RequestDocument,
    RequestEvent,
    Role,
)
from ..permissions import can_see_unsorted_files
from ..search import QueryProblem, search
from ..stats import StatsFilter, dashboard_stats
from .permissions import CanWorkRequest, OwnsCampaign, RolePermission
from .serializers import (
    AgencySerializer,
    CampaignAgenciesSerializer,
    CampaignSerializer,
    CommunicationSerializer,
    DocumentLinkSerializer,
    RecordsRequestDetailSerializer,
    RecordsRequestSerializer,
    TransitionSerializer,
)


class Pagination(PageNumberPagination):
    """?page=2&page_size=100; a page size above max_page_size is clamped to it, a non-number is a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise ValidationError({"page_size": [f"A whole number from 1 to {self.max_page_size}."]})
        return super().get_page_size(request)


class StrictOrdering(OrderingFilter):
    """?ordering=a,-b; a field that cannot be ordered by is a 400 naming the allowed ones (not ignored)."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw:
            valid = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            bad = [term for term in (t.strip() for t in raw.split(",")) if term.lstrip("-") not in valid]
            if bad:
                allowed = ", ".join(sorted(valid))
                raise ValidationError(
                    {"ordering": [f"Cannot order by {', '.join(bad)}; use one of: {allowed}."]}
                )
        return super().get_ordering(request, queryset, view)


class BaseViewSet(viewsets.GenericViewSet):
    permission_classes = [RolePermission]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, StrictOrdering]


class AgencyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    BaseViewSet,
):
    """Agencies. Reporters add them; editors correct them."""

    queryset = Agency.objects.all()
    serializer_class = AgencySerializer
    filterset_class = filters.AgencyFilter
    ordering_fields = ["name", "state", "created_at", "id"]
    ordering = ["state", "name"]
    write_roles = {"create": Role.REPORTER}
    http_method_names = ["get", "post", "patch", "head", "options"]


class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    BaseViewSet,
):
    """Campaigns. Reporters create them (and own them); owners and editors change them and add agencies."""

    serializer_class = CampaignSerializer
    permission_classes = [RolePermission, OwnsCampaign]
    filterset_class = filters.CampaignFilter
    ordering_fields = ["created_at", "title", "id"]
    ordering = ["-created_at"]
    write_role = Role.REPORTER
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Campaign.objects.select_related("owner").annotate(
            agency_count=Count("agencies", distinct=True), request_count=Count("requests", distinct=True)
        )

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def create(self, request, *args, **kwargs):
        with transaction.atomic():
            response = super().create(request, *args, **kwargs)
        # Counts for the new row (the serializer's instance has no annotations).
        response.data["agency_count"], response.data["request_count"] = 0, 0
        return response

    @extend_schema(request=CampaignAgenciesSerializer, responses=CampaignSerializer)
    @action(detail=True, methods=["post"], url_path="agencies")
    def add_agencies(self, request, pk=None):
        """Add agencies (by id) to the campaign; ids already in it are ignored."""
        campaign = self.get_object()
        body = CampaignAgenciesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            campaign.agencies.add(*body.validated_data["agency_ids"])
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)


class RecordsRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Records requests with their timeline; a response is recorded with POST …/transition/."""

    permission_classes = [RolePermission, CanWorkRequest]
    filterset_class = filters.RecordsRequestFilter
    ordering_fields = ["tracking_number", "sent_at", "due_on", "status", "first_response_at", "id"]
    ordering = ["tracking_number"]
    write_role = Role.REPORTER

    def get_queryset(self):
        queryset = RecordsRequest.objects.visible_to(self.request.user).select_related(
            "campaign", "agency", "owner"
        )
        if self.action == "retrieve":
            events = RequestEvent.objects.select_related("actor")
            queryset = queryset.prefetch_related(Prefetch("events", queryset=events))
        return queryset

    def get_serializer_class(self):
        return RecordsRequestDetailSerializer if self.action == "retrieve" else RecordsRequestSerializer

    @extend_schema(request=TransitionSerializer, responses=RecordsRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Record a response: change the status through the lifecycle (events, clock, first response)."""
        from ..lifecycle import LifecycleError, request_transition

        records_request = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            request_transition(
                records_request=records_request,
                to_status=data["to_status"],
                actor=request.user,
                note=data["note"],
                fee_amount=data["fee_amount"],
                exemptions=data["exemptions"],
            )
        except LifecycleError as error:
            raise ValidationError(error.by_field(default="to_status")) from None
        fresh = self.get_queryset().prefetch_related("events__actor").get(pk=records_request.pk)
        return Response(RecordsRequestDetailSerializer(fresh).data)


class CommunicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Messages to and from agencies (read only here)."""

    queryset = Communication.objects.filter(request__isnull=False)
    serializer_class = CommunicationSerializer
    filterset_class = filters.CommunicationFilter
    ordering_fields = ["occurred_at", "id"]
    ordering = ["-occurred_at", "-id"]


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Documents as received on each request: metadata, and the file at …/download/."""

    queryset = RequestDocument.objects.select_related("document", "request__agency")
    serializer_class = DocumentLinkSerializer
    filterset_class = filters.DocumentFilter
    ordering_fields = ["added_at", "filename", "id"]
    ordering = ["-added_at", "-id"]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, as an attachment, with headers that stop a browser from running it."""
        link = self.get_object()
        try:
            handle = link.document.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise NotFound("The file is missing from storage.") from None
        return download_response(
            handle,
            filename=link.filename or link.document.original_name,
            content_type=link.document.mime_type or "application/octet-stream",
        )


SEARCH_PARAMS = [
    OpenApiParameter("q", str, required=True, description="Words to find in documents and messages."),
    OpenApiParameter("mode", str, enum=["exact", "words"], description="exact (default) or words (stemmed)."),
    OpenApiParameter("campaign", int),
    OpenApiParameter("agency", int),
    OpenApiParameter("state", str),
    OpenApiParameter("kind", str),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("limit", int, description="At most 200."),
    OpenApiParameter(
        "unsorted",
        bool,
        description="Editors only: search the files and text of unsorted mail (messages not yet filed on a "
        "request) instead, by exact phrase; the other filters do not apply to it. Others get 403.",
    ),
]


SEARCH_HITS = inline_serializer(
    "SearchHit",
    {
        "source": serializers.CharField(
            help_text="document (a page of a document on a request), communication (a message) or unsorted "
            "(a page of a file of unsorted mail: unsorted=true only)."
        ),
        "rank": serializers.FloatField(),
        "snippet": serializers.CharField(),
        "page": serializers.IntegerField(allow_null=True),
        "request": serializers.IntegerField(allow_null=True),
        "tracking_number": serializers.CharField(allow_null=True),
        "agency": serializers.CharField(allow_null=True),
        "document": serializers.IntegerField(
            allow_null=True, help_text="The document on its request: /api/documents/{document}/."
        ),
        "filename": serializers.CharField(allow_null=True),
        "download_url": serializers.CharField(allow_null=True),
        "communication": serializers.IntegerField(
            allow_null=True, help_text="The message (for an unsorted hit: the message the file came on)."
        ),
        "unsorted_document": serializers.IntegerField(
            allow_null=True, help_text="For an unsorted hit: the stored file (web page /documents/{id}/)."
        ),
    },
    many=True,
)
SEARCH_RESPONSE = inline_serializer(
    "SearchResults",
    {"query": serializers.CharField(), "count": serializers.IntegerField(), "results": SEARCH_HITS},
)


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=500)
    mode = serializers.ChoiceField(choices=["exact", "words"], required=False, default="exact")
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    agency = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    state = serializers.CharField(required=False, max_length=2)
    kind = serializers.ChoiceField(required=False, choices=DocumentKind.choices)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
    unsorted = serializers.BooleanField(required=False, default=False)


class SearchView(APIView):
    """Full-text search over documents and messages (foia.search)."""

    permission_classes = [RolePermission]

    @extend_schema(
        parameters=SEARCH_PARAMS,
        responses={
            200: SEARCH_RESPONSE,
            400: OpenApiResponse(description="What is wrong with the query or a parameter."),
            403: OpenApiResponse(description="unsorted=true without the editor role."),
        },
    )
    def get(self, request):
        params = SearchQuery(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if data["unsorted"] and not can_see_unsorted_files(request.user):
            raise PermissionDenied("Only editors can search unsorted mail.")
        try:
            hits = search(
                unsorted=data["unsorted"],
                query=data["q"],
                mode=data["mode"],
                campaign=data.get("campaign"),
                agency=data.get("agency"),
                state=(data.get("state") or "").upper() or None,
                kind=data.get("kind"),
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                limit=data["limit"],
            )
        except QueryProblem as exc:
            raise ValidationError({"q": [str(exc)]}) from None
        return Response(
            {"query": data["q"], "count": len(hits), "results": [search_hit(hit) for hit in hits]}
        )


class ClausesQuery(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    phrase = serializers.CharField(max_length=300)
    mode = serializers.ChoiceField(choices=["exact", "words"], required=False, default="exact")


class ClausesView(APIView):
    """The clause finder: for every agency of a campaign, answer yes / no / unknown with the reason."""

    permission_classes = [RolePermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", int, required=True),
            OpenApiParameter("phrase", str, required=True),
            OpenApiParameter("mode", str, enum=["exact", "words"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        from ..search import QueryProblem, clause_find
        from ..search.links import clause_record

        params = ClausesQuery(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        campaign = Campaign.objects.filter(pk=data["campaign"]).first()
        if campaign is None:
            raise NotFound("No such campaign.")
        try:
            rows = clause_find(campaign=campaign, phrase=data["phrase"], mode=data["mode"])
        except QueryProblem as exc:
            raise ValidationError({"phrase": [str(exc)]}) from None
        results = [clause_record(request, row, data["phrase"], data["mode"]) for row in rows]
        meta = {"campaign": campaign.pk, "phrase": data["phrase"], "mode": data["mode"]}
        return Response({**meta, "count": len(results), "results": results})


def search_hit(hit) -> dict:
    """One foia.search.SearchHit as JSON: where it matched, the snippet, and links to fetch more."""
    records_request = hit.records_request
    attachment = hit.attachment
    return {
        "source": hit.source,
        "rank": hit.rank,
        "snippet": hit.snippet_text,
        "page": hit.page,
        "request": records_request.pk if records_request else None,
        "tracking_number": records_request.tracking_number if records_request else None,
        "agency": hit.agency.name if hit.agency else None,
        "document": hit.link.pk if hit.link else None,
        "filename": hit.link.filename if hit.link else (attachment.filename if attachment else None),
        "download_url": f"/api/documents/{hit.link.pk}/download/" if hit.link else None,
        "communication": hit.communication.pk if hit.communication else None,
        "unsorted_document": attachment.document_id if attachment else None,
    }


STATS_PARAMS = [
    OpenApiParameter("campaign", int),
    OpenApiParameter("state", str),
    OpenApiParameter("owner", int),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Sent on or after."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Sent on or before."),
]


class StatsQuery(serializers.Serializer):
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    state = serializers.CharField(required=False, max_length=2)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class StatsView(APIView):
    """The dashboard's figures (foia.stats.dashboard_stats) for the filtered requests."""

    permission_classes = [RolePermission]

    @extend_schema(
        parameters=STATS_PARAMS,
        responses=inline_serializer("DashboardStats", {key: serializers.JSONField() for key in (
            "totals", "by_status", "longest_overdue", "first_response_days", "completion_days", "by_state",
            "timeline", "documents_by_kind", "never_answered")}),
    )  # fmt: skip
    def get(self, request):
        params = StatsQuery(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        stats_filter = StatsFilter(
            campaign_id=data.get("campaign"),
            state=(data.get("state") or "").upper(),
            owner_id=data.get("owner"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        return Response(dashboard_stats(stats_filter=stats_filter, today=timezone.localdate()))
