"""Every message to an agency goes out through here: letters, follow-ups and, next, appeals.

At most once. A message is an outgoing Communication written before anything is sent, with a unique
idempotency key `<kind>:<request id>[:<more>]` (`send:12` for the letter, `followup:12:2:2026-12-04`) and its
Message-ID (stored, so replies thread back). One task (foia.tasks.outbound.send_message) claims the row with a
conditional UPDATE pending -> sending, counting `attempts`; only the claimant talks to the mail server.
- The server refused for now (4xx, or no connection before the message was handed over): back to pending
  with `scheduled_for` = now + backoff; the task retries after 1, 2, 4… minutes (FOIA_SEND_RETRY_SECONDS
  doubled, six times), and the beat scan re-releases a pending row whose retry message was lost.
- The server refused for good (5xx, or a message that cannot be built): failed; a person retries or sends
  another way.
- The outcome is unknown (timeout or disconnect after DATA, or a worker killed while the row was sending,
  found by the scan after SENDING_STALE_AFTER): "probably sent — please confirm". It counts as sent (the
  letter's clock runs from the attempt, a follow-up counts), a person confirms it, and nothing re-sends it.
Each kind registers what it attaches and what "sent" or "failed" means for its request (outbound_kind).
Digests and notifications to the newsroom's own people are reminder rows instead (at least once).
"""

from __future__ import annotations

import datetime
import logging
import re
import smtplib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from .models import Communication, CommunicationChannel, Direction, RecordsRequest
from .models.communication import DeliveryState
from .queue import task_enqueue, task_enqueue_on_commit

logger = logging.getLogger(__name__)

SEND_TASK = "foia.tasks.outbound.send_message"
SEND_MAX_RETRIES = 6
SEND_SOFT_LIMIT, SEND_HARD_LIMIT = 120, 180  # seconds; the task's limits (far above EMAIL_TIMEOUT)
# A row still "sending" this long after its attempt belongs to a worker that died: outcome unknown.
SENDING_STALE_AFTER = datetime.timedelta(seconds=2 * SEND_HARD_LIMIT)
RETRYABLE = (smtplib.SMTPException, OSError)
# CR, LF, NUL and the other control characters: never allowed into a header value.
HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def header_clean(value: str, *, limit: int = 400) -> str:
    """A header value with line breaks, NULs and other control characters turned into single spaces."""
    return " ".join(HEADER_UNSAFE.sub(" ", str(value)).split())[:limit]


@dataclass(frozen=True)
class OutboundKind:
    """What one kind of message to an agency attaches, and what sent or failed means for its request."""

    prefix: str
    on_sent: Callable[[Communication, bool], None]  # (communication, probably): probably = not confirmed
    on_failed: Callable[[Communication], None] = lambda communication: None
    attachments: Callable[[Communication], list[tuple[str, bytes, str]]] = field(
        default=lambda communication: []
    )
    # Why this message is no longer wanted at send time ("" to send), e.g. its request closed meanwhile.
    unwanted: Callable[[Communication], str] = lambda communication: ""


KINDS: dict[str, OutboundKind] = {}


def outbound_kind_register(kind: OutboundKind) -> None:
    """Called once by the module that owns the kind (sending for letters, reminders for follow-ups)."""
    KINDS[kind.prefix] = kind


def _kind(communication: Communication) -> OutboundKind:
    prefix = (communication.idempotency_key or "").split(":", 1)[0]
    if prefix not in KINDS:
        raise LookupError(f"No outbound kind {prefix!r} is registered (import the module that defines it).")
    return KINDS[prefix]


class DeliveryUnknown(Exception):
    """The message was handed to the server but no answer came back: it may have been delivered."""


def outbound_key(kind: str, request_id: int, *parts) -> str:
    return ":".join([kind, str(request_id), *(str(part) for part in parts)])


def outbound_message_id(tracking_number: str) -> str:
    idstring = re.sub(r"[^A-Za-z0-9-]", "", tracking_number)[:40] or None
    return make_msgid(idstring=idstring, domain=settings.FOIA_REPLY_DOMAIN)


