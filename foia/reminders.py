"""Daily digests to reporters and follow-ups to agencies: choose what is due, write rows, then send each once.

The scan (reminders_scan, run by beat through foia.tasks.reminders.scan every 15 minutes) is set-based: a
fixed number of queries whatever the number of requests. It writes Reminder rows with a unique key BEFORE
anything is sent (`digest:<user>:<date>`, `followup:<request>:<n>:<next follow-up date>`, bulk_create with
ignore_conflicts), puts rows whose claim went stale back to pending, and returns the pending rows to enqueue.

Each send task claims its row with a conditional UPDATE (pending -> claimed); only the claimant sends, then
marks it sent (or drafted/skipped). Delivery is at-least-once with deduplication: a second beat, a redelivered
message or two workers cannot send twice, and a worker that dies between claim and send is recovered by the
next scan after FOIA_REMINDER_CLAIM_TIMEOUT. The one window left is a crash after the SMTP server accepted a
message and before the row is marked sent: that message goes out once more. We accept a rare duplicate
reminder over a silently missed deadline follow-up.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from .mail import reply_notify
from .models import (
    Communication,
    CommunicationChannel,
    Direction,
    FollowupMode,
    RecordsRequest,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestEvent,
    RequestEventKind,
    User,
)
from .models.communication import DeliveryState
from .models.request import OPEN_STATUSES, PAUSED_STATUSES
from .outbound import (
    OutboundKind,
    header_clean,
    outbound_enqueue_on_commit,
    outbound_kind_register,
    outbound_new,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Pending rows handed to the workers per scan: a bound, so the scan's cost never grows with the backlog.
ENQUEUE_PER_SCAN = 1000


@dataclass
class ScanResult:
    digests_created: int = 0
    followups_created: int = 0
    requeued: int = 0
    to_send: list[int] = field(default_factory=list)


def _local(now: datetime.datetime) -> datetime.datetime:
    return now.astimezone(ZoneInfo(settings.TIME_ZONE))


def digest_recipient_ids(today: datetime.date) -> list[int]:
    """People with digests on and something to report today (one query)."""
    soon = today + datetime.timedelta(days=settings.FOIA_DIGEST_DUE_SOON_DAYS)
    people = User.objects.filter(digest_enabled=True, is_active=True).exclude(email="").values("pk")
    return list(
        RecordsRequest.objects.filter(
            Q(status__in=OPEN_STATUSES, due_on__lte=soon) | Q(status__in=PAUSED_STATUSES)
        )
        .with_recipient()
        .filter(recipient_id__in=people)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def followup_key(request_id: int, n: int, next_on: datetime.date) -> str:
    return f"followup:{request_id}:{n}:{next_on.isoformat()}"


def reminders_scan(*, now: datetime.datetime) -> ScanResult:
    """Write today's reminder rows, recover stale claims, and return the ids of pending rows to send."""
    local = _local(now)
    today = local.date()
    result = ScanResult()
    if local.hour >= settings.FOIA_DIGEST_HOUR:
        rows = [
            Reminder(kind=ReminderKind.DIGEST, key=f"digest:{uid}:{today}", user_id=uid, for_date=today)
            for uid in digest_recipient_ids(today)
        ]
        result.digests_created = len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))
    candidates = (
        RecordsRequest.objects.needs_followup(today)
        .exclude(followup_mode=FollowupMode.OFF)
        .exclude(followup_mode="", campaign__followup_mode=FollowupMode.OFF)
        .filter(followups_sent__lt=F("campaign__followup_max"))
        .order_by("next_followup_on", "id")
        .values_list("id", "followups_sent", "next_followup_on")[: settings.FOIA_FOLLOWUPS_PER_SCAN]
    )
    rows = [
        Reminder(
            kind=ReminderKind.FOLLOWUP, key=followup_key(pk, sent + 1, next_on), request_id=pk, for_date=today
        )
        for pk, sent, next_on in candidates
    ]
    result.followups_created = len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))
    stale = now - datetime.timedelta(seconds=settings.FOIA_REMINDER_CLAIM_TIMEOUT)
    result.requeued = Reminder.objects.filter(state=ReminderState.CLAIMED, claimed_at__lt=stale).update(
        state=ReminderState.PENDING, queued_at=None
    )
    pending = list(
        Reminder.objects.filter(state=ReminderState.PENDING)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
        .order_by("id")
        .values_list("id", flat=True)[:ENQUEUE_PER_SCAN]
    )
    if pending:
        Reminder.objects.filter(pk__in=pending, state=ReminderState.PENDING).update(queued_at=now)
    result.to_send = pending
    return result


