"""Incoming mail: one ingestion function behind the webhook, IMAP polling, `import_mail` and the upload form.

A message finds its request by, in order: the reply address (records+<token>@), a [TRACKING] tag or tracking
number in the subject, In-Reply-To/References against our outgoing Message-IDs, and finally the same clues
inside a forwarded message's body. Unmatched messages wait in the unsorted inbox for a person.
"""

from __future__ import annotations

import contextlib
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

from .documents import EXTRACT_TASK, document_store, document_store_unsorted
from .extraction import email_body_text
from .filetypes import FileRejected, filename_clean
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
from .queue import task_enqueue_on_commit
from .wording import counted

logger = logging.getLogger(__name__)

ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "Resent-To", "X-Forwarded-To")
SUBJECT_TAG = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_-]{0,31})\]")
TRACKING_WORD = re.compile(r"\b([A-Za-z][A-Za-z0-9]{0,11}-\d{1,8})\b")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
# An mbox separator: "From sender Tue Nov 24 10:00:00 2026" (a body line "From here on" is not one).
MBOX_FROM = re.compile(rb"^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ")


class MailError(ValueError):
    """A file or body that is not a usable email message; the text says what and where."""


@dataclass
class IngestResult:
    """One message after ingestion: its communication, whether it was new, how it was matched."""

    communication: Communication
    created: bool
    matched_by: str = ""
    rejected: list[FileRejected] = field(default_factory=list)


def message_parse(raw: bytes) -> EmailMessage:
    """Parse raw MIME; MailError when it has no email headers at all."""
    if not raw or not raw.strip():
        raise MailError("The message is empty.")
    first = raw.lstrip(b"\r\n").split(b"\n", 1)[0]
    if not HEADER_LINE.match(first):
        raise MailError(f"This is not an email message: the first line is not a header ({first[:60]!r}).")
    message = email.message_from_bytes(raw, policy=policy.default)
    if not any(message.get(name) for name in ("From", "Message-ID", "Subject", "Date")):
        raise MailError("This is not an email message: it has no From, Subject, Date or Message-ID header.")
    return message


