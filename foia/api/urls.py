"""API routes (mounted at /api/): the resources, search, statistics, the OpenAPI schema and its docs."""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from ..appeals.api import AppealViewSet
from ..findings import api as findings_api
from . import views

# No ".json" suffix routes: one URL per resource (the Accept header or ?format= picks the renderer).
router = DefaultRouter()
router.include_format_suffixes = False
router.register("agencies", views.AgencyViewSet, basename="api-agency")
router.register("campaigns", views.CampaignViewSet, basename="api-campaign")
router.register("requests", views.RecordsRequestViewSet, basename="api-request")
router.register("communications", views.CommunicationViewSet, basename="api-communication")
router.register("documents", views.DocumentViewSet, basename="api-document")
router.register("questions", findings_api.QuestionViewSet, basename="api-question")
router.register("findings", findings_api.CellViewSet, basename="api-finding")
router.register("appeals", AppealViewSet, basename="api-appeal")

api_patterns = [
    *router.urls,
    path("search/", views.SearchView.as_view(), name="api-search"),
    path("clauses/", views.ClausesView.as_view(), name="api-clauses"),
    path("stats/", views.StatsView.as_view(), name="api-stats"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
# Token-authenticated calls carry no session, so the session login middleware must not redirect them:
# DRF's own authentication and RolePermission (anonymous -> 401/403 JSON) guard these views instead.
# (DRF already marks its views this way; said explicitly so it does not depend on the DRF version.)
for pattern in api_patterns:
    pattern.callback.login_required = False

# The vendored Swagger UI and Redoc style themselves with <style> elements and Redoc searches in a blob:
# worker; their pages allow that and no more (scripts stay 'self': the split view serves Swagger's setup as a
# file).
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})
docs_patterns = [
    path("docs/", docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", docs_csp(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
]
# The docs pages are for people in a browser: anonymous visitors go to the login page like everywhere else.
for pattern in docs_patterns:
    pattern.callback.login_required = True

urlpatterns = [*api_patterns, *docs_patterns]
