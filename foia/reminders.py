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

import contextlib
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from .appeals.followups import PENDING as APPEAL_PENDING
from .appeals.followups import PREFIX as APPEAL_PREFIX
from .appeals.followups import (
    appeal_followup_advance,
    appeal_followup_compose,
    appeal_followup_skip_reason,
    appeal_key_parts,
    appeals_due_followup,
)
from .appeals.models import Appeal
from .appeals.services import appeal_windows_closing
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
from .models.request import OPEN_STATUSES, PAUSED_STATUSES, Status
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
# Decisions a requester may appeal: the digest warns while their appeal window is closing.
APPEALABLE_DECISIONS = (Status.REJECTED, Status.NO_RECORDS, Status.PARTIAL)


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
            Q(status__in=OPEN_STATUSES, due_on__lte=soon)
            | Q(status__in=PAUSED_STATUSES)
            | Q(status__in=APPEALABLE_DECISIONS, appeals__isnull=True)
        )
        .with_recipient()
        .filter(recipient_id__in=people)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )


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
    # Follow-ups to agencies and to appeal bodies: the same rows, claims and caps (FOLLOWUP_TARGETS below).
    result.followups_created = followup_rows(today=today)
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
        if state == ReminderState.FAILED and reminder.kind in FOLLOWUP_KINDS:
            _followup_given_up(reminder)
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
    appeal_windows: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.due_soon
            or self.due_today
            or self.overdue
            or self.awaiting
            or self.followup_drafts
            or self.appeal_windows
        )

    @property
    def summary(self) -> str:
        """For the subject line: "2 overdue, 1 due today, 3 waiting on you"."""
        parts = [
            (len(self.overdue), "overdue"),
            (len(self.due_today), "due today"),
            (len(self.due_soon), "due soon"),
            (len(self.awaiting), "waiting on you"),
            (len(self.followup_drafts), "follow-ups to send by hand"),
            (len(self.appeal_windows), "appeal windows closing"),
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
    decided = (
        RecordsRequest.objects.with_recipient()
        .filter(recipient_id=user.pk, status__in=APPEALABLE_DECISIONS, appeals__isnull=True)
        .select_related("agency", "campaign")
    )
    digest.appeal_windows = appeal_windows_closing(
        [*digest.overdue, *decided], today=today, within=settings.FOIA_DIGEST_DUE_SOON_DAYS
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


# --- Follow-ups: to an agency past its deadline, and to an appeal body past its decision deadline ----------
#
# One mechanism for both: the scan writes a row per follow-up due (key "followup:<request>:<n>:<date>" or
# "appealfu:<request>:<appeal>:<n>:<date>"), a task claims the row, followup_deliver re-checks at claim time
# and drafts it for review or hands an email to foia.outbound (at most once: the Communication has the row's
# key), and the outbound hooks count it, plan the next one and mark the row. Only what is followed differs
# (the request's clock and agency, or the appeal's clock and body): a FollowupTarget per kind reads it.


@dataclass
class Followed:
    """What one follow-up row is about, read at claim time."""

    records_request: RecordsRequest
    n: int
    skip: str  # why it must not go out now; "" when it should
    to_address: str
    channel: str  # of a draft (an agency without email gets a draft to send by its own channel)
    thread_key: str  # the Communication whose Message-ID the follow-up replies to
    label: str  # "Follow-up 2", "Appeal follow-up 2"
    drafted: str  # "drafted for review", "to Office of Open Records drafted for review"
    compose: Callable[[], tuple[str, str]]
    advance: Callable[..., None]  # advance(for_date, count=, n=)
    advance_on_skip: bool = False  # follow-ups turned off: plan the next look instead of asking every scan


@dataclass(frozen=True)
class FollowupTarget:
    prefix: str
    kind: str
    due: Callable[[datetime.date], list[tuple[str, int]]]  # (row key, request id) due today, bounded
    read: Callable[[str, datetime.date], Followed]  # the row's key and date -> what it is about
    unwanted: Callable[[Communication], str]  # why a queued email must not go now ("" = send)


def followup_key(request_id: int, n: int, next_on: datetime.date) -> str:
    return f"followup:{request_id}:{n}:{next_on.isoformat()}"


def _requests_due(today: datetime.date) -> list[tuple[str, int]]:
    candidates = (
        RecordsRequest.objects.needs_followup(today)
        .exclude(followup_mode=FollowupMode.OFF)
        .exclude(followup_mode="", campaign__followup_mode=FollowupMode.OFF)
        .filter(followups_sent__lt=F("campaign__followup_max"))
        .order_by("next_followup_on", "id")
        .values_list("id", "followups_sent", "next_followup_on")[: settings.FOIA_FOLLOWUPS_PER_SCAN]
    )
    return [(followup_key(pk, sent + 1, next_on), pk) for pk, sent, next_on in candidates]


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


def _request_advance(request_id: int, for_date: datetime.date, *, count: bool, n: int = 0) -> None:
    """Plan the next follow-up every campaign.followup_every_days; count this one if it went out."""
    rr = RecordsRequest.objects.select_related("campaign").get(pk=request_id)
    fields = {"next_followup_on": for_date + datetime.timedelta(days=rr.campaign.followup_every_days)}
    if count:
        fields["followups_sent"] = n
    RecordsRequest.objects.filter(pk=rr.pk, status__in=OPEN_STATUSES).update(**fields)


def _request_read(key: str, for_date: datetime.date) -> Followed:
    request_id, n = int(key.split(":")[1]), int(key.split(":")[2])
    rr = RecordsRequest.objects.select_related("agency", "campaign").get(pk=request_id)
    skip = _followup_skip_reason(rr, n, for_date)
    channel = rr.agency.contact_method or CommunicationChannel.PHONE
    drafted = "drafted for review"
    if not rr.agency.email:
        drafted += f" (agency has no email: follow up by {CommunicationChannel(channel).label.lower()})"
    return Followed(
        records_request=rr,
        n=n,
        skip=skip,
        to_address=rr.agency.email,
        channel=channel,
        thread_key=f"send:{rr.pk}",
        label=f"Follow-up {n}",
        drafted=drafted,
        compose=lambda: followup_compose(records_request=rr, n=n, today=for_date),
        advance=lambda day, count, n=0: _request_advance(rr.pk, day, count=count, n=n),
        advance_on_skip=rr.status in OPEN_STATUSES and rr.effective_followup_mode == FollowupMode.OFF,
    )


def _request_unwanted(communication: Communication) -> str:
    """A follow-up waiting for a retry is dropped when its request closed or paused meanwhile."""
    rr = communication.request
    return "" if rr.status in OPEN_STATUSES else f"request is {rr.get_status_display().lower()}"


def _appeal_read(key: str, for_date: datetime.date) -> Followed:
    appeal_id, n = appeal_key_parts(key)
    appeal = Appeal.objects.select_related("request__agency", "request__campaign").get(pk=appeal_id)
    rr = appeal.request
    return Followed(
        records_request=rr,
        n=n,
        skip=appeal_followup_skip_reason(appeal, n),
        to_address=appeal.to_address,
        channel=CommunicationChannel.EMAIL if appeal.to_address else CommunicationChannel.MAIL,
        thread_key=f"appeal:{rr.pk}:{appeal.pk}",
        label=f"Appeal follow-up {n}",
        drafted=f"to {appeal.body} drafted for review",
        compose=lambda: appeal_followup_compose(appeal=appeal, n=n, today=for_date),
        advance=lambda day, count, n=0: appeal_followup_advance(appeal, day, count=count, n=n),
        advance_on_skip=appeal.status in APPEAL_PENDING and rr.effective_followup_mode == FollowupMode.OFF,
    )


def _appeal_unwanted(communication: Communication) -> str:
    appeal = Appeal.objects.get(pk=appeal_key_parts(communication.idempotency_key)[0])
    return "" if appeal.status in APPEAL_PENDING else f"appeal is {appeal.get_status_display().lower()}"


FOLLOWUP_TARGETS = {
    "followup": FollowupTarget(
        "followup", ReminderKind.FOLLOWUP, _requests_due, _request_read, _request_unwanted
    ),
    APPEAL_PREFIX: FollowupTarget(
        APPEAL_PREFIX,
        ReminderKind.APPEAL_FOLLOWUP,
        lambda today: appeals_due_followup(today=today, limit=settings.FOIA_FOLLOWUPS_PER_SCAN),
        _appeal_read,
        _appeal_unwanted,
    ),
}
FOLLOWUP_KINDS = {target.kind for target in FOLLOWUP_TARGETS.values()}


def _target(key: str) -> FollowupTarget:
    return FOLLOWUP_TARGETS[key.split(":", 1)[0]]


def followup_rows(*, today: datetime.date) -> int:
    """Write today's follow-up rows of every target (a fixed number of queries); how many were new."""
    created = 0
    for target in FOLLOWUP_TARGETS.values():
        rows = [
            Reminder(kind=target.kind, key=key, request_id=request_id, for_date=today)
            for key, request_id in target.due(today)
        ]
        created += len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def followup_deliver(reminder: Reminder) -> tuple[str, str]:
    """Write follow-up n: a draft for review, or an email handed to the outbound pipeline (foia.outbound)."""
    existing = Communication.objects.filter(idempotency_key=reminder.key).first()
    if existing is not None:  # written by an earlier claim of this row; the pipeline owns the email now
        drafted = existing.delivery_state == DeliveryState.DRAFT
        return (ReminderState.DRAFTED if drafted else ReminderState.QUEUED), ""
    followed = _target(reminder.key).read(reminder.key, reminder.for_date)
    if followed.skip:  # re-checked at claim time: a closed request or a decided appeal stops at once
        if followed.advance_on_skip:
            followed.advance(reminder.for_date, count=False)
        return ReminderState.SKIPPED, followed.skip
    rr = followed.records_request
    subject, body = followed.compose()
    if rr.effective_followup_mode == FollowupMode.SEND and followed.to_address:
        thread = Communication.objects.filter(idempotency_key=followed.thread_key)
        comm = outbound_new(
            records_request=rr,
            key=reminder.key,
            subject=subject,
            body=body,
            in_reply_to=thread.values_list("message_id", flat=True).first() or "",
        )
        comm.to_address = followed.to_address
        with transaction.atomic():
            comm.save()
            outbound_enqueue_on_commit(comm.pk)
        return ReminderState.QUEUED, ""
    with transaction.atomic():
        Communication.objects.create(
            request=rr,
            direction=Direction.OUTGOING,
            channel=followed.channel,
            subject=header_clean(subject, limit=500),
            body=body,
            to_address=followed.to_address,
            idempotency_key=reminder.key,
            delivery_state=DeliveryState.DRAFT,
            occurred_at=timezone.now(),
        )
        followed.advance(reminder.for_date, count=True, n=followed.n)
        RequestEvent.objects.create(
            request=rr, kind=RequestEventKind.FOLLOWUP, message=f"{followed.label} {followed.drafted}."
        )
    return ReminderState.DRAFTED, ""


def _followup_given_up(reminder: Reminder) -> None:
    """A row that failed for good is not counted; the next follow-up is still planned (never forgotten)."""
    with contextlib.suppress(ObjectDoesNotExist):  # the request or appeal was deleted meanwhile
        _target(reminder.key).read(reminder.key, reminder.for_date).advance(reminder.for_date, count=False)


def _followed_of(communication: Communication) -> tuple[Followed, datetime.date]:
    reminder = Reminder.objects.filter(key=communication.idempotency_key).first()
    for_date = reminder.for_date if reminder else timezone.localdate()
    return _target(communication.idempotency_key).read(communication.idempotency_key, for_date), for_date


def _followup_sent(communication: Communication, probably: bool) -> None:
    """Count the follow-up and plan the next one; "probably" ones count too (at most once to agencies)."""
    followed, for_date = _followed_of(communication)
    with transaction.atomic():
        followed.advance(for_date, count=True, n=followed.n)
        note = " — the mail server did not confirm it: please confirm" if probably else ""
        RequestEvent.objects.create(
            request_id=communication.request_id,
            kind=RequestEventKind.FOLLOWUP,
            message=f"{followed.label} emailed to {communication.to_address}{note}.",
        )
        Reminder.objects.filter(key=communication.idempotency_key).update(
            state=ReminderState.SENT,
            sent_at=communication.occurred_at,
            error="probably sent" if probably else "",
        )


def _followup_failed(communication: Communication) -> None:
    """Refused for good: not counted; the next follow-up is planned as usual and the reporter sees why."""
    followed, for_date = _followed_of(communication)
    with transaction.atomic():
        followed.advance(for_date, count=False)
        RequestEvent.objects.create(
            request_id=communication.request_id,
            kind=RequestEventKind.FOLLOWUP,
            message=f"{followed.label} could not be emailed: {communication.delivery_error}",
        )
        Reminder.objects.filter(key=communication.idempotency_key).update(
            state=ReminderState.FAILED, error=communication.delivery_error
        )


def _followup_unwanted(communication: Communication) -> str:
    """A follow-up waiting for a retry is dropped when what it chases was answered meanwhile."""
    reason = _target(communication.idempotency_key).unwanted(communication)
    if reason:
        Reminder.objects.filter(key=communication.idempotency_key).update(
            state=ReminderState.SKIPPED, error=reason
        )
    return reason


for _prefix in FOLLOWUP_TARGETS:
    outbound_kind_register(
        OutboundKind(
            prefix=_prefix, on_sent=_followup_sent, on_failed=_followup_failed, unwanted=_followup_unwanted
        )
    )
