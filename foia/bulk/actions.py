"""The request list's bulk actions: assign, follow-up mode, submitted via portal, outcome, withdraw.

Status changes go through foia.lifecycle (the same rules and messages as a single request's page); the owner
and the follow-up mode are not status rules and are written here, each with a timeline note.
"""

from __future__ import annotations

import datetime
import re

from django import forms
from django.utils import timezone

from ..appeals import batch as appeal_actions  # noqa: F401  (registers "Draft appeals", "Send reviewed appeals")
from ..forms_requests import FeeAmountField
from ..lifecycle import (
    SENT_AT_SKEW,
    TRANSITIONS,
    LifecycleError,
    check_transition,
    request_mark_sent,
    request_transition,
)
from ..models import (
    FollowupMode,
    RecordsRequest,
    RequestEvent,
    RequestEventKind,
    Role,
    SendMethod,
    Status,
    User,
)
from ..models.request import CLOSED_STATUSES
from .core import BulkAction, register

S = Status
OUTCOMES = [S.ACKNOWLEDGED, S.PROCESSING, S.FIX_REQUIRED, S.PAYMENT_REQUIRED, S.PARTIAL, S.COMPLETED]
OUTCOMES += [S.REJECTED, S.NO_RECORDS]
MAX_REFERENCE = 120  # RecordsRequest.sent_reference


class BulkForm(forms.Form):
    """An action's parameters; knows who acts and which requests are selected."""

    def __init__(self, *args, user=None, requests=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.requests = user, requests


def _note(rr: RecordsRequest, actor, message: str) -> None:
    RequestEvent.objects.create(
        request=rr,
        kind=RequestEventKind.NOTE,
        actor=actor if getattr(actor, "pk", None) else None,
        message=message,
    )


def _closed_or(rr: RecordsRequest, to_status: str) -> str:
    """The reason a request cannot move to `to_status` under the lifecycle's TRANSITIONS ("" when it can)."""
    if to_status in TRANSITIONS[rr.status]:
        return ""
    if rr.status in CLOSED_STATUSES:
        return "already closed"
    if rr.status == S.DRAFT:
        return "not sent yet"
    return f"cannot go from {Status(rr.status).label.lower()} to {Status(to_status).label.lower()}"


# Assign an owner ------------------------------------------------------------------------------------------


class AssignForm(BulkForm):
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).exclude(role=Role.VIEWER).order_by("username"),
        required=False,
        empty_label="Nobody (unassigned)",
    )

    def clean_owner(self):
        owner = self.cleaned_data["owner"]
        if self.user is not None and not self.user.has_role(Role.EDITOR) and owner not in (None, self.user):
            raise forms.ValidationError("Reporters can assign requests only to themselves (or to nobody).")
        return owner


def request_assign(*, records_request: RecordsRequest, owner: User | None, actor=None) -> None:
    """Give the request an owner (or none), with a timeline note."""
    before = records_request.owner.username if records_request.owner else "nobody"
    records_request.owner = owner
    records_request.save(update_fields=["owner", "updated_at"])
    _note(records_request, actor, f"Owner changed from {before} to {owner.username if owner else 'nobody'}.")


def _assign_check(rr: RecordsRequest, params: dict) -> str:
    return "already assigned so" if rr.owner_id == params.get("owner") else ""


def _assign_apply(rr: RecordsRequest, params: dict, actor) -> None:
    owner = User.objects.get(pk=params["owner"]) if params.get("owner") else None
    request_assign(records_request=rr, owner=owner, actor=actor)


# Follow-up mode ------------------------------------------------------------------------------------------


class FollowupForm(BulkForm):
    followup_mode = forms.ChoiceField(
        label="Follow-ups", choices=[("", "As the campaign"), *FollowupMode.choices], required=False
    )


def request_set_followup_mode(*, records_request: RecordsRequest, mode: str, actor=None) -> None:
    """This request's own follow-up mode ("" follows the campaign), with a timeline note."""
    records_request.followup_mode = mode
    records_request.save(update_fields=["followup_mode", "updated_at"])
    label = FollowupMode(mode).label.lower() if mode else "as the campaign"
    _note(records_request, actor, f"Follow-ups: {label}.")


def _followup_check(rr: RecordsRequest, params: dict) -> str:
    if rr.status in CLOSED_STATUSES:
        return "already closed"
    return "already so" if rr.followup_mode == params.get("followup_mode", "") else ""


def _followup_apply(rr: RecordsRequest, params: dict, actor) -> None:
    request_set_followup_mode(records_request=rr, mode=params.get("followup_mode", ""), actor=actor)


# Submitted via portal -------------------------------------------------------------------------------------


