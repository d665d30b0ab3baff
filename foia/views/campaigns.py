"""Pages for campaigns."""

from django.shortcuts import get_object_or_404, render
from django.urls import path

from ..models import Campaign


def campaign_list(request):
    return render(request, "campaigns/list.html", {"campaigns": Campaign.objects.all()})


def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    return render(request, "campaigns/detail.html", {"campaign": campaign})


urlpatterns = [
    path("", campaign_list, name="campaign-list"),
    path("<int:pk>/", campaign_detail, name="campaign-detail"),
]
