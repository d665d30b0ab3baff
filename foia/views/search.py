"""Pages for search: full-text search over documents and the clause finder across a campaign (with CSV)."""

from django import forms
from django.shortcuts import render
from django.urls import path, reverse

from ..csvutil import csv_response
from ..models import Agency, Campaign, DocumentKind
from ..search import clause_find, search


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False, label="Words", help_text='Use quotes for a phrase: "encourage adoption"'
    )
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("title"), required=False)
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(requests__isnull=False).distinct(), required=False
    )
    state = forms.CharField(required=False, max_length=2)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *DocumentKind.choices], required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def search_page(request):
    form = SearchForm(request.GET or None)
    hits = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        hits = search(
            query=data["q"],
            campaign=data["campaign"],
            agency=data["agency"],
            state=(data["state"] or "").upper() or None,
            kind=data["kind"] or None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    return render(request, "documents/search.html", {"form": form, "hits": hits})


class ClauseForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("title"))
    phrase = forms.CharField(max_length=300, help_text="e.g. encourage adoption — found as this exact phrase")


def clause_finder(request):
    form = ClauseForm(request.GET or None)
    rows = None
    if form.is_valid():
        campaign, phrase = form.cleaned_data["campaign"], form.cleaned_data["phrase"]
        rows = clause_find(campaign=campaign, phrase=phrase)
        if request.GET.get("format") == "csv":
            return csv_response(
                f"clause-{campaign.slug}.csv",
                [
                    "agency",
                    "state",
                    "tracking_number",
                    "found",
                    "documents",
                    "document",
                    "page",
                    "snippet",
                    "url",
                ],
                [_clause_csv_row(request, row) for row in rows],
            )
    return render(request, "documents/clauses.html", {"form": form, "rows": rows})


def _clause_csv_row(request, row) -> list:
    hit = row.hit
    url = request.build_absolute_uri(reverse("document-detail", args=[hit.document.pk])) if hit else ""
    return [
        row.agency.name,
        row.agency.state,
        row.records_request.tracking_number if row.records_request else "",
        "yes" if row.found else "no",
        row.documents_matching,
        hit.link.filename if hit else "",
        hit.page if hit else "",
        hit.snippet_text if hit else "",
        url,
    ]


urlpatterns = [
    path("search/", search_page, name="search"),
    path("search/clauses/", clause_finder, name="clause-finder"),
]
