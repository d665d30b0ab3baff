"""Pages for search: exact or word-form search over documents and messages, and the clause finder across a
campaign (yes / no / unknown for every agency, with CSV and JSON exports)."""

from django import forms
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import path

from ..csvutil import csv_response
from ..models import Agency, Campaign, DocumentKind
from ..permissions import can_see_unsorted_files
from ..search import EXACT, MODES, QueryProblem, clause_find, search
from ..search.links import clause_record, hit_urls

MODE_CHOICES = list(MODES.items())


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Words",
        max_length=500,
        help_text='Use quotes for a phrase: "encourage adoption"',
    )
    mode = forms.ChoiceField(choices=MODE_CHOICES, required=False, initial=EXACT, label="Match")
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("title"), required=False)
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(requests__isnull=False).distinct(), required=False
    )
    state = forms.CharField(required=False, max_length=2)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *DocumentKind.choices], required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    unsorted = forms.BooleanField(required=False, label="Only unsorted mail (editors)")


def search_page(request):
    form = SearchForm(request.GET or None)
    hits, problem = None, ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        mode = data["mode"] or EXACT
        try:
            if data["unsorted"] and not can_see_unsorted_files(request.user):
                raise QueryProblem("Only editors can search unsorted mail.")
            hits = search(
                unsorted=data["unsorted"],
                query=data["q"],
                mode=mode,
                campaign=data["campaign"],
                agency=data["agency"],
                state=(data["state"] or "").upper() or None,
                kind=data["kind"] or None,
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
        except QueryProblem as exc:
            problem = str(exc)
        for hit in hits or []:
            hit_urls(hit, data["q"], mode)
    context = {
        "form": form,
        "hits": hits,
        "problem": problem,
        "is_editor": can_see_unsorted_files(request.user),
    }
    return render(request, "documents/search.html", context)


class ClauseForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("title"))
    phrase = forms.CharField(max_length=300, help_text="e.g. encourage adoption — found as this exact phrase")
    mode = forms.ChoiceField(choices=MODE_CHOICES, required=False, initial=EXACT, label="Match")


CLAUSE_COLUMNS = [
    "agency",
    "city",
    "state",
    "tracking_number",
    "answer",
    "reason",
    "documents",
    "document",
    "page",
    "snippet",
    "url",
]


def clause_finder(request):
    form = ClauseForm(request.GET or None)
    rows, problem = None, ""
    if form.is_valid():
        campaign, phrase = form.cleaned_data["campaign"], form.cleaned_data["phrase"]
        mode = form.cleaned_data["mode"] or EXACT
        try:
            rows = clause_find(campaign=campaign, phrase=phrase, mode=mode)
        except QueryProblem as exc:
            problem = str(exc)
        if rows is not None and request.GET.get("format") in ("csv", "json"):
            records = [clause_record(request, row, phrase, mode) for row in rows]
            if request.GET["format"] == "json":
                meta = {"campaign": campaign.pk, "phrase": phrase, "mode": mode}
                return JsonResponse({**meta, "count": len(records), "results": records})
            return csv_response(
                f"clause-{campaign.slug}.csv", CLAUSE_COLUMNS, [list(r.values()) for r in records]
            )
        for row in rows or []:
            if row.hit:
                hit_urls(row.hit, phrase, mode)
    return render(request, "documents/clauses.html", {"form": form, "rows": rows, "problem": problem})


urlpatterns = [
    path("search/", search_page, name="search"),
    path("search/clauses/", clause_finder, name="clause-finder"),
]