def reminder_send(*, reminder_id: int) -> str:
    """Claim one reminder row and deliver it; returns what happened (claimed elsewhere, sent, drafted...)."""
    now = timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, state=ReminderState.PENDING).update(
        state=ReminderState.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return "not claimed"  # someone else has it, or it is done
    reminder = Reminder.objects.select_related("user").get(pk=reminder_id)
    try:
        if reminder.kind == ReminderKind.DIGEST:
            outcome, note = digest_deliver(reminder)
        elif reminder.kind == ReminderKind.REPLY:
            outcome, note = reply_deliver(reminder)
        else:
            outcome, note = followup_deliver(reminder)
    except Exception as error:
        logger.exception("reminder %s failed", reminder.key)
        state = ReminderState.PENDING if reminder.attempts < MAX_ATTEMPTS else ReminderState.FAILED
        Reminder.objects.filter(pk=reminder_id, state=ReminderState.CLAIMED).update(
            state=state, error=f"{type(error).__name__}: {error}"[:2000]
        )
        if state == ReminderState.FAILED and reminder.kind == ReminderKind.FOLLOWUP:
            _followup_advance(reminder, count=False)
        return f"error: {error}"
    Reminder.objects.filter(pk=reminder_id, state=ReminderState.CLAIMED).update(
        state=outcome, sent_at=timezone.now() if outcome == ReminderState.SENT else None, error=note
    )
    return outcome


# --- Digests ----------------------------------------------------------------------------------------------


@dataclass
class Digest:
    today: datetime.date
    due_soon: list = field(default_factory=list)
    due_today: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    awaiting: list = field(default_factory=list)
    followup_drafts: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.due_soon or self.due_today or self.overdue or self.awaiting or self.followup_drafts)

    @property
    def summary(self) -> str:
        """For the subject line: "2 overdue, 1 due today, 3 waiting on you"."""
        parts = [
            (len(self.overdue), "overdue"),
            (len(self.due_today), "due today"),
            (len(self.due_soon), "due soon"),
            (len(self.awaiting), "waiting on you"),
            (len(self.followup_drafts), "follow-ups to send by hand"),
        ]
        return ", ".join(f"{count} {label}" for count, label in parts if count)


def digest_compose(*, user: User, today: datetime.date) -> Digest:
    """What one person should hear about today: due soon, due today, overdue, awaiting their action."""
    soon = today + datetime.timedelta(days=settings.FOIA_DIGEST_DUE_SOON_DAYS)
    rows = (
        RecordsRequest.objects.with_recipient()
        .filter(recipient_id=user.pk)
        .filter(Q(status__in=OPEN_STATUSES, due_on__lte=soon) | Q(status__in=PAUSED_STATUSES))
        .select_related("agency", "campaign")
        .order_by("due_on", "tracking_number")
    )
    digest = Digest(today=today)
    for rr in rows:
        if rr.status in PAUSED_STATUSES:
            digest.awaiting.append(rr)
        elif rr.due_on < today:
            rr.days_overdue = (today - rr.due_on).days
            digest.overdue.append(rr)
        elif rr.due_on == today:
            digest.due_today.append(rr)
        else:
            rr.days_left = (rr.due_on - today).days
            digest.due_soon.append(rr)
    digest.followup_drafts = list(
        Communication.objects.filter(
            request__in=[rr.pk for rr in digest.overdue],
            direction=Direction.OUTGOING,
            delivery_state=DeliveryState.DRAFT,
            idempotency_key__startswith="followup:",
        ).select_related("request__agency")
    )
    return digest


