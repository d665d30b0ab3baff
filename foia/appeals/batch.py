"""Batch appeals as bulk actions (foia.bulk): "Draft appeals" and "Send reviewed appeals".

Select requests with the request list's filters (from the campaign page, the overdue page or the list: every
deemed denial in Pennsylvania is `?state=PA&overdue=1` with basis "deemed"; every rejection citing one
exemption is basis "rejected" with that exemption), preview the counts, apply with live progress. Each request
is drafted in its own transaction by foia.bulk (never half-done); a request that cannot be appealed is
skipped with the reason. Appeals are legal filings: nothing is sent by the drafting. Each draft is reviewed
(and can be edited) on its own page; "Send reviewed appeals" — the run page's "send the N reviewed" —
emails only drafts marked reviewed, through foia.outbound (keyed, so never twice). Never two appeals for the
same decision: the check skips a request whose decision already has one, and a unique constraint holds it.

foia.bulk.actions imports this module, so the views and the worker find both actions in the registry.
(The earlier AppealBatch model and its own task are no longer used; the table stays in the migrations.)
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from ..bulk.core import BulkAction, register
from ..letters import LetterError
from ..models import Communication, RecordsRequest, Status
from .lifecycle import appeal_key, appeal_queue_email, appeal_send_problem
from .models import Appeal, AppealBasis, AppealStatus
from .services import AppealError, appeal_draft, appealable

DRAFT = "appeal_draft"
SEND = "appeal_send"
# What the check reads of each request (the preview loads only these columns; the campaign for the permission
# check, which would otherwise load it row by row).
FIELDS = ("status", "due_on", "due_is_statutory", "exemptions_cited", "closed_at", "received_on", "campaign")


class AppealBulkForm(forms.Form):
    """Built by foia.bulk as form_class(data, user=, requests=)."""

    def __init__(self, *args, user=None, requests=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.requests = user, requests


class DraftAppealsForm(AppealBulkForm):
    basis = forms.ChoiceField(
        label="Which decisions",
        choices=[("", "Every denial or deemed denial"), *AppealBasis.choices],
        required=False,
    )
    exemption = forms.CharField(
        label="Citing this exemption",
        required=False,
        max_length=200,
        help_text="Only rejections whose exemptions contain this text, e.g. 87(2)(e).",
    )


class SendReviewedForm(AppealBulkForm):
    """No parameters: only drafts a person marked reviewed are sent."""


def _today() -> datetime.date:
    return timezone.localdate()


def _draft_check(rr: RecordsRequest, params: dict) -> str:
    """ "" when the request has a decision to appeal matching the form, else why not (counted by reason)."""
    try:
        found = appealable(rr, today=_today())
    except AppealError as error:
        if rr.status == Status.APPEALED:
            return "already under appeal"
        if rr.status == Status.DRAFT:
            return "not sent yet"
        text = " ".join(error.messages)
        return (
            "no statutory deadline to miss" if "sets no number of days" in text else "never denied, not late"
        )
    basis = params.get("basis") or ""
    if basis and found.basis != basis:
        return f"not a {AppealBasis(basis).label.lower()}"
    exemption = (params.get("exemption") or "").strip().lower()
    if exemption and exemption not in rr.exemptions_cited.lower():
        return f'does not cite "{params["exemption"].strip()}"'
    if Appeal.objects.filter(request_id=rr.pk, decided_on=found.decided_on).exists():
        return "this decision already has an appeal"
    return ""


def _draft_apply(rr: RecordsRequest, params: dict, actor) -> None:
    try:
        appeal_draft(records_request=rr, actor=actor)
    except LetterError as error:  # a skipped request says why, in the letter's own words
        raise AppealError(str(error)) from None


def _reviewed_draft(rr: RecordsRequest) -> Appeal | None:
    return (
        Appeal.objects.filter(request_id=rr.pk, status=AppealStatus.DRAFTED)
        .select_related("request")
        .order_by("-decided_on")
        .first()
    )


def _send_check(rr: RecordsRequest, params: dict) -> str:
    appeal = _reviewed_draft(rr)
    if appeal is None:
        return "no appeal draft"
    problem = appeal_send_problem(appeal)
    if "no email address" in problem:
        return "no email address for the body: file by portal or mail"
    if not problem and Communication.objects.filter(idempotency_key=appeal_key(appeal)).exists():
        return "already queued for sending"
    return problem


def _send_apply(rr: RecordsRequest, params: dict, actor) -> None:
    appeal = _reviewed_draft(rr)
    if appeal is None:
        raise AppealError("No appeal draft.")
    appeal_queue_email(appeal=appeal, actor=actor)


def run_appeals(run) -> list[Appeal]:
    """The appeals a "Draft appeals" run wrote, as they stand now (reviewed, edited, sent, filed)."""
    from ..models import BulkItemState

    done = run.items.filter(state=BulkItemState.DONE).values("request_id")
    return list(
        Appeal.objects.filter(request_id__in=done, created_at__gte=run.created_at)
        .select_related("request__agency", "reviewed_by")
        .order_by("request__tracking_number")
    )


register(BulkAction(DRAFT, "Draft appeals", "drafted", DraftAppealsForm, _draft_check, _draft_apply, FIELDS))
register(BulkAction(SEND, "Send reviewed appeals", "sent", SendReviewedForm, _send_check, _send_apply))
