"""What is particular to following up an appeal body past its decision deadline; the mechanism is
foia.reminders' (the same Reminder rows, claims, caps, drafting and outbound hooks as follow-ups to agencies).

A row's key is `appealfu:<request>:<appeal>:<n>:<next follow-up date>`; the appeal's own clock
(decision_due_on, next_followup_on, followups_sent) plays the part the request's clock plays for agencies.
No imports of foia.reminders here: reminders imports this module.
"""

from __future__ import annotations

import datetime

from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from ..models import FollowupMode
from .models import Appeal, AppealStatus

PREFIX = "appealfu"
PENDING = (AppealStatus.FILED, AppealStatus.ACKNOWLEDGED)


def appeal_followup_key(appeal: Appeal, n: int, next_on: datetime.date) -> str:
    return f"{PREFIX}:{appeal.request_id}:{appeal.pk}:{n}:{next_on.isoformat()}"


def appeal_key_parts(key: str) -> tuple[int, int]:
    """(appeal id, follow-up number) of a row key."""
    _prefix, _request, appeal_id, n, _date = key.split(":")
    return int(appeal_id), int(n)


def appeals_due_followup(*, today: datetime.date, limit: int) -> list[tuple[str, int]]:
    """(row key, request id) for appeals whose body is past its decision deadline, under the cap (1 query).

    Follow-ups off for the request (or, when it has no mode of its own, for its campaign) means none, as for
    follow-ups to agencies.
    """
    off = Q(request__followup_mode=FollowupMode.OFF) | Q(
        request__followup_mode="", request__campaign__followup_mode=FollowupMode.OFF
    )
    due = (
        Appeal.objects.filter(status__in=PENDING, next_followup_on__lte=today, decision_due_on__lt=today)
        .exclude(off)
        .filter(followups_sent__lt=F("request__campaign__followup_max"))
        .order_by("next_followup_on", "id")
        .only("pk", "request_id", "followups_sent", "next_followup_on")[:limit]
    )
    return [
        (appeal_followup_key(appeal, appeal.followups_sent + 1, appeal.next_followup_on), appeal.request_id)
        for appeal in due
    ]


def appeal_followup_skip_reason(appeal: Appeal, n: int) -> str:
    """Why follow-up n to the body must not go out now ("" when it should); re-checked at claim time."""
    campaign = appeal.request.campaign
    if appeal.status not in PENDING:
        return f"appeal is {appeal.get_status_display().lower()}"
    if appeal.request.effective_followup_mode == FollowupMode.OFF:
        return (
            "follow-ups are off for this request"
            if appeal.request.followup_mode
            else ("follow-ups are off for this campaign")
        )
    if appeal.followups_sent != n - 1 or n > campaign.followup_max:
        return f"follow-up {n} already done or over the cap"
    return ""


def appeal_followup_advance(appeal: Appeal, for_date: datetime.date, *, count: bool, n: int = 0) -> None:
    """Plan the next follow-up to the body every campaign.followup_every_days; count this one if it went."""
    fields = {
        "next_followup_on": for_date + datetime.timedelta(days=appeal.request.campaign.followup_every_days)
    }
    if count:
        fields["followups_sent"] = n
    Appeal.objects.filter(pk=appeal.pk, status__in=PENDING).update(**fields)


def appeal_followup_compose(*, appeal: Appeal, n: int, today: datetime.date) -> tuple[str, str]:
    rr = appeal.request
    context = {
        "appeal": appeal,
        "rr": rr,
        "campaign": rr.campaign,
        "n": n,
        "days_late": (today - appeal.decision_due_on).days if appeal.decision_due_on else 0,
        "filed_on": timezone.localtime(appeal.filed_at).date() if appeal.filed_at else None,
    }
    subject = f"Follow-up {n}: appeal of {rr.tracking_number} ({rr.agency.name}) [{rr.tracking_number}]"
    return subject, render_to_string("emails/appeal-followup-body.txt", context)
