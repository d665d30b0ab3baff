"""Ways mail comes in besides the webhook: .eml/.mbox files (upload, `import_mail`) and IMAP polling."""

from __future__ import annotations

import contextlib
import logging
import re

from django.db import InterfaceError, OperationalError, transaction

from . import mail
from .mail import MailError, message_parse
from .models import CommunicationChannel

logger = logging.getLogger(__name__)

# An mbox separator: "From sender Tue Nov 24 10:00:00 2026" (a body line "From here on" is not one).
MBOX_FROM = re.compile(rb"^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ")


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
        return [mail.mail_ingest(raw=raw, actor=actor, channel=channel) for raw in raws]


def imap_fetched_bytes(fetched) -> bytes | None:
    """The message bytes out of an imaplib FETCH response ([(b'1 (UID 7 BODY[] {n}', b'...'), b')'])."""
    for item in fetched or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def imap_poll(*, url: str, batch: int = 50) -> int:
    """Ingest unseen messages from an IMAP folder, marking each seen only once it is stored.

    A message that fails for a reason of its own (not the database) is flagged and marked seen, so it cannot
    block the messages behind it; a database failure stops the poll and leaves the rest unseen for next time.
    """
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
            flags = "(\\Seen)"
            try:
                stored += int(mail.mail_ingest(raw=raw).created)  # looked up now: tests stand in for it
            except MailError as exc:
                logger.warning("IMAP message %s is not usable mail and is left marked seen: %s", uid, exc)
            except (OperationalError, InterfaceError):  # the database, not the message: try again later
                raise
            except Exception:
                logger.exception("IMAP message %s could not be ingested; flagged and skipped", uid)
                flags = "(\\Seen \\Flagged)"
            client.uid("STORE", uid, "+FLAGS", flags)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return stored
