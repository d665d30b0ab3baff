"""URLs: each area's views module owns its own patterns; a request's and a campaign's actions live under
their URL (/requests/<pk>/..., /campaigns/<pk>/...)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .ratelimit import RateLimitedLoginView
from .views import agencies, bulk, campaigns, core, dashboard, documents, letters, mail, requests, search

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("accounts/login/", RateLimitedLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", core.healthz, name="healthz"),
    path("about/", core.about, name="about"),
    path("agencies/", include(agencies.urlpatterns)),
    path("campaigns/", include(campaigns.urlpatterns)),
    path("campaigns/<int:pk>/", include(letters.campaign_urlpatterns)),
    path("requests/bulk/", include(bulk.urlpatterns)),
    path("requests/", include(requests.urlpatterns)),
    path("requests/<int:pk>/letter/", include(letters.request_urlpatterns)),
    path("requests/<int:pk>/", include(documents.request_urlpatterns)),
    path("", include(documents.urlpatterns)),
    path("", include(mail.urlpatterns)),
    path("", include(search.urlpatterns)),
    path("dashboard/", include(dashboard.urlpatterns)),
    path("api/", include("foia.api.urls")),
    path("admin/", admin.site.urls),
]