def outbound_new(
    *,
    records_request: RecordsRequest,
    key: str,
    subject: str,
    body: str,
    scheduled_for: datetime.datetime | None = None,
    in_reply_to: str = "",
    actor=None,
) -> Communication:
    """An unsaved pending email to the request's agency, with its key, Message-ID and send time."""
    when = scheduled_for or timezone.now()
    return Communication(
        request=records_request,
        direction=Direction.OUTGOING,
        channel=CommunicationChannel.EMAIL,
        subject=header_clean(subject, limit=500),
        body=body,
        from_address=settings.DEFAULT_FROM_EMAIL,
        to_address=records_request.agency.email,
        message_id=outbound_message_id(records_request.tracking_number),
        in_reply_to=in_reply_to,
        references=in_reply_to,
        idempotency_key=key,
        delivery_state=DeliveryState.PENDING,
        occurred_at=when,
        scheduled_for=when,
        created_by=actor,
    )


def outbound_enqueue(items: list[tuple[int, float]]) -> None:
    """Hand (communication id, seconds from now) to the workers; rows the broker refused wait for the scan."""
    for communication_id, countdown in items:
        task_enqueue(SEND_TASK, communication_id, countdown=countdown)


def outbound_claim(*, communication_id: int, now: datetime.datetime) -> bool:
    """Claim a pending email for sending (one attempt more); True only for the one caller that wins."""
    from django.db.models import F

    return (
        Communication.objects.filter(pk=communication_id, delivery_state=DeliveryState.PENDING).update(
            delivery_state=DeliveryState.SENDING, attempts=F("attempts") + 1, occurred_at=now
        )
        == 1
    )


def outbound_email(communication: Communication) -> EmailMessage:
    """The email for a claimed row: Reply-To the request's own address, tracking header, threading."""
    records_request = communication.request
    headers = {
        "Message-ID": communication.message_id,
        "X-FOIA-Tracking": header_clean(records_request.tracking_number),
    }
    if communication.in_reply_to:
        headers["In-Reply-To"] = header_clean(communication.in_reply_to, limit=500)
        headers["References"] = header_clean(communication.references or communication.in_reply_to, limit=998)
    message = EmailMessage(
        subject=header_clean(communication.subject, limit=500),
        body=communication.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[communication.to_address],
        reply_to=[records_request.reply_address],
        headers=headers,
    )
    for name, content, mime_type in _kind(communication).attachments(communication):
        message.attach(name, content, mime_type)
    return message


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def email_deliver(message: EmailMessage) -> None:
    """Send through Django's connection; DeliveryUnknown when it broke after the content was handed over."""
    connection = get_connection()
    handed_over = False
    connection.open()
    smtp = getattr(connection, "connection", None)
    if isinstance(smtp, smtplib.SMTP):
        data = smtp.data

        def tracked_data(msg):
            nonlocal handed_over
            handed_over = True
            return data(msg)

        smtp.data = tracked_data
    try:
        connection.send_messages([message])
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
        raise  # the server answered: a clear yes-or-no refusal
    except RETRYABLE as exc:
        if handed_over:
            raise DeliveryUnknown(f"{type(exc).__name__}: {exc}") from exc
        raise
    finally:
        with suppress(smtplib.SMTPException, OSError):  # QUIT failing after a send changes nothing
            connection.close()


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _run_hook(communication: Communication, hook, *args) -> None:
    """A kind's bookkeeping failing must not undo what the server already has; it is logged and noted."""
    try:
        with transaction.atomic():  # a savepoint: a failing hook undoes only its own writes
            hook(communication, *args)
    except Exception as exc:
        logger.exception("outbound %s: bookkeeping after the outcome failed", communication.idempotency_key)
        note = f"{communication.get_delivery_state_display()}; bookkeeping failed: {exc}"
        Communication.objects.filter(pk=communication.pk).update(delivery_error=note[:2000])


