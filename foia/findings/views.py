"""Pages for findings: the matrix (agencies × questions, printable, CSV/JSON), questions (form and CSV),
overriding a cell. Viewers read; reporters and above change questions and cells."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from ..csvutil import csv_response
from ..models import Agency, Campaign, CampaignQuestion, FindingCell, RequestDocument, TemplateComparison
from ..permissions import can_work_campaign
from . import views_compare
from .cells import ANSWERS, cell_decide
from .matrix import COLUMNS, EXTRA, amount_totals, matrix_records
from .notify import question_changed
from .questions import QuestionsProblem, question_save, questions_load

PER_PAGE = 50
CHANGE_DENIED = "Only the campaign's owner (a reporter) or an editor can change its findings."
CSV_MAX_BYTES = 1_000_000


class QuestionForm(forms.ModelForm):
    class Meta:
        model = CampaignQuestion
        fields = ["slug", "question", "phrases", "mode", "kinds", "pick", "position"]
        widgets = {"phrases": forms.Textarea(attrs={"rows": 3})}


class QuestionsUploadForm(forms.Form):
    file = forms.FileField(
        label="Questions CSV", help_text="slug,question,phrases[,mode]; phrases split by |"
    )


class CellForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[("", "(clear my answer)"), *[(a, a.title()) for a in ANSWERS]], required=False
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def _agency_order(campaign, sort: str) -> list[int]:
    """The matrix's agencies (those with cells) by state and name, or by one question's amount or date
    (largest first; "-<id>": smallest first), agencies without one last. Ids only: two small queries."""
    cells = FindingCell.objects.filter(question__campaign=campaign)
    agencies = Agency.objects.filter(pk__in=cells.values("agency_id")).order_by("state", "name", "pk")
    order = list(agencies.values_list("pk", flat=True))
    if not sort.lstrip("-").isdigit():
        return order
    column = cells.filter(question_id=int(sort.lstrip("-")))
    values = {
        agency_id: amount if amount is not None else found_date  # a $0 amount still sorts
        for agency_id, amount, found_date in column.values_list("agency_id", "amount", "found_date")
        if amount is not None or found_date is not None
    }
    with_value = sorted((a for a in order if a in values), key=values.get, reverse=not sort.startswith("-"))
    return with_value + [a for a in order if a not in values]


def _matrix_rows(campaign, questions, agency_ids: list[int]) -> list[tuple]:
    """(agency, [cell or None for each question], [comparison, ...]) for these agencies, in their order."""
    cells = FindingCell.objects.filter(question__campaign=campaign, agency_id__in=agency_ids)
    by_agency: dict[int, dict[int, FindingCell]] = {}
    agencies: dict[int, object] = {}
    for cell in cells.select_related("agency", "decided_by"):
        by_agency.setdefault(cell.agency_id, {})[cell.question_id] = cell
        agencies[cell.agency_id] = cell.agency
    differs = _template_differences(campaign, agency_ids)
    return [
        (agencies[a], [by_agency[a].get(q.pk) for q in questions], differs.get(a, []))
        for a in agency_ids
        if a in agencies
    ]


def _template_differences(campaign, agency_ids: list[int]) -> dict[int, list]:
    """{agency id: [comparison, ...]}: how these agencies' documents differ from their kind's reference."""
    links = RequestDocument.objects.filter(request__campaign=campaign, request__agency_id__in=agency_ids)
    by_agency: dict[int, list[int]] = {}
    for agency_id, document_id in links.values_list("request__agency_id", "document_id"):
        by_agency.setdefault(agency_id, []).append(document_id)
    comparisons = TemplateComparison.objects.filter(
        reference__campaign=campaign, document_id__in=[d for ds in by_agency.values() for d in ds]
    ).select_related("document")
    by_document: dict[int, list] = {}
    for comparison in comparisons:
        by_document.setdefault(comparison.document_id, []).append(comparison)
    return {a: [c for d in ds for c in by_document.get(d, [])] for a, ds in by_agency.items()}


@require_safe
def findings_amounts(request, pk):
    """The campaign page's amounts section (fetched by the page once it has loaded, so the page itself
    runs no extra query): per amount question, the sum, how many agencies, each with its passage."""
    campaign = get_object_or_404(Campaign, pk=pk)
    context = {"campaign": campaign, "totals": amount_totals(campaign)}
    return render(request, "findings/_amounts.html", context)


@require_safe
def findings_matrix(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    export = request.GET.get("format")
    if export in ("csv", "json"):
        records = matrix_records(campaign, extra=True)
        if export == "json":
            return JsonResponse({"campaign": campaign.slug, "count": len(records), "results": records})
        columns = COLUMNS + EXTRA
        rows = [[record[c] for c in columns] for record in records]
        return csv_response(f"findings-{campaign.slug}.csv", columns, rows)
    questions = list(campaign.questions.all())
    page = Paginator(_agency_order(campaign, request.GET.get("sort", "")), PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = _matrix_rows(campaign, questions, list(page.object_list))  # only this page's cells
    context = {
        "campaign": campaign,
        "questions": questions,
        "page": page,
        "totals": amount_totals(campaign),
        "can_change": can_work_campaign(request.user, campaign),
        "sort": request.GET.get("sort", ""),
        "review": FindingCell.objects.filter(question__campaign=campaign, needs_review=True).count(),
    }
    return render(request, "findings/matrix.html", context)


def findings_questions(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    can_change = can_work_campaign(request.user, campaign)
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = get_object_or_404(CampaignQuestion, campaign=campaign, pk=int(request.GET["edit"]))
    form = QuestionForm(instance=editing or CampaignQuestion(campaign=campaign))
    upload = QuestionsUploadForm()
    errors: list[str] = []
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(CHANGE_DENIED)
        if "file" in request.FILES:
            upload = QuestionsUploadForm(request.POST, request.FILES)
            errors = _upload(request, campaign, upload)
            if not errors:
                return redirect("findings-questions", pk=campaign.pk)
        else:
            form = QuestionForm(request.POST, instance=editing or CampaignQuestion(campaign=campaign))
            if form.is_valid():
                question_save(question=form.save(commit=False))
                messages.success(request, "Question saved; its column is being recomputed.")
                return redirect("findings-questions", pk=campaign.pk)
    context = {
        "campaign": campaign,
        "questions": campaign.questions.all(),
        "form": form,
        "upload": upload,
        "errors": errors,
        "editing": editing,
        "can_change": can_change,
    }
    return render(request, "findings/questions.html", context)


def _upload(request, campaign, upload) -> list[str]:
    if not upload.is_valid():
        return [str(e) for e in upload.errors.get("file", [])]
    handle = upload.cleaned_data["file"]
    if handle.size > CSV_MAX_BYTES:
        return [f"The file is larger than {CSV_MAX_BYTES // 1000} kB."]
    try:
        text = handle.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return ["The file is not UTF-8 text (save it as CSV UTF-8)."]
    try:
        created, updated = questions_load(campaign=campaign, text=text)
    except QuestionsProblem as exc:
        return exc.errors
    messages.success(
        request, f"{created} question(s) added, {updated} updated; the matrix is being recomputed."
    )
    return []


def _workable(request, pk) -> Campaign:
    campaign = get_object_or_404(Campaign, pk=pk)
    if not can_work_campaign(request.user, campaign):
        raise PermissionDenied(CHANGE_DENIED)
    return campaign


@require_POST
def findings_question_delete(request, pk, question_pk):
    _workable(request, pk)
    get_object_or_404(CampaignQuestion, campaign_id=pk, pk=question_pk).delete()
    messages.success(request, "Question removed.")
    return redirect("findings-questions", pk=pk)


@require_POST
def findings_recompute(request, pk):
    campaign = _workable(request, pk)
    for question_id in campaign.questions.values_list("pk", flat=True):
        question_changed(question_id)
    messages.success(request, "Every column is being recomputed.")
    return redirect("findings-matrix", pk=pk)


def findings_cell(request, pk, cell_pk):
    cell = get_object_or_404(
        FindingCell.objects.select_related("agency", "question", "decided_by"),
        question__campaign_id=pk,
        pk=cell_pk,
    )
    form = CellForm(initial={"answer": cell.human_answer, "note": cell.note})
    if request.method == "POST":
        if not can_work_campaign(request.user, cell.question.campaign):
            raise PermissionDenied(CHANGE_DENIED)
        form = CellForm(request.POST)
        if form.is_valid():
            cell_decide(
                cell=cell,
                answer=form.cleaned_data["answer"],
                note=form.cleaned_data["note"],
                user=request.user,
            )
            messages.success(request, "Your answer is kept with your name, apart from the machine's.")
            return redirect("findings-matrix", pk=pk)
    context = {"campaign": cell.question.campaign, "cell": cell, "form": form}
    context["can_change"] = can_work_campaign(request.user, cell.question.campaign)
    return render(request, "findings/cell.html", context)


urlpatterns = [
    *views_compare.urlpatterns,
    path("<int:pk>/findings/", findings_matrix, name="findings-matrix"),
    path("<int:pk>/findings/amounts/", findings_amounts, name="findings-amounts"),
    path("<int:pk>/findings/questions/", findings_questions, name="findings-questions"),
    path(
        "<int:pk>/findings/questions/<int:question_pk>/delete/",
        findings_question_delete,
        name="findings-question-delete",
    ),
    path("<int:pk>/findings/recompute/", findings_recompute, name="findings-recompute"),
    path("<int:pk>/findings/cells/<int:cell_pk>/", findings_cell, name="findings-cell"),
]
