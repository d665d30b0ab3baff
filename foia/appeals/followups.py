"""Follow-ups to an appeal body whose decision deadline passed: the same reminder rows, claims and caps as
follow-ups to agencies (foia.reminders), keyed `appealfu:<request>:<appeal>:<n>:<date>`.

The reminder scan writes one row per appeal due (at most FOIA_FOLLOWUPS_PER_SCAN, up to the campaign's
follow-up max, every campaign.followup_every_days); the send task claims the row and calls
appeal_followup_deliver, which drafts it for review or hands an email to the outbound pipeline (at most once).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from ..models import (
    Communication,
    CommunicationChannel,
    Direction,
    FollowupMode,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestEvent,
    RequestEventKind,
)
from ..models.communication import DeliveryState
from ..outbound import (
    OutboundKind,
    header_clean,
    outbound_enqueue_on_commit,
    outbound_kind_register,
    outbound_new,
)
from .models import Appeal, AppealStatus

PREFIX = "appealfu"
PENDING = (AppealStatus.FILED, AppealStatus.ACKNOWLEDGED)


def appeal_followup_key(appeal: Appeal, n: int, next_on: datetime.date) -> str:
    return f"{PREFIX}:{appeal.request_id}:{appeal.pk}:{n}:{next_on.isoformat()}"


def appeal_followup_rows(*, today: datetime.date) -> int:
    """For the reminder scan: rows for appeals whose body is past its decision deadline (2 queries)."""
    due = (
        Appeal.objects.filter(status__in=PENDING, next_followup_on__lte=today, decision_due_on__lt=today)
        .exclude(request__campaign__followup_mode=FollowupMode.OFF)
        .filter(followups_sent__lt=F("request__campaign__followup_max"))
        .order_by("next_followup_on", "id")[: settings.FOIA_FOLLOWUPS_PER_SCAN]
    )
    rows = [
        Reminder(
            kind=ReminderKind.APPEAL_FOLLOWUP,
            key=appeal_followup_key(appeal, appeal.followups_sent + 1, appeal.next_followup_on),
            request_id=appeal.request_id,
            for_date=today,
        )
        for appeal in due
    ]
    return len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))


def _parts(key: str) -> tuple[int, int]:
    _prefix, _request, appeal_id, n, _date = key.split(":")
    return int(appeal_id), int(n)


def _advance(appeal: Appeal, for_date: datetime.date, *, n: int | None) -> None:
    fields = {
        "next_followup_on": for_date + datetime.timedelta(days=appeal.request.campaign.followup_every_days)
    }
    if n is not None:
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


def appeal_followup_deliver(reminder: Reminder) -> tuple[str, str]:
    """Draft follow-up n to the body, or queue its email through foia.outbound; re-checks at claim time."""
    appeal_id, n = _parts(reminder.key)
    appeal = Appeal.objects.select_related("request__agency", "request__campaign").get(pk=appeal_id)
    existing = Communication.objects.filter(idempotency_key=reminder.key).first()
    if existing is not None:
        drafted = existing.delivery_state == DeliveryState.DRAFT
        return (ReminderState.DRAFTED if drafted else ReminderState.QUEUED), ""
    campaign = appeal.request.campaign
    if appeal.status not in PENDING:
        return ReminderState.SKIPPED, f"appeal is {appeal.get_status_display().lower()}"
    if (
        campaign.followup_mode == FollowupMode.OFF
        or n > campaign.followup_max
        or appeal.followups_sent != n - 1
    ):
        return ReminderState.SKIPPED, f"follow-up {n} already done, over the cap or off"
    subject, body = appeal_followup_compose(appeal=appeal, n=n, today=reminder.for_date)
    if campaign.followup_mode == FollowupMode.SEND and appeal.to_address:
        thread = Communication.objects.filter(idempotency_key=f"appeal:{appeal.request_id}:{appeal.pk}")
        comm = outbound_new(
            records_request=appeal.request,
            key=reminder.key,
            subject=subject,
            body=body,
            in_reply_to=thread.values_list("message_id", flat=True).first() or "",
        )
        comm.to_address = appeal.to_address
        with transaction.atomic():
            comm.save()
            outbound_enqueue_on_commit(comm.pk)
        return ReminderState.QUEUED, ""
    with transaction.atomic():
        Communication.objects.create(
            request=appeal.request,
            direction=Direction.OUTGOING,
            channel=CommunicationChannel.EMAIL if appeal.to_address else CommunicationChannel.MAIL,
            subject=header_clean(subject, limit=500),
            body=body,
            to_address=appeal.to_address,
            idempotency_key=reminder.key,
            delivery_state=DeliveryState.DRAFT,
            occurred_at=timezone.now(),
        )
        _advance(appeal, reminder.for_date, n=n)
        RequestEvent.objects.create(
            request_id=appeal.request_id,
            kind=RequestEventKind.FOLLOWUP,
            message=f"Appeal follow-up {n} to {appeal.body} drafted for review.",
        )
    return ReminderState.DRAFTED, ""


def _appeal_of(communication) -> tuple[Appeal, int]:
    appeal_id, n = _parts(communication.idempotency_key)
    return Appeal.objects.select_related("request__campaign").get(pk=appeal_id), n


def _sent(communication, probably: bool) -> None:
    appeal, n = _appeal_of(communication)
    reminder = Reminder.objects.filter(key=communication.idempotency_key).first()
    with transaction.atomic():
        _advance(appeal, reminder.for_date if reminder else timezone.localdate(), n=n)
        note = " — the mail server did not confirm it: please confirm" if probably else ""
        RequestEvent.objects.create(
            request_id=communication.request_id,
            kind=RequestEventKind.FOLLOWUP,
            message=f"Appeal follow-up {n} emailed to {communication.to_address}{note}.",
        )
        Reminder.objects.filter(key=communication.idempotency_key).update(
            state=ReminderState.SENT,
            sent_at=communication.occurred_at,
            error="probably sent" if probably else "",
        )


def _failed(communication) -> None:
    appeal, n = _appeal_of(communication)
    reminder = Reminder.objects.filter(key=communication.idempotency_key).first()
    with transaction.atomic():
        _advance(appeal, reminder.for_date if reminder else timezone.localdate(), n=None)
        RequestEvent.objects.create(
            request_id=communication.request_id,
            kind=RequestEventKind.FOLLOWUP,
            message=f"Appeal follow-up {n} could not be emailed: {communication.delivery_error}",
        )
        Reminder.objects.filter(key=communication.idempotency_key).update(
            state=ReminderState.FAILED, error=communication.delivery_error
        )


def _unwanted(communication) -> str:
    appeal, _n = _appeal_of(communication)
    if appeal.status in PENDING:
        return ""
    reason = f"appeal is {appeal.get_status_display().lower()}"
    Reminder.objects.filter(key=communication.idempotency_key).update(
        state=ReminderState.SKIPPED, error=reason
    )
    return reason


outbound_kind_register(OutboundKind(prefix=PREFIX, on_sent=_sent, on_failed=_failed, unwanted=_unwanted))
