"""Sending letters: email with the PDF attached, staggered per campaign; a checklist for portal, mail and fax.

The email goes out through foia.outbound (at most once, key "send:<request id>", retries, "probably sent");
this module decides what is sent when, attaches the PDF, and marks the request sent when the agency has it.

Staggering: each campaign sends at most `send_per_hour` emails per hour. Queuing gives every email a
`scheduled_for` time 3600/send_per_hour seconds after the previous one. Emails due within SEND_HORIZON are
handed to Celery with a short countdown; the rest wait as rows, and the beat scan (scan_sends, every minute)
releases them as they come due, so no long ETAs sit in the broker.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
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
    RequestEvent,
    RequestEventKind,
    SendMethod,
    Status,
)
from .models.communication import DeliveryState
from .models.request import LetterState
from .outbound import (
    RETRYABLE,  # noqa: F401  (re-exported for older imports)
    OutboundKind,
    _permanent,  # noqa: F401
    outbound_claim,
    outbound_confirm,
    outbound_enqueue,
    outbound_key,
    outbound_kind_register,
    outbound_new,
    outbound_release_due,
    outbound_send,
)

logger = logging.getLogger(__name__)

SEND_HORIZON = datetime.timedelta(minutes=10)
# A due email still pending this long after its time lost its task (or was beyond the horizon): re-release.
SEND_GRACE = datetime.timedelta(minutes=2)
MANUAL_METHODS = {
    SendMethod.PORTAL: CommunicationChannel.PORTAL,
    SendMethod.MAIL: CommunicationChannel.MAIL,
    SendMethod.FAX: CommunicationChannel.FAX,
    SendMethod.HAND: CommunicationChannel.MAIL,
}


class SendError(ValidationError):
    """This request cannot be sent (yet); the message says why."""


def send_key(records_request_id: int) -> str:
    return outbound_key("send", records_request_id)


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
    if records_request.agency.email_bounced:  # foia.mail_reports marked it after a bounce
        return f"{records_request.agency.email} bounced; the agency needs a new contact."
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
    return outbound_new(
        records_request=records_request,
        key=send_key(records_request.pk),
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
        scheduled_for=scheduled_for,
        actor=actor,
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
    outbound_enqueue(items)


def sends_release_due(*, now: datetime.datetime | None = None) -> list[int]:
    """For the beat scan: pending emails (letters, follow-ups) whose time has passed; returns their ids."""
    return outbound_release_due(now=now or timezone.now(), grace=SEND_GRACE)


def sends_repair_unmarked() -> int:
    """For the beat scan: emails that went out while marking their request sent failed; mark them now."""
    repaired = 0
    stuck = Communication.objects.filter(
        direction=Direction.OUTGOING,
        delivery_state__in=[DeliveryState.SENT, DeliveryState.UNKNOWN],
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
    return outbound_claim(communication_id=communication_id, now=timezone.now())


def communication_send(*, communication_id: int, retry_in: datetime.timedelta | None) -> str:
    """Send one queued email through the outbound pipeline (see foia.outbound)."""
    return outbound_send(communication_id=communication_id, retry_in=retry_in)


def _letter_attachments(communication: Communication) -> list[tuple[str, bytes, str]]:
    records_request = communication.request
    with records_request.letter_pdf.open("rb") as handle:
        return [(_attachment_name(records_request), handle.read(), "application/pdf")]


def _letter_sent(communication: Communication, probably: bool) -> None:
    """The agency has (or probably has) the letter: the request is sent, its clock runs from the attempt."""
    records_request = communication.request
    if records_request.status != Status.DRAFT:
        return  # marked already (by a person, or by an earlier "probably sent")
    _mark_sent(
        records_request,
        sent_at=communication.occurred_at,
        method=SendMethod.EMAIL,
        reference=communication.message_id or "",
        actor=communication.created_by,
    )
    if probably:
        RequestEvent.objects.create(
            request=records_request,
            kind=RequestEventKind.SENT,
            message="The mail server did not confirm the letter email: counted as sent; please confirm "
            "with the agency.",
        )


outbound_kind_register(OutboundKind(prefix="send", on_sent=_letter_sent, attachments=_letter_attachments))


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


def request_confirm_email(*, records_request: RecordsRequest, actor=None) -> bool:
    """A person confirms the agency has a "probably sent" letter email; False when there is none."""
    communication = Communication.objects.filter(
        idempotency_key=send_key(records_request.pk), delivery_state=DeliveryState.UNKNOWN
    ).first()
    return communication is not None and outbound_confirm(communication=communication, actor=actor)


def campaign_checklist(*, campaign: Campaign):
    """Drafts whose agency takes requests by portal, mail or fax only: the reporter submits them by hand.

    An agency with none of the three is not offered here (it needs a contact first), nor is a demo agency's
    simulated contact outside the demo campaign.
    """
    drafts = campaign.requests.filter(
        status=Status.DRAFT, agency__email="", letter_frozen_at__isnull=True
    ).exclude(agency__portal_url="", agency__address="", agency__fax="")
    if not getattr(campaign, "is_demo", False):  # Campaign.is_demo may come with the rebuilt demo
        drafts = drafts.exclude(agency__is_demo=True)
    return drafts.select_related("agency").order_by("agency__state", "agency__name")
