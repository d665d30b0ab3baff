"""Incoming mail: one ingestion function behind the webhook, IMAP polling, `import_mail` and the upload form.

A message finds its request by, in order: the reply address (records+<token>@), a [TRACKING] tag or tracking
number in the subject, In-Reply-To/References against our outgoing Message-IDs, and finally the same clues
inside a forwarded message's body. Unmatched messages wait in the unsorted inbox for a person.
"""

from __future__ import annotations

import datetime
import email
import hashlib
import io
import logging
import re
import uuid
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from .documents import EXTRACT_TASK, FileRejected, document_store, document_store_unsorted, filename_clean
from .extraction import email_body_text
from .mail_clean import UNPARSEABLE, header_get, header_get_all, text_clean
from .mail_reports import reports_handle
from .mail_senders import sender_unverified, unverified_bytes_left
from .models import (
    Communication,
    CommunicationChannel,
    Direction,
    RecordsRequest,
    Reminder,
    ReminderKind,
    RequestEvent,
    RequestEventKind,
)
from .outbound import header_clean
from .permissions import can_work_request
from .queue import task_enqueue_on_commit
from .wording import counted

logger = logging.getLogger(__name__)

ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "Resent-To", "X-Forwarded-To")
SUBJECT_TAG = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_-]{0,31})\]")
TRACKING_WORD = re.compile(r"\b([A-Za-z][A-Za-z0-9]{0,11}-\d{1,8})\b")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Addresses in a forwarded reply's text. Bounded repetition keeps the search linear: each start position
# scans at most 64 + 1 + 255 characters (the unbounded [\w.+-]+@ took 24 s on 120 KB of letters).
TEXT_ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w.-]{1,255}")
# Only the start of a forwarded body is searched for clues: the quoted headers sit at the top.
FORWARDED_TEXT_CHARS = 20_000
HEADER_LINE = re.compile(rb"^[!-9;-~]+:")


UNVERIFIED_BUDGET_REFUSED = (
    "over this request's storage budget for mail from unverified senders; "
    "confirm the sender, then file it again"
)


class MailError(ValueError):
    """A file or body that is not a usable email message; the text says what and where."""


@dataclass
class IngestResult:
    """One message after ingestion: its communication, whether it was new, how it was matched."""

    communication: Communication
    created: bool
    matched_by: str = ""
    rejected: list[FileRejected] = field(default_factory=list)
    # Matched a request the uploading person may not work: left unsorted for its owner or an editor.
    not_yours: bool = False


def message_parse(raw: bytes) -> EmailMessage:
    """Parse raw MIME; MailError when it has no email headers at all."""
    if not raw or not raw.strip():
        raise MailError("The message is empty.")
    first = raw.lstrip(b"\r\n").split(b"\n", 1)[0]
    if not HEADER_LINE.match(first):
        raise MailError(f"This is not an email message: the first line is not a header ({first[:60]!r}).")
    message = email.message_from_bytes(raw, policy=policy.default)
    if not any(header_get(message, name) for name in ("From", "Message-ID", "Subject", "Date")):
        raise MailError("This is not an email message: it has no From, Subject, Date or Message-ID header.")
    return message