def outbound_send(*, communication_id: int, retry_in: datetime.timedelta | None) -> str:
    """Send one email at most once; returns the state it ends in, or "skipped".

    A temporary refusal puts it back to pending and re-raises (the task retries after `retry_in`; None means
    no retries left, so it is marked failed)."""
    now = timezone.now()
    if not outbound_claim(communication_id=communication_id, now=now):
        return "skipped"
    communication = Communication.objects.select_related("request__agency", "request__campaign").get(
        pk=communication_id
    )
    claimed = Communication.objects.filter(pk=communication_id, delivery_state=DeliveryState.SENDING)
    try:
        reason = _kind(communication).unwanted(communication)
        if reason:  # nothing was sent: failed, without the kind's failure bookkeeping
            claimed.update(delivery_state=DeliveryState.FAILED, delivery_error=f"Not sent: {reason}"[:2000])
            return DeliveryState.FAILED
        message = outbound_email(communication)
    except Exception as exc:  # a missing PDF, an unknown kind, an address the mail library refuses
        claimed.update(delivery_state=DeliveryState.FAILED, delivery_error=_error(exc))
        return _finish(communication_id, "on_failed")
    try:
        email_deliver(message)
    except DeliveryUnknown as exc:
        claimed.update(delivery_state=DeliveryState.UNKNOWN, delivery_error=f"Outcome unknown: {exc}"[:2000])
        return _finish(communication_id, "on_sent", True)
    except RETRYABLE as exc:
        if retry_in is None or _permanent(exc):
            claimed.update(delivery_state=DeliveryState.FAILED, delivery_error=_error(exc))
            return _finish(communication_id, "on_failed")
        claimed.update(
            delivery_state=DeliveryState.PENDING, delivery_error=_error(exc), scheduled_for=now + retry_in
        )
        raise
    # The server has the message. Its state and the request's bookkeeping commit together: a worker that dies
    # in between leaves the row "sending", which the stale scan turns into "probably sent" (and runs the
    # bookkeeping then), never a sent email on a request still marked draft. A failing hook is logged instead.
    with transaction.atomic():
        claimed.update(delivery_state=DeliveryState.SENT, delivery_error="", occurred_at=timezone.now())
        return _finish(communication_id, "on_sent", False)


def _finish(communication_id: int, hook: str, *args) -> str:
    communication = Communication.objects.select_related("request__agency", "request__campaign").get(
        pk=communication_id
    )
    try:
        kind = _kind(communication)
    except LookupError:
        logger.exception("outbound %s has no kind", communication.idempotency_key)
    else:
        _run_hook(communication, getattr(kind, hook), *args)
    return communication.delivery_state


def outbound_release_due(*, now: datetime.datetime, grace: datetime.timedelta) -> list[int]:
    """For the beat scan: pending emails whose time has passed (plus `grace`); marks them released."""
    due = list(
        Communication.objects.filter(
            delivery_state=DeliveryState.PENDING,
            direction=Direction.OUTGOING,
            scheduled_for__lte=now - grace,
        ).values_list("pk", flat=True)[:500]
    )
    # Moving scheduled_for to now keeps the next scans from releasing them again while their tasks wait.
    Communication.objects.filter(pk__in=due, delivery_state=DeliveryState.PENDING).update(scheduled_for=now)
    return due


def outbound_recover_stale(*, now: datetime.datetime) -> list[int]:
    """For the beat scan: emails left "sending" by a dead worker become "probably sent" (never re-sent)."""
    stale = list(
        Communication.objects.filter(
            delivery_state=DeliveryState.SENDING,
            direction=Direction.OUTGOING,
            occurred_at__lt=now - SENDING_STALE_AFTER,
        ).values_list("pk", flat=True)[:500]
    )
    recovered = []
    for pk in stale:
        note = "Outcome unknown: the worker stopped while sending; the agency may have it."
        if Communication.objects.filter(pk=pk, delivery_state=DeliveryState.SENDING).update(
            delivery_state=DeliveryState.UNKNOWN, delivery_error=note
        ):
            _finish(pk, "on_sent", True)
            recovered.append(pk)
    return recovered


def outbound_confirm(*, communication: Communication, actor=None) -> bool:
    """A person confirms that a "probably sent" email did reach the agency; False if it was not one."""
    from .models import RequestEvent, RequestEventKind

    done = Communication.objects.filter(pk=communication.pk, delivery_state=DeliveryState.UNKNOWN).update(
        delivery_state=DeliveryState.SENT, delivery_error=""
    )
    if done and communication.request_id:
        RequestEvent.objects.create(
            request_id=communication.request_id,
            kind=RequestEventKind.COMMUNICATION,
            actor=actor,
            message=f"Confirmed sent: {communication.subject}",
        )
    return bool(done)


def outbound_enqueue_on_commit(communication_id: int) -> None:
    """Send a pending row once the transaction that wrote it commits."""
    task_enqueue_on_commit(SEND_TASK, communication_id)
