"""Pages for documents, incoming mail and search."""

from django.shortcuts import render
from django.urls import path

from ..models import RequestDocument


def document_list(request):
    links = RequestDocument.objects.select_related("document", "request__agency")[:200]
    return render(request, "documents/list.html", {"links": links})


def search(request):
    return render(request, "documents/search.html", {"query": request.GET.get("q", "")})


urlpatterns = [
    path("documents/", document_list, name="document-list"),
    path("search/", search, name="search"),
]
