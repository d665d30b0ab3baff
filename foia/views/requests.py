"""Pages for records requests."""

from django.shortcuts import get_object_or_404, render
from django.urls import path

from ..models import RecordsRequest


def request_list(request):
    records_requests = RecordsRequest.objects.select_related("agency", "campaign")[:200]
    return render(request, "requests/list.html", {"records_requests": records_requests})


def request_detail(request, pk):
    records_request = get_object_or_404(RecordsRequest.objects.select_related("agency", "campaign"), pk=pk)
    return render(request, "requests/detail.html", {"records_request": records_request})


urlpatterns = [
    path("", request_list, name="request-list"),
    path("<int:pk>/", request_detail, name="request-detail"),
]
