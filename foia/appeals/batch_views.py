"""Batch appeals: choose requests (from the campaign or overdue page), draft all with live progress,
review each draft, then "send the N reviewed"."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from ..deadlines import JURISDICTIONS
from ..models import Campaign, RecordsRequest, Role
from ..permissions import can_work_request, role_required
from .batch import appeal_batch_start, batch_candidates, batch_progress
from .lifecycle import appeals_send_reviewed
from .models import Appeal, AppealBasis, AppealBatch
from .services import AppealError, annotate_appeal_windows

LIST_LIMIT = 500


class BatchFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("title"), required=False)
    state = forms.ChoiceField(
        choices=[("", "Any state"), *[(s, s) for s in sorted(JURISDICTIONS)]], required=False
    )
    basis = forms.ChoiceField(choices=[("", "Any denial"), *AppealBasis.choices], required=False)
    exemption = forms.CharField(
        required=False, help_text="Rejections citing this exemption (part of its text)."
    )


def _candidates(request, form, today):
    queryset = RecordsRequest.objects.visible_to(request.user).select_related("agency", "campaign")
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("campaign"):
        queryset = queryset.filter(campaign=data["campaign"])
    if data.get("state"):
        queryset = queryset.filter(agency__state=data["state"])
    return batch_candidates(
        queryset=queryset, today=today, basis=data.get("basis", ""), exemption=data.get("exemption", "")
    )


def appeal_batch_select(request):
    """GET: the requests that can be appealed (filtered); POST: draft appeals for the ticked ones."""
    today = timezone.localdate()
    if request.method == "POST":
        if not request.user.has_role(Role.REPORTER):
            _forbidden()
        form = BatchFilterForm(request.POST)
        ids = [int(value) for value in request.POST.getlist("request") if value.isdigit()]
        chosen = _candidates(request, form, today).filter(pk__in=ids)
        try:
            batch = appeal_batch_start(
                records_requests=chosen,
                user=request.user,
                campaign=form.cleaned_data.get("campaign") if form.is_valid() else None,
            )
        except AppealError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(f"{request.path}?{request.POST.urlencode()}")
        return redirect("appeal-batch", batch_id=batch.pk)
    form = BatchFilterForm(request.GET or None)
    rows = list(_candidates(request, form, today).order_by("agency__state", "tracking_number")[:LIST_LIMIT])
    annotate_appeal_windows(rows, today=today)
    for rr in rows:
        rr.can_work = can_work_request(request.user, rr)
    context = {"form": form, "rows": rows, "limit": LIST_LIMIT, "query": request.GET.urlencode()}
    return render(request, "appeals/batch_select.html", context)


def _forbidden():
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied("This needs the Reporter role.")


def _batch(request, batch_id):
    return get_object_or_404(AppealBatch.objects.select_related("campaign"), pk=batch_id)


@require_safe
def appeal_batch(request, batch_id):
    """Live progress (the fragment is polled while the worker drafts), then each draft to review."""
    batch = _batch(request, batch_id)
    progress = batch_progress(batch)
    template = "appeals/_batch_progress.html" if request.headers.get("HX-Request") else "appeals/batch.html"
    return render(request, template, {"progress": progress, "batch": batch})


@require_POST
@role_required(Role.REPORTER)
def appeal_batch_send(request, batch_id):
    """Send the reviewed drafts of the batch the person may work; the others stay drafts."""
    batch = _batch(request, batch_id)
    mine = [
        a.pk
        for a in Appeal.objects.filter(batch=batch).select_related("request")
        if can_work_request(request.user, a.request)
    ]
    sent, skipped = appeals_send_reviewed(
        appeals=Appeal.objects.filter(pk__in=mine, reviewed_at__isnull=False), actor=request.user
    )
    messages.success(request, f"{sent} reviewed appeal{'s' if sent != 1 else ''} queued for email.")
    if skipped:
        messages.warning(request, "Not sent: " + "; ".join(skipped[:20]))
    return redirect("appeal-batch", batch_id=batch.pk)


urlpatterns = [
    path("appeals/batch/", appeal_batch_select, name="appeal-batch-select"),
    path("appeals/batch/<int:batch_id>/", appeal_batch, name="appeal-batch"),
    path("appeals/batch/<int:batch_id>/send/", appeal_batch_send, name="appeal-batch-send"),
]