def message_id_of(message: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or one made from the content so that the same message still arrives once."""
    found = MESSAGE_ID.search(header_get(message, "Message-ID"))
    if found:
        return found.group(0)[:500]
    return f"<{hashlib.sha256(raw).hexdigest()}@generated.foia>"


def _addresses(message: EmailMessage) -> list[str]:
    values = [value for name in ADDRESS_HEADERS for value in header_get_all(message, name)]
    return [address for _, address in getaddresses(values) if address]


def _token_from(addresses) -> str | None:
    pattern = re.compile(
        rf"^{re.escape(settings.FOIA_REPLY_LOCALPART)}\+([A-Za-z0-9_-]+)@{re.escape(settings.FOIA_REPLY_DOMAIN)}$",
        re.I,
    )
    for address in addresses:
        found = pattern.match(address.strip())
        if found:
            return found.group(1)
    return None


def _by_token(token: str) -> RecordsRequest | None:
    """Exact token first; mail systems sometimes change the case of the local part."""
    found = RecordsRequest.objects.filter(reply_token=token).first()
    if found is None:
        matches = list(RecordsRequest.objects.filter(reply_token__iexact=token)[:2])
        found = matches[0] if len(matches) == 1 else None
    return found


def _by_tracking(text: str) -> RecordsRequest | None:
    candidates = {tag.upper() for tag in SUBJECT_TAG.findall(text)} | {
        w.upper() for w in TRACKING_WORD.findall(text)
    }
    if not candidates:
        return None
    return RecordsRequest.objects.filter(tracking_number__in=candidates).order_by("pk").first()


def _by_thread(message: EmailMessage) -> RecordsRequest | None:
    ids = MESSAGE_ID.findall(f"{header_get(message, 'In-Reply-To')} {header_get(message, 'References')}")
    if not ids:
        return None
    outgoing = Communication.objects.filter(message_id__in=ids, request__isnull=False)
    sent = outgoing.filter(direction=Direction.OUTGOING).select_related("request").first()
    return sent.request if sent else None


def request_match(message: EmailMessage, body: str) -> tuple[RecordsRequest | None, str]:
    """The request a message belongs to and how it was found, or (None, "") for the unsorted inbox."""
    token = _token_from(_addresses(message))
    found = _by_token(token) if token else None
    if found:
        return found, "reply address"
    found = _by_tracking(header_get(message, "Subject"))
    if found:
        return found, "subject tag"
    found = _by_thread(message)
    if found:
        return found, "in-reply-to"
    # A reply a reporter forwarded: the clues sit in the quoted headers or in an attached message.
    # A bounce quotes our own letter: its Message-ID is one we sent.
    for inner in _inner_messages(message):
        found = _by_own_message_id(inner)
        if found:
            return found, "our message-id"
        found, how = request_match(inner, "")
        if found:
            return found, f"fwd: {how}"
    head = body[:FORWARDED_TEXT_CHARS]
    token = _token_from(TEXT_ADDRESS.findall(head))
    found = _by_token(token) if token else _by_tracking(head)
    return (found, "forwarded text") if found else (None, "")


def _inner_messages(message: EmailMessage) -> list[EmailMessage]:
    """Attached messages, and the quoted headers of a bounce (text/rfc822-headers)."""
    inner = []
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            inner.append(part.get_content())
        elif part.get_content_type() == "text/rfc822-headers":
            inner.append(email.message_from_string(str(part.get_content())[:100_000], policy=policy.default))
    return inner


def _by_own_message_id(message: EmailMessage) -> RecordsRequest | None:
    ids = MESSAGE_ID.findall(header_get(message, "Message-ID"))
    if not ids:
        return None
    sent = Communication.objects.filter(message_id__in=ids, direction=Direction.OUTGOING)
    found = sent.filter(request__isnull=False).select_related("request").first()
    return found.request if found else None


def message_attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(filename, bytes) of every attached file, forwarded messages' attachments included."""
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        disposition, filename = part.get_content_disposition(), part.get_filename()
        if disposition != "attachment" and not filename:
            continue
        if disposition == "inline" and part.get_content_maintype() == "image":
            continue  # signature logos and the like
        payload = part.get_payload(decode=True)
        if payload:
            found.append((filename or "attachment", payload))
    return found


def _occurred_at(message: EmailMessage):
    try:
        when = parsedate_to_datetime(header_get(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return timezone.now()
    if when is None:
        return timezone.now()
    return when if timezone.is_aware(when) else timezone.make_aware(when, datetime.UTC)


@dataclass
class _Fields:
    """What is stored from a message, every value cleaned for the database."""

    subject: str = ""
    body: str = ""
    from_address: str = ""
    to_address: str = ""
    in_reply_to: str = ""
    references: str = ""
    occurred_at: datetime.datetime | None = None


def _message_fields(message: EmailMessage) -> _Fields:
    return _Fields(
        subject=header_get(message, "Subject", limit=500),
        body=text_clean(email_body_text(message)),
        from_address=header_get(message, "From", limit=320),
        to_address=", ".join(_addresses(message))[:1000],
        in_reply_to=header_get(message, "In-Reply-To", limit=500),
        references=header_get(message, "References", limit=20000),
        occurred_at=_occurred_at(message),
    )


def _read(message: EmailMessage) -> tuple[_Fields, RecordsRequest | None, str]:
    """Fields and match; a message the parser chokes on is kept whole, unparsed, for the unsorted inbox."""
    try:
        fields = _message_fields(message)
        records_request, matched_by = request_match(message, fields.body)
    except Exception:  # hostile or broken mail must never block the mail behind it, nor answer 500
        logger.warning("A message could not be parsed; stored as unparseable", exc_info=True)
        fields = _Fields(subject="(unparseable message: download the raw copy)", occurred_at=timezone.now())
        return fields, None, UNPARSEABLE
    return fields, records_request, matched_by


def mail_ingest(*, raw: bytes, channel: str = CommunicationChannel.EMAIL, actor=None) -> IngestResult:
    """Store one raw message once (by Message-ID), match it, attach its files, tell the reporter."""
    message = message_parse(raw)
    message_id = message_id_of(message, raw)
    existing = Communication.objects.filter(message_id=message_id).first()
    if existing:
        return IngestResult(existing, created=False, matched_by=existing.matched_by)
    fields, records_request, matched_by = _read(message)
    not_yours = bool(records_request and actor and not can_work_request(actor, records_request))
    if not_yours:  # the same ownership rule as the request pages: mail is filed only where its uploader may
        records_request, matched_by = None, ""
    # A person uploading vouches for what she files; mail that arrives on its own may carry a guessed tag.
    unverified = actor is None and sender_unverified(
        records_request=records_request, matched_by=matched_by, from_header=fields.from_address
    )
    raw_name = default_storage.save(f"mail/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml", ContentFile(raw))
    try:
        with transaction.atomic():
            communication = Communication.objects.create(
                request=records_request,
                direction=Direction.INCOMING,
                channel=channel,
                subject=fields.subject,
                body=fields.body,
                from_address=fields.from_address,
                to_address=fields.to_address,
                message_id=message_id,
                in_reply_to=fields.in_reply_to,
                references=fields.references,
                matched_by=matched_by[:20],
                raw_message=raw_name,
                occurred_at=fields.occurred_at,
                created_by=actor,
                sender_unverified=unverified,
            )
            if records_request:
                rejected = _file_away(communication, message, actor)
                reports_handle(communication=communication, message=message)
            else:
                rejected = _keep_unsorted(communication, message)
    except IntegrityError:
        # The same Message-ID stored a moment ago by another way in: that copy wins.
        default_storage.delete(raw_name)
        existing = Communication.objects.filter(message_id=message_id).first()
        if existing is None:
            raise
        return IngestResult(existing, created=False, matched_by=existing.matched_by)
    except BaseException:
        default_storage.delete(raw_name)
        raise
    return IngestResult(
        communication, created=True, matched_by=matched_by, rejected=rejected, not_yours=not_yours
    )


def _attachments_read(communication: Communication, message: EmailMessage):
    """(attachments, refusals): a broken MIME structure yields none and says so; the raw copy is kept."""
    try:
        return message_attachments(message), []
    except Exception:  # hostile mail must not turn into a 500 or block the mail behind it
        logger.warning("Attachments of message %s could not be read", communication.pk, exc_info=True)
        return [], [FileRejected("the attachments could not be read; download the raw message")]


def _file_away(communication: Communication, message: EmailMessage, actor) -> list[FileRejected]:
    """Attachments become documents; a timeline line; the reporter is told once the data is committed."""
    records_request = communication.request
    attachments, rejected = _attachments_read(communication, message)
    stored = 0
    for name, payload in attachments:
        budget = unverified_bytes_left(records_request) if communication.sender_unverified else None
        if budget is not None and len(payload) > budget:
            rejected.append(FileRejected(UNVERIFIED_BUDGET_REFUSED, name))
            continue
        try:
            result = document_store(
                fileobj=io.BytesIO(payload),
                name=name,
                records_request=records_request,
                communication=communication,
                added_by=actor,
                byte_budget=budget,
            )
        except FileRejected as exc:
            rejected.append(exc)
            continue
        stored += len(result.links)
        rejected.extend(result.rejected)
    note = f"Email received: {communication.subject or '(no subject)'}"
    if communication.sender_unverified:
        sender = communication.from_address[:80]
        note += f" · unverified sender {sender} (matched only by its tag): please confirm"
    if stored:
        note += f" · {counted(stored, 'attachment')} filed"
    if rejected:
        note += " · refused: " + "; ".join(f"{filename_clean(r.name)} ({r.reason})" for r in rejected)
    RequestEvent.objects.create(
        request=records_request, kind=RequestEventKind.COMMUNICATION, actor=actor, message=note
    )
    _notification_queue(communication)
    return rejected


def _notification_queue(communication: Communication) -> None:
    """A reminder row (claimed, retried, at least once) tells the owner; written with the message itself."""
    owner = communication.request.owner
    if owner is None or not owner.email:
        return
    reminder, created = Reminder.objects.get_or_create(
        key=f"reply:{communication.pk}",
        defaults={
            "kind": ReminderKind.REPLY,
            "request": communication.request,
            "user": owner,
            "for_date": timezone.localdate(),
            "queued_at": timezone.now(),
        },
    )
    if created:
        task_enqueue_on_commit("foia.tasks.reminders.send_reminder", reminder.pk)


def _keep_unsorted(communication: Communication, message: EmailMessage) -> list[FileRejected]:
    """An unmatched message's attachments are stored and searchable now, not only once someone files it."""
    attachments, rejected = _attachments_read(communication, message)
    for name, payload in attachments:
        try:
            with transaction.atomic():
                result = document_store_unsorted(
                    fileobj=io.BytesIO(payload), name=name, communication=communication
                )
        except FileRejected as exc:
            rejected.append(exc)
            continue
        rejected.extend(result.rejected)
    return rejected


def _unsorted_filed(communication: Communication) -> None:
    """After filing: the message's documents are the request's now; scans that waited get their OCR."""
    from .models import Document, ExtractionStatus, MessageAttachment

    document_ids = list(
        MessageAttachment.objects.filter(communication=communication).values_list("document_id", flat=True)
    )
    MessageAttachment.objects.filter(communication=communication).delete()
    waiting = Document.objects.filter(pk__in=document_ids, extraction_status=ExtractionStatus.NEEDS_OCR)
    queued = list(waiting.values_list("pk", flat=True))
    waiting.update(
        extraction_status=ExtractionStatus.PENDING,
        extraction_started_at=None,
        extraction_queued_at=timezone.now(),
    )
    for document_id in queued:
        task_enqueue_on_commit(EXTRACT_TASK, document_id)


def reply_notify(*, communication: Communication) -> bool:
    """Email the request's owner that a reply arrived; False when there is nobody to tell.

    Agency text reaches the subject: it is cleaned of line breaks and NULs (BadHeaderError otherwise)."""
    records_request = communication.request
    owner = records_request.owner if records_request else None
    if owner is None or not owner.email:
        return False
    link = settings.SITE_URL + reverse("request-detail", args=[records_request.pk])
    send_mail(
        header_clean(f"Reply received: {records_request.tracking_number} {records_request.agency.name}"),
        f"{communication.from_address} wrote about {records_request.tracking_number}:\n\n"
        f"Subject: {communication.subject}\n\n{communication.body[:2000]}\n\nOpen the request: {link}\n",
        settings.DEFAULT_FROM_EMAIL,
        [owner.email],
    )
    return True


def communication_assign(*, communication: Communication, records_request: RecordsRequest, actor=None):
    """File an unsorted message on a request by hand; its attachments follow. False if already filed."""
    with transaction.atomic():
        claimed = Communication.objects.filter(pk=communication.pk, request__isnull=True).update(
            request=records_request, matched_by="assigned by hand"
        )
        if claimed != 1:
            return False
        communication.refresh_from_db()
        if communication.raw_message:
            with communication.raw_message.open("rb") as handle:
                message = email.message_from_binary_file(handle, policy=policy.default)
        else:  # entered by hand (admin, API): no raw message, so no attachments to file
            message = EmailMessage()
        _file_away(communication, message, actor)
        _unsorted_filed(communication)
    return True
