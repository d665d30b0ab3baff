"""The newsroom's front page and dashboards."""

from django.shortcuts import render

from ..models import Agency, Campaign, RecordsRequest

urlpatterns: list = []


def home(request):
    """Where a person lands after logging in."""
    context = {
        "campaigns": Campaign.objects.all()[:20],
        "agency_count": Agency.objects.count(),
        "request_count": RecordsRequest.objects.count(),
    }
    return render(request, "home.html", context)
