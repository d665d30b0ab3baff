"""Pages for agencies."""

from django.shortcuts import render
from django.urls import path

from ..models import Agency


def agency_list(request):
    agencies = Agency.objects.all()[:200]
    return render(request, "agencies/list.html", {"agencies": agencies})


urlpatterns = [path("", agency_list, name="agency-list")]