def message_id_of(message: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or one made from the content so that the same message still arrives once."""
    found = MESSAGE_ID.search(str(message.get("Message-ID", "")))
    if found:
        return found.group(0)[:500]
    return f"<{hashlib.sha256(raw).hexdigest()}@generated.foia>"


def _addresses(message: EmailMessage) -> list[str]:
    values = [str(value) for name in ADDRESS_HEADERS for value in (message.get_all(name) or [])]
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
    ids = MESSAGE_ID.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
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
    found = _by_tracking(str(message.get("Subject", "")))
    if found:
        return found, "subject tag"
    found = _by_thread(message)
    if found:
        return found, "in-reply-to"
    # A reply a reporter forwarded: the clues sit in the quoted headers or in an attached message.
    for inner in _inner_messages(message):
        found, how = request_match(inner, "")
        if found:
            return found, f"fwd: {how}"
    token = _token_from(re.findall(r"[\w.+-]+@[\w.-]+", body))
    found = _by_token(token) if token else _by_tracking(body[:20000])
    return (found, "forwarded text") if found else (None, "")


def _inner_messages(message: EmailMessage) -> list[EmailMessage]:
    return [part.get_content() for part in message.walk() if part.get_content_type() == "message/rfc822"]


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
        when = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return timezone.now()
    if when is None:
        return timezone.now()
    return when if timezone.is_aware(when) else timezone.make_aware(when, datetime.UTC)


def mail_ingest(*, raw: bytes, channel: str = CommunicationChannel.EMAIL, actor=None) -> IngestResult:
    """Store one raw message once (by Message-ID), match it, attach its files, tell the reporter."""
    message = message_parse(raw)
    message_id = message_id_of(message, raw)
    existing = Communication.objects.filter(message_id=message_id).first()
    if existing:
        return IngestResult(existing, created=False, matched_by=existing.matched_by)
    body = email_body_text(message)
    records_request, matched_by = request_match(message, body)
    raw_name = default_storage.save(f"mail/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml", ContentFile(raw))
    try:
        with transaction.atomic():
            communication = Communication.objects.create(
                request=records_request,
                direction=Direction.INCOMING,
                channel=channel,
                subject=str(message.get("Subject", ""))[:500],
                body=body,
                from_address=str(message.get("From", ""))[:320],
                to_address=", ".join(_addresses(message))[:1000],
                message_id=message_id,
                in_reply_to=str(message.get("In-Reply-To", ""))[:500],
                references=str(message.get("References", "")),
                matched_by=matched_by[:20],
                raw_message=raw_name,
                occurred_at=_occurred_at(message),
                created_by=actor,
            )
            if records_request:
                rejected = _file_away(communication, message, actor)
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
    return IngestResult(communication, created=True, matched_by=matched_by, rejected=rejected)


def _file_away(communication: Communication, message: EmailMessage, actor) -> list[FileRejected]:
    """Attachments become documents; a timeline line; the reporter is told once the data is committed."""
    records_request = communication.request
    rejected, stored = [], 0
    for name, payload in message_attachments(message):
        try:
            result = document_store(
                fileobj=io.BytesIO(payload),
                name=name,
                records_request=records_request,
                communication=communication,
                added_by=actor,
            )
        except FileRejected as exc:
            rejected.append(exc)
            continue
        stored += len(result.links)
        rejected.extend(result.rejected)
    note = f"Email received: {communication.subject or '(no subject)'}"
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
    rejected = []
    for name, payload in message_attachments(message):
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
    waiting.update(extraction_status=ExtractionStatus.PENDING, extraction_started_at=None)
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


def mail_file_split(data: bytes, *, filename: str = "") -> list[bytes]:
    """One raw message per item from a .eml or an mbox; MailError naming the message and line if malformed."""
    if not data.strip():
        raise MailError(f"{filename or 'The file'} is empty.")
    looks_mbox = data.startswith(b"From ")
    if filename.lower().endswith(".mbox") and not looks_mbox:
        raise MailError(f"{filename} is not an mbox file: line 1 should start with 'From '.")
    if not looks_mbox:
        message_parse(data)
        return [data]
    messages, current, start_line, previous_blank = [], [], 1, True
    for number, line in enumerate(data.splitlines(keepends=True), 1):
        if (number == 1 or previous_blank) and MBOX_FROM.match(line):
            if current:
                messages.append((start_line, b"".join(current)))
            current, start_line = [], number + 1
        else:
            # mboxrd quoting: ">From " in a body was "From ".
            current.append(line[1:] if re.match(rb"^>+From ", line) else line)
        previous_blank = not line.strip()
    messages.append((start_line, b"".join(current)))
    for index, (line_number, raw) in enumerate(messages, 1):
        try:
            message_parse(raw)
        except MailError as exc:
            raise MailError(f"{filename or 'mbox'}: message {index} (line {line_number}): {exc}") from None
    return [raw for _, raw in messages]


def mail_import(*, data: bytes, filename: str = "", actor=None, channel=CommunicationChannel.EMAIL):
    """Import a .eml or .mbox: every message or none (a malformed file stores nothing)."""
    raws = mail_file_split(data, filename=filename)
    with transaction.atomic():
        return [mail_ingest(raw=raw, actor=actor, channel=channel) for raw in raws]


def imap_fetched_bytes(fetched) -> bytes | None:
    """The message bytes out of an imaplib FETCH response ([(b'1 (UID 7 BODY[] {n}', b'...'), b')'])."""
    for item in fetched or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def imap_poll(*, url: str, batch: int = 50) -> int:
    """Ingest unseen messages from an IMAP folder, marking each seen only once it is stored."""
    import imaplib
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    secure = parts.scheme == "imaps"
    client_class = imaplib.IMAP4_SSL if secure else imaplib.IMAP4
    client = client_class(parts.hostname, parts.port or (993 if secure else 143), timeout=60)
    stored = 0
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        client.select(unquote(parts.path.strip("/")) or "INBOX")
        _, found = client.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0] or b"").split()[:batch]:
            _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = imap_fetched_bytes(fetched)
            if raw is None:
                continue
            try:
                stored += int(mail_ingest(raw=raw).created)
            except MailError as exc:
                logger.warning("IMAP message %s is not usable mail and is left marked seen: %s", uid, exc)
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return stored
