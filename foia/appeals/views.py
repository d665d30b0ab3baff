"""Appeal pages under /requests/<id>/appeal/...: draft, edit and review, file or send, record the outcome."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from ..downloads import download_response
from ..letters import LetterError
from ..models import RecordsRequest, Role, SendMethod
from ..permissions import can_work_request, require_can_work, role_required
from . import lifecycle
from .models import Appeal, AppealKind, AppealStatus
from .services import (
    LITIGATION_CHECKLIST,
    AppealError,
    appeal_draft,
    appeal_edit,
    appeal_mark_reviewed,
    appeal_pdf,
    appeal_rule_for,
    appeal_source,
    appealable,
    request_appeal_window,
)


class DraftForm(forms.Form):
    decided_on = forms.DateField(
        required=False, label="Date on the denial", help_text="Empty: the day the status was recorded."
    )


class EditForm(forms.Form):
    exemptions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, as the agency cited them.",
    )
    to_address = forms.CharField(required=False, label="Email of the appeal body", max_length=320)
    template_source = forms.CharField(label="Letter (template)", widget=forms.Textarea(attrs={"rows": 24}))

    def clean_to_address(self):
        from django.core.validators import validate_email

        value = self.cleaned_data["to_address"].strip()
        if value:
            validate_email(value)
        return value


class FiledForm(forms.Form):
    via = forms.ChoiceField(choices=[(m.value, m.label) for m in lifecycle.MANUAL_VIA])
    filed_on = forms.DateField(label="Filed on")
    reference = forms.CharField(required=False, max_length=120, help_text="Portal or docket number.")
    received_on = forms.DateField(required=False, help_text="When the body received it, if known.")


class OutcomeForm(forms.Form):
    to_status = forms.ChoiceField(choices=[])
    on = forms.DateField(required=False, label="On")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _request(request, pk, *, work=False):
    rr = get_object_or_404(
        RecordsRequest.objects.visible_to(request.user).select_related("agency", "campaign"), pk=pk
    )
    if work:
        require_can_work(request.user, rr)
    return rr


def _appeal(rr, appeal_id):
    return get_object_or_404(Appeal.objects.select_related("request__agency"), pk=appeal_id, request=rr)


def _errors(request, error):
    messages.error(request, f"Nothing changed. {' '.join(getattr(error, 'messages', [str(error)]))}")


def appeal_start(request, pk):
    """What can be appealed (or why not), the rule, and the draft button; POST drafts."""
    rr = _request(request, pk, work=request.method == "POST")
    today = timezone.localdate()
    if request.method == "POST":
        if not request.user.has_role(Role.REPORTER):
            return HttpResponse("This needs the Reporter role.", status=403)
        form = DraftForm(request.POST)
        if form.is_valid():
            try:
                appeal = appeal_draft(
                    records_request=rr,
                    actor=request.user,
                    today=today,
                    decided_on=form.cleaned_data["decided_on"],
                )
            except (AppealError, LetterError) as error:
                _errors(request, error)
            else:
                if appeal.is_late:
                    messages.warning(
                        request, f"Drafted, but LATE: the appeal window closed on {appeal.window_closes_on}."
                    )
                else:
                    messages.success(request, "Appeal drafted: review it, then send or file it.")
                return redirect("appeal-detail", pk=rr.pk, appeal_id=appeal.pk)
        return redirect("appeal-start", pk=rr.pk)
    refusal = ""
    try:
        found = appealable(rr, today=today)
    except AppealError as error:
        found, refusal = None, " ".join(error.messages)
    try:
        rule = appeal_rule_for(rr)
    except AppealError:
        rule = None
    context = {
        "records_request": rr,
        "found": found,
        "refusal": refusal,
        "rule": rule,
        "window": request_appeal_window(rr, today=today),
        "appeals": rr.appeals.all(),
        "form": DraftForm(),
        "can_work": can_work_request(request.user, rr),
    }
    return render(request, "appeals/start.html", context)


@require_safe
def appeal_detail(request, pk, appeal_id):
    rr = _request(request, pk)
    appeal = _appeal(rr, appeal_id)
    edit = EditForm(
        initial={
            "exemptions": appeal.exemptions,
            "to_address": appeal.to_address,
            "template_source": appeal_source(appeal),
        }
    )
    outcome = OutcomeForm()
    outcome.fields["to_status"].choices = [(s, AppealStatus(s).label) for s in lifecycle.allowed(appeal)]
    context = {
        "records_request": rr,
        "appeal": appeal,
        "edit_form": edit,
        "filed_form": FiledForm(initial={"filed_on": timezone.localdate()}),
        "outcome_form": outcome,
        "send_problem": lifecycle.appeal_send_problem(appeal),
        "checklist": LITIGATION_CHECKLIST if appeal.kind == AppealKind.DEMAND else [],
        "can_work": can_work_request(request.user, rr),
    }
    return render(request, "appeals/detail.html", context)


@require_POST
@role_required(Role.REPORTER)
def appeal_update(request, pk, appeal_id):
    rr = _request(request, pk, work=True)
    appeal = _appeal(rr, appeal_id)
    form = EditForm(request.POST)
    if not form.is_valid():
        _errors(request, AppealError("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())))
    else:
        try:
            appeal_edit(appeal=appeal, actor=request.user, **form.cleaned_data)
        except (AppealError, LetterError) as error:
            _errors(request, error)
        else:
            messages.success(request, "Saved. Review it again before sending.")
    return redirect("appeal-detail", pk=rr.pk, appeal_id=appeal.pk)


@require_POST
@role_required(Role.REPORTER)
def appeal_review(request, pk, appeal_id):
    rr = _request(request, pk, work=True)
    try:
        appeal_mark_reviewed(appeal=_appeal(rr, appeal_id), actor=request.user)
    except AppealError as error:
        _errors(request, error)
    else:
        messages.success(request, "Marked reviewed.")
    return redirect("appeal-detail", pk=rr.pk, appeal_id=appeal_id)


@require_POST
@role_required(Role.REPORTER)
def appeal_send(request, pk, appeal_id):
    rr = _request(request, pk, work=True)
    try:
        lifecycle.appeal_queue_email(appeal=_appeal(rr, appeal_id), actor=request.user)
    except AppealError as error:
        _errors(request, error)
    else:
        messages.success(
            request, "The appeal is queued for email; it counts as filed once the server accepts it."
        )
    return redirect("appeal-detail", pk=rr.pk, appeal_id=appeal_id)


@require_POST
@role_required(Role.REPORTER)
def appeal_filed(request, pk, appeal_id):
    import datetime

    rr = _request(request, pk, work=True)
    form = FiledForm(request.POST)
    if not form.is_valid():
        _errors(request, AppealError("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())))
        return redirect("appeal-detail", pk=rr.pk, appeal_id=appeal_id)
    data = form.cleaned_data
    filed_at = timezone.make_aware(datetime.datetime.combine(data["filed_on"], datetime.time(9, 0)))
    try:
        lifecycle.appeal_record_filed(
            appeal=_appeal(rr, appeal_id),
            filed_at=filed_at,
            via=data["via"],
            reference=data["reference"],
            received_on=data["received_on"],
            actor=request.user,
        )
    except AppealError as error:
        _errors(request, error)
    else:
        messages.success(request, "Filing recorded; the body's decision deadline is set.")
    return redirect("appeal-detail", pk=rr.pk, appeal_id=appeal_id)


@require_POST
@role_required(Role.REPORTER)
def appeal_outcome(request, pk, appeal_id):
    rr = _request(request, pk, work=True)
    appeal = _appeal(rr, appeal_id)
    form = OutcomeForm(request.POST)
    form.fields["to_status"].choices = [(s, s) for s in AppealStatus.values]
    if not form.is_valid():
        _errors(request, AppealError("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())))
    else:
        try:
            lifecycle.appeal_transition(appeal=appeal, actor=request.user, **form.cleaned_data)
        except AppealError as error:
            _errors(request, error)
        else:
            messages.success(request, "Appeal updated.")
    return redirect("appeal-detail", pk=rr.pk, appeal_id=appeal.pk)


@require_safe
def appeal_download(request, pk, appeal_id):
    appeal = _appeal(_request(request, pk), appeal_id)
    name = f"{appeal.request.tracking_number}-appeal.pdf"
    return download_response(appeal_pdf(appeal), filename=name, content_type="application/pdf")


urlpatterns = [
    path("<int:pk>/appeal/", appeal_start, name="appeal-start"),
    path("<int:pk>/appeal/<int:appeal_id>/", appeal_detail, name="appeal-detail"),
    path("<int:pk>/appeal/<int:appeal_id>/edit/", appeal_update, name="appeal-edit"),
    path("<int:pk>/appeal/<int:appeal_id>/review/", appeal_review, name="appeal-review"),
    path("<int:pk>/appeal/<int:appeal_id>/send/", appeal_send, name="appeal-send"),
    path("<int:pk>/appeal/<int:appeal_id>/filed/", appeal_filed, name="appeal-filed"),
    path("<int:pk>/appeal/<int:appeal_id>/outcome/", appeal_outcome, name="appeal-outcome"),
    path("<int:pk>/appeal/<int:appeal_id>/pdf/", appeal_download, name="appeal-pdf"),
]

__all__ = ["SendMethod"]