class PortalForm(BulkForm):
    sent_at = forms.DateTimeField(
        label="Submitted at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    references = forms.CharField(
        label="Portal references, one per line: tracking number, then the portal's number",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "RING-0042 P012345-082319"}),
    )

    def clean_sent_at(self) -> datetime.datetime:
        sent_at = self.cleaned_data["sent_at"]
        if sent_at > timezone.now() + SENT_AT_SKEW:  # the lifecycle's rule, said before anything starts
            raise forms.ValidationError(
                f"{sent_at:%Y-%m-%d %H:%M} is in the future; give the date it was sent."
            )
        return sent_at

    def clean_references(self) -> dict[str, str]:
        """{"RING-0042": "P012345"}; each bad line named by its number."""
        selected = set()
        if self.requests is not None:
            selected = {t.upper() for t in self.requests.values_list("tracking_number", flat=True)}
        found, problems = {}, []
        for number, line in enumerate(self.cleaned_data["references"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = re.split(r"[\s,;]+", line.strip(), maxsplit=1)
            tracking = parts[0].upper()
            reference = parts[1].strip() if len(parts) > 1 else ""
            if not reference:
                problems.append(f"line {number}: no reference after {parts[0]}")
            elif len(reference) > MAX_REFERENCE:
                problems.append(f"line {number}: the reference is over {MAX_REFERENCE} characters")
            elif tracking not in selected:
                problems.append(f"line {number}: {parts[0]} is not among the selected requests")
            elif tracking in found:
                problems.append(f"line {number}: {parts[0]} is given twice")
            else:
                found[tracking] = reference
        if problems:
            raise forms.ValidationError("; ".join(problems) + ".")
        return found


def _portal_check(rr: RecordsRequest, params: dict) -> str:
    return "" if rr.status == S.DRAFT else "already sent"


def _portal_apply(rr: RecordsRequest, params: dict, actor) -> None:
    request_mark_sent(
        records_request=rr,
        sent_at=datetime.datetime.fromisoformat(params["sent_at"]),
        method=SendMethod.PORTAL,
        reference=params.get("references", {}).get(rr.tracking_number.upper(), ""),
        actor=actor,
    )


# Record an outcome ----------------------------------------------------------------------------------------


class OutcomeForm(BulkForm):
    to_status = forms.ChoiceField(label="Outcome", choices=[(s.value, s.label) for s in OUTCOMES])
    note = forms.CharField(
        label="Note (what the agency said)", required=False, widget=forms.Textarea({"rows": 2})
    )
    fee_amount = FeeAmountField(label="Fee estimate ($)", help_text="For payment required, e.g. 25.00")
    exemptions = forms.CharField(
        label="Exemptions cited", required=False, help_text="For a rejection, e.g. MCL 15.243(1)(b)"
    )

    def clean(self):
        if "to_status" in self.cleaned_data:
            _lifecycle_fields(self, self.cleaned_data["to_status"])
        return self.cleaned_data


def _lifecycle_fields(form: forms.Form, to_status: str) -> None:
    """The lifecycle's field rules (amount, exemptions, lengths) as form errors, before anything starts.

    Checked as if from "sent", from which every outcome can be reached: only the fields are judged here; each
    request's own status is judged by the preview and again by the lifecycle when its turn comes.
    """
    data = form.cleaned_data
    try:
        data["fee_amount"] = check_transition(
            from_status=S.SENT,
            to_status=to_status,
            fee_amount=data.get("fee_amount"),
            exemptions=data.get("exemptions", ""),
            note=data.get("note", ""),
        )
    except LifecycleError as error:
        for name, messages in error.by_field().items():
            form.add_error(name if name in form.fields else None, messages)


def _outcome_check(rr: RecordsRequest, params: dict) -> str:
    return _closed_or(rr, params["to_status"])


def _outcome_apply(rr: RecordsRequest, params: dict, actor) -> None:
    request_transition(
        records_request=rr,
        to_status=params["to_status"],
        actor=actor,
        note=params.get("note", ""),
        fee_amount=params.get("fee_amount"),
        exemptions=params.get("exemptions", ""),
    )


# Withdraw -------------------------------------------------------------------------------------------------


class WithdrawForm(BulkForm):
    note = forms.CharField(label="Why (on each timeline)", required=False, widget=forms.Textarea({"rows": 2}))

    def clean(self):
        _lifecycle_fields(self, S.WITHDRAWN)
        return self.cleaned_data


def _withdraw_check(rr: RecordsRequest, params: dict) -> str:
    return _closed_or(rr, S.WITHDRAWN)


def _withdraw_apply(rr: RecordsRequest, params: dict, actor) -> None:
    request_transition(records_request=rr, to_status=S.WITHDRAWN, actor=actor, note=params.get("note", ""))


register(
    BulkAction("assign", "Assign an owner", "assigned", AssignForm, _assign_check, _assign_apply, ("owner",))
)
register(
    BulkAction(
        "followup",
        "Change follow-ups",
        "changed",
        FollowupForm,
        _followup_check,
        _followup_apply,
        ("status", "followup_mode"),
    )
)
register(
    BulkAction(
        "portal", "Mark submitted via portal", "marked submitted", PortalForm, _portal_check, _portal_apply
    )
)
register(BulkAction("outcome", "Record an outcome", "updated", OutcomeForm, _outcome_check, _outcome_apply))
register(BulkAction("withdraw", "Withdraw", "withdrawn", WithdrawForm, _withdraw_check, _withdraw_apply))

__all__ = ["BulkForm", "request_assign", "request_set_followup_mode"]