def digest_deliver(reminder: Reminder) -> tuple[str, str]:
    user = reminder.user
    if user is None or not (user.is_active and user.digest_enabled and user.email):
        return ReminderState.SKIPPED, "digests off or no email address"
    digest = digest_compose(user=user, today=reminder.for_date)
    if digest.is_empty:
        return ReminderState.SKIPPED, "nothing to report"
    context = {"user": user, "digest": digest, "site_url": settings.SITE_URL}
    subject = header_clean(render_to_string("emails/digest-subject.txt", context))
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/digest-body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/digest-body.html", context), "text/html")
    message.send()
    return ReminderState.SENT, ""


def reply_deliver(reminder: Reminder) -> tuple[str, str]:
    """Tell a request's owner that a reply arrived (row key "reply:<communication id>")."""
    communication_id = int(reminder.key.split(":")[1])
    communication = (
        Communication.objects.select_related("request__agency", "request__owner")
        .filter(pk=communication_id)
        .first()
    )
    if communication is None or not reply_notify(communication=communication):
        return ReminderState.SKIPPED, "message gone or nobody to tell"
    return ReminderState.SENT, ""


# --- Follow-ups ---------------------------------------------------------------------------------------------


def followup_compose(*, records_request: RecordsRequest, n: int, today: datetime.date) -> tuple[str, str]:
    """Subject and text of follow-up n: statute, original date, tracking number, the original request."""
    law = records_request.agency.law
    context = {
        "rr": records_request,
        "campaign": records_request.campaign,
        "law": law,
        "n": n,
        "today": today,
        "days_overdue": (today - records_request.due_on).days if records_request.due_on else None,
        "sent_on": timezone.localtime(records_request.sent_at).date() if records_request.sent_at else None,
        "quoted": "\n".join(
            f"> {line}" if line else ">" for line in records_request.letter_body.splitlines()
        ),
    }
    subject = render_to_string("emails/followup-subject.txt", context).strip()
    return subject, render_to_string("emails/followup-body.txt", context)


def _followup_skip_reason(rr: RecordsRequest, n: int, today: datetime.date) -> str:
    if rr.status not in OPEN_STATUSES:
        return f"request is {rr.get_status_display().lower()}"
    if rr.effective_followup_mode == FollowupMode.OFF:
        return (
            "follow-ups are off for this request"
            if rr.followup_mode
            else "follow-ups are off for this campaign"
        )
    if rr.due_on is None or rr.due_on >= today:
        return "no longer overdue"
    if rr.followups_sent != n - 1 or n > rr.campaign.followup_max:
        return f"follow-up {n} already done or over the cap"
    return ""


def _followup_advance(reminder: Reminder, *, count: bool, n: int = 0) -> None:
    """Plan the next follow-up every campaign.followup_every_days; count this one if it went out."""
    rr = RecordsRequest.objects.select_related("campaign").get(pk=reminder.request_id)
    fields = {
        "next_followup_on": reminder.for_date + datetime.timedelta(days=rr.campaign.followup_every_days)
    }
    if count:
        fields["followups_sent"] = n
    RecordsRequest.objects.filter(pk=rr.pk, status__in=OPEN_STATUSES).update(**fields)


