"""Sending letters: email with the PDF attached (never twice), staggered per campaign; a checklist for others.

Never twice: an outgoing Communication with idempotency_key "send:<request id>" is created (pending) before
anything is sent; a task claims it with a conditional UPDATE pending -> sending, and only the claimant talks
to the mail server. A crash after the server accepted the message leaves it "sending" (never resent by
itself) rather than risking a duplicate.

Staggering: each campaign sends at most `send_per_hour` emails per hour. Queuing gives every email a
`scheduled_for` time 3600/send_per_hour seconds after the previous one. Emails due within SEND_HORIZON are
handed to Celery with a short countdown; the rest wait as rows, and the beat scan (scan_sends, every minute)
releases them as they come due, so no long ETAs sit in the broker.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass, field
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from .campaigns import letter_filename
from .models import (
    Campaign,
    Communication,
    CommunicationChannel,
    Direction,
    RecordsRequest,
    SendMethod,
    Status,
)
from .models.communication import DeliveryState
from .models.request import LetterState
from .queue import task_enqueue

logger = logging.getLogger(__name__)

SEND_HORIZON = datetime.timedelta(minutes=10)
# A due email still pending this long after its time lost its task (or was beyond the horizon): re-release.
SEND_GRACE = datetime.timedelta(minutes=2)
RETRYABLE = (smtplib.SMTPException, OSError)
MANUAL_METHODS = {
    SendMethod.PORTAL: CommunicationChannel.PORTAL,
    SendMethod.MAIL: CommunicationChannel.MAIL,
    SendMethod.FAX: CommunicationChannel.FAX,
    SendMethod.HAND: CommunicationChannel.MAIL,
}


class SendError(ValidationError):
    """This request cannot be sent (yet); the message says why."""


def send_key(records_request_id: int) -> str:
    return f"send:{records_request_id}"


def request_send_method(records_request: RecordsRequest) -> str:
    """How this agency takes requests: email if it has an address, else portal, mail, fax ('' if none)."""
    return records_request.agency.contact_method


def request_send_problem(records_request: RecordsRequest) -> str:
    """Why this request cannot be emailed now, or ''."""
    if records_request.status != Status.DRAFT or records_request.letter_frozen_at:
        return f"{records_request.tracking_number} was already sent."
    if records_request.send_queued_at:
        return f"{records_request.tracking_number} is already queued for sending."
    if not records_request.agency.email:
        return f"{records_request.agency.name} has no email address; use the portal/mail/fax checklist."
    if records_request.letter_state != LetterState.READY or not records_request.letter_pdf:
        return f"{records_request.tracking_number}: generate the letter's PDF first."
    return ""


def _email_subject(records_request: RecordsRequest) -> str:
    subject = records_request.letter_subject or records_request.tracking_number
    tag = records_request.subject_tag
    return subject if tag in subject else f"{subject} {tag}"


def _attachment_name(records_request: RecordsRequest) -> str:
    return f"{records_request.tracking_number}-{letter_filename(records_request)}"


def _pending_communication(records_request, *, scheduled_for, actor) -> Communication:
    return Communication(
        request=records_request,
        direction=Direction.OUTGOING,
        channel=CommunicationChannel.EMAIL,
        subject=_email_subject(records_request),
        body=render_to_string(
            "emails/request-body.txt",
            {
                "letter": records_request.letter_body.strip(),
                "filename": _attachment_name(records_request),
                "reply_address": records_request.reply_address,
                "tracking_number": records_request.tracking_number,
            },
        ),
        from_address=settings.DEFAULT_FROM_EMAIL,
        to_address=records_request.agency.email,
        message_id=make_msgid(idstring=records_request.tracking_number, domain=settings.FOIA_REPLY_DOMAIN),
        idempotency_key=send_key(records_request.pk),
        delivery_state=DeliveryState.PENDING,
        occurred_at=scheduled_for,
        scheduled_for=scheduled_for,
        created_by=actor,
    )


@dataclass
class SendPlan:
    queued: list[Communication] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def campaign_queue_emails(
    *, campaign: Campaign, actor=None, requests=None, now: datetime.datetime | None = None
) -> SendPlan:
    """Queue every ready email letter of the campaign (or the given requests), staggered per send_per_hour.

    Writes the pending Communication rows (one per request, keyed) and enqueues on commit the ones due soon.
    """
    now = now or timezone.now()
    interval = datetime.timedelta(seconds=3600 / max(campaign.send_per_hour, 1))
    plan = SendPlan()
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()  # one queuer at a time
        last = Communication.objects.filter(
            request__campaign=campaign, delivery_state=DeliveryState.PENDING, scheduled_for__isnull=False
        ).aggregate(last=Max("scheduled_for"))["last"]
        slot = max(now, last + interval) if last else now
        candidates = requests if requests is not None else campaign.requests.filter(status=Status.DRAFT)
        for records_request in candidates.select_related("agency").order_by("tracking_number"):
            problem = request_send_problem(records_request)
            if problem:
                plan.skipped.append(problem)
                continue
            plan.queued.append(_pending_communication(records_request, scheduled_for=slot, actor=actor))
            slot += interval
        try:
            Communication.objects.bulk_create(plan.queued)
        except IntegrityError:
            raise SendError(
                "Some of these letters were queued by someone else just now; try again."
            ) from None
        ids = [c.request_id for c in plan.queued]
        RecordsRequest.objects.filter(pk__in=ids).update(send_queued_at=now, send_method=SendMethod.EMAIL)
        soon = [
            (c.pk, (c.scheduled_for - now).total_seconds())
            for c in plan.queued
            if c.scheduled_for - now < SEND_HORIZON
        ]
        transaction.on_commit(lambda: _enqueue(soon))
    return plan


def _enqueue(items: list[tuple[int, float]]) -> None:
    for communication_id, countdown in items:
        task_enqueue("foia.tasks.letters.send_email", communication_id, countdown=countdown)


def sends_release_due(*, now: datetime.datetime | None = None) -> list[int]:
    """For the beat scan: pending emails whose time has passed; marks them released, returns their ids."""
    now = now or timezone.now()
    due = list(
        Communication.objects.filter(
            delivery_state=DeliveryState.PENDING,
            direction=Direction.OUTGOING,
            scheduled_for__lte=now - SEND_GRACE,
        ).values_list("pk", flat=True)[:500]
    )
    # Moving scheduled_for to now keeps the next scans from releasing them again while their tasks wait.
    Communication.objects.filter(pk__in=due, delivery_state=DeliveryState.PENDING).update(scheduled_for=now)
    return due


def sends_repair_unmarked() -> int:
    """For the beat scan: emails that went out while marking their request sent failed; mark them now."""
    repaired = 0
    stuck = Communication.objects.filter(
        direction=Direction.OUTGOING,
        delivery_state=DeliveryState.SENT,
        idempotency_key__startswith="send:",
        request__status=Status.DRAFT,
    ).select_related("request", "created_by")[:100]
    for communication in stuck:
        try:
            _mark_sent(
                communication.request,
                sent_at=communication.occurred_at,
                method=SendMethod.EMAIL
                if communication.channel == CommunicationChannel.EMAIL
                else SendMethod.MAIL,
                reference=communication.message_id or "",
                actor=communication.created_by,
            )
            repaired += 1
        except Exception:
            logger.exception("could not mark %s sent", communication.request.tracking_number)
    return repaired


def communication_claim(*, communication_id: int) -> bool:
    """Claim a pending email for sending; True only for the one caller that wins."""
    return (
        Communication.objects.filter(pk=communication_id, delivery_state=DeliveryState.PENDING).update(
            delivery_state=DeliveryState.SENDING
        )
        == 1
    )


def communication_email(communication: Communication) -> EmailMessage:
    """The email for a pending send: letter in the body, PDF attached, Reply-To the request's own address."""
    records_request = communication.request
    message = EmailMessage(
        subject=communication.subject,
        body=communication.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[communication.to_address],
        reply_to=[records_request.reply_address],
        headers={"Message-ID": communication.message_id, "X-FOIA-Tracking": records_request.tracking_number},
    )
    with records_request.letter_pdf.open("rb") as handle:
        message.attach(
            f"{records_request.tracking_number}-{letter_filename(records_request)}",
            handle.read(),
            "application/pdf",
        )
    return message


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def communication_send(*, communication_id: int, retry_in: datetime.timedelta | None) -> str:
    """Send one claimed email. Transient SMTP errors put it back to pending and re-raise (the task retries
    after `retry_in`; None means no retries left, so it is marked failed)."""
    if not communication_claim(communication_id=communication_id):
        return "skipped"
    communication = Communication.objects.select_related("request__agency", "request__campaign").get(
        pk=communication_id
    )
    claimed = Communication.objects.filter(pk=communication_id, delivery_state=DeliveryState.SENDING)
    now = timezone.now()
    try:
        message = communication_email(communication)
    except Exception as exc:
        claimed.update(
            delivery_state=DeliveryState.FAILED, delivery_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return DeliveryState.FAILED
    try:
        message.send()
    except RETRYABLE as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if retry_in is None or _permanent(exc):
            claimed.update(delivery_state=DeliveryState.FAILED, delivery_error=error)
            return DeliveryState.FAILED
        claimed.update(
            delivery_state=DeliveryState.PENDING, delivery_error=error, scheduled_for=now + retry_in
        )
        raise
    sent_at = timezone.now()
    # The server has the message: record that first, whatever happens to the request's bookkeeping next.
    claimed.update(delivery_state=DeliveryState.SENT, delivery_error="", occurred_at=sent_at)
    try:
        _mark_sent(
            communication.request,
            sent_at=sent_at,
            method=SendMethod.EMAIL,
            reference=communication.message_id,
            actor=communication.created_by,
        )
    except Exception as exc:  # e.g. someone changed the request's status meanwhile; the email still went
        logger.exception("sent %s but could not mark the request sent", communication.request.tracking_number)
        Communication.objects.filter(pk=communication_id).update(delivery_error=f"Sent; {exc}"[:2000])
    return DeliveryState.SENT


def _mark_sent(records_request, *, sent_at, method, reference, actor, received_on=None) -> None:
    from .lifecycle import request_mark_sent

    request_mark_sent(
        records_request=records_request,
        sent_at=sent_at,
        method=method,
        reference=reference,
        received_on=received_on,
        actor=actor,
    )


def request_record_manual_send(
    *,
    records_request: RecordsRequest,
    sent_at: datetime.datetime,
    method: str,
    reference: str = "",
    received_on: datetime.date | None = None,
    actor=None,
) -> Communication:
    """Record a portal/mail/fax submission made by a person: an outgoing communication; request sent.

    received_on: the day the agency received it, when known (mail is otherwise estimated).
    """
    if method not in MANUAL_METHODS:
        raise SendError(f"Method: choose portal, mail, fax or hand delivery (got {method!r}).")
    if records_request.status != Status.DRAFT or records_request.letter_frozen_at:
        raise SendError(f"{records_request.tracking_number} was already sent.")
    if not records_request.letter_body:
        raise SendError(f"{records_request.tracking_number}: generate the letter first.")
    agency = records_request.agency
    to_address = {SendMethod.PORTAL: agency.portal_url, SendMethod.FAX: agency.fax}.get(
        method, agency.address
    )
    note = f"Submitted by {SendMethod(method).label.lower()}" + (
        f"; reference {reference}" if reference else ""
    )
    existing = Communication.objects.filter(idempotency_key=send_key(records_request.pk)).first()
    if existing and existing.delivery_state == DeliveryState.PENDING:
        raise SendError(f"{records_request.tracking_number}: an email is queued for sending; wait for it.")
    try:
        with transaction.atomic():
            # A failed (or stuck) email attempt stays on the timeline but gives up the send key.
            Communication.objects.filter(
                idempotency_key=send_key(records_request.pk),
                delivery_state__in=[DeliveryState.FAILED, DeliveryState.SENDING],
            ).update(
                idempotency_key=f"{send_key(records_request.pk)}:retired:{timezone.now():%Y%m%d%H%M%S%f}"
            )
            communication = Communication.objects.create(
                request=records_request,
                direction=Direction.OUTGOING,
                channel=MANUAL_METHODS[method],
                subject=records_request.letter_subject,
                body=f"{note}.\n\n{records_request.letter_body}",
                to_address=to_address,
                idempotency_key=send_key(records_request.pk),
                delivery_state=DeliveryState.SENT,
                occurred_at=sent_at,
                created_by=actor,
            )
            _mark_sent(
                records_request,
                sent_at=sent_at,
                method=method,
                reference=reference,
                actor=actor,
                received_on=received_on,
            )
    except IntegrityError:
        raise SendError(f"{records_request.tracking_number} is already sent or queued for sending.") from None
    return communication


def request_retry_email(*, records_request: RecordsRequest, now: datetime.datetime | None = None) -> bool:
    """Put a failed email back in the queue (a person decided to try again); True if there was one."""
    now = now or timezone.now()
    communication = Communication.objects.filter(
        idempotency_key=send_key(records_request.pk), delivery_state=DeliveryState.FAILED
    ).first()
    if communication is None or records_request.status != Status.DRAFT:
        return False
    Communication.objects.filter(pk=communication.pk, delivery_state=DeliveryState.FAILED).update(
        delivery_state=DeliveryState.PENDING, scheduled_for=now, delivery_error=""
    )
    transaction.on_commit(lambda: _enqueue([(communication.pk, 0)]))
    return True


def campaign_checklist(*, campaign: Campaign):
    """Drafts whose agency takes requests by portal, mail or fax only: the reporter submits them by hand."""
    return (
        campaign.requests.filter(status=Status.DRAFT, agency__email="", letter_frozen_at__isnull=True)
        .select_related("agency")
        .order_by("agency__state", "agency__name")
    )