def followup_deliver(reminder: Reminder) -> tuple[str, str]:
    """Write follow-up n: a draft for review, or an email handed to the outbound pipeline (foia.outbound)."""
    n = int(reminder.key.split(":")[2])
    today = reminder.for_date
    rr = RecordsRequest.objects.select_related("agency", "campaign").get(pk=reminder.request_id)
    existing = Communication.objects.filter(idempotency_key=reminder.key).first()
    if existing is not None:  # written by an earlier claim of this row; the pipeline owns the email now
        drafted = existing.delivery_state == DeliveryState.DRAFT
        return (ReminderState.DRAFTED if drafted else ReminderState.QUEUED), ""
    reason = _followup_skip_reason(rr, n, today)  # re-checked at claim time: a closed request stops at once
    if reason:
        if rr.status in OPEN_STATUSES and rr.effective_followup_mode == FollowupMode.OFF:
            _followup_advance(reminder, count=False)
        return ReminderState.SKIPPED, reason
    subject, body = followup_compose(records_request=rr, n=n, today=today)
    if rr.effective_followup_mode == FollowupMode.SEND and rr.agency.email:
        letter = Communication.objects.filter(idempotency_key=f"send:{rr.pk}").values_list(
            "message_id", flat=True
        )
        comm = outbound_new(
            records_request=rr, key=reminder.key, subject=subject, body=body, in_reply_to=letter.first() or ""
        )
        with transaction.atomic():
            comm.save()
            outbound_enqueue_on_commit(comm.pk)
        return ReminderState.QUEUED, ""
    with transaction.atomic():
        comm = Communication.objects.create(
            request=rr,
            direction=Direction.OUTGOING,
            channel=rr.agency.contact_method or CommunicationChannel.PHONE,
            subject=header_clean(subject, limit=500),
            body=body,
            to_address=rr.agency.email,
            idempotency_key=reminder.key,
            delivery_state=DeliveryState.DRAFT,
            occurred_at=timezone.now(),
        )
        _followup_advance(reminder, count=True, n=n)
        how = "drafted for review"
        if not rr.agency.email:
            how += f" (agency has no email: follow up by {comm.get_channel_display().lower()})"
        RequestEvent.objects.create(
            request=rr, kind=RequestEventKind.FOLLOWUP, message=f"Follow-up {n} {how}."
        )
    return ReminderState.DRAFTED, ""


def _followup_number(communication: Communication) -> int:
    return int(communication.idempotency_key.split(":")[2])


def _followup_reminder(communication: Communication) -> Reminder:
    reminder = Reminder.objects.filter(key=communication.idempotency_key).first()
    return reminder or Reminder(
        key=communication.idempotency_key, for_date=timezone.localdate(), request_id=communication.request_id
    )


def _followup_sent(communication: Communication, probably: bool) -> None:
    """Count the follow-up and plan the next one; "probably" ones count too (at most once to agencies)."""
    n = _followup_number(communication)
    reminder = _followup_reminder(communication)
    with transaction.atomic():
        _followup_advance(reminder, count=True, n=n)
        note = " — the mail server did not confirm it: please confirm" if probably else ""
        RequestEvent.objects.create(
            request_id=communication.request_id,
            kind=RequestEventKind.FOLLOWUP,
            message=f"Follow-up {n} emailed to {communication.to_address}{note}.",
        )
        Reminder.objects.filter(key=communication.idempotency_key).update(
            state=ReminderState.SENT,
            sent_at=communication.occurred_at,
            error="probably sent" if probably else "",
        )


def _followup_failed(communication: Communication) -> None:
    """Refused for good: not counted; the next follow-up is planned as usual and the reporter sees why."""
    n = _followup_number(communication)
    reminder = _followup_reminder(communication)
    with transaction.atomic():
        _followup_advance(reminder, count=False)
        RequestEvent.objects.create(
            request_id=communication.request_id,
            kind=RequestEventKind.FOLLOWUP,
            message=f"Follow-up {n} could not be emailed: {communication.delivery_error}",
        )
        Reminder.objects.filter(key=communication.idempotency_key).update(
            state=ReminderState.FAILED, error=communication.delivery_error
        )


def _followup_unwanted(communication: Communication) -> str:
    """A follow-up waiting for a retry is dropped when its request closed or paused meanwhile."""
    rr = communication.request
    if rr.status in OPEN_STATUSES:
        return ""
    reason = f"request is {rr.get_status_display().lower()}"
    Reminder.objects.filter(key=communication.idempotency_key).update(
        state=ReminderState.SKIPPED, error=reason
    )
    return reason


outbound_kind_register(
    OutboundKind(
        prefix="followup", on_sent=_followup_sent, on_failed=_followup_failed, unwanted=_followup_unwanted
    )
)
