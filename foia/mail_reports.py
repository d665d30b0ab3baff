"""Machine answers to letters: bounces mark the agency's address bad, portal auto-replies suggest a portal.

A bounce (a delivery status notification, RFC 3464, or a mailer-daemon's plain "undeliverable" note) whose
failed recipient is the agency's email marks that address bad: the agency joins the needs-contact queue and
the request's timeline says why. A reply that points to a records portal (GovQA, NextRequest, JustFOIA ...)
leaves a suggestion on the agency that a person accepts or dismisses; nothing is switched automatically.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from .mail_clean import header_get, text_clean
from .models import Agency, Communication, RecordsRequest, RequestEvent, RequestEventKind

logger = logging.getLogger(__name__)

# Records-request portals by host suffix: the name a person sees in the suggestion.
PORTALS = (
    ("govqa.us", "GovQA"),
    ("mycusthelp.com", "GovQA"),
    ("mycusthelp.net", "GovQA"),
    ("nextrequest.com", "NextRequest"),
    ("justfoia.com", "JustFOIA"),
    ("foiaxpress.com", "FOIAXpress"),
    ("securerelease.us", "SecureRelease"),
    ("civicplus.com", "CivicPlus"),
)
URL = re.compile(r"https?://[^\s<>\"'\[\]]{4,400}", re.I)  # GovQA paths hold parentheses: "(S(x))"
DSN_FAILED = re.compile(r"^\s*action\s*:\s*failed", re.I | re.M)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer)@", re.I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification \(failure\)|delivery failure|mail delivery failed|returned mail|"
    r"failure notice|could not be delivered",
    re.I,
)
AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|auto:|out of (the )?office|autoresponse)", re.I
)
ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
TEXT_LIMIT = 200_000  # the part of each text body searched: bounded input for every pattern here


@dataclass
class Bounce:
    """A delivery failure: the recipients that failed (lower case) and the server's reason."""

    recipients: set[str] = field(default_factory=set)
    reason: str = ""


def _texts(message: EmailMessage) -> list[str]:
    """Every text part's content, bounded, cleaned; parts that will not decode are skipped."""
    texts = []
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except Exception:  # a hostile or broken part is skipped, never raised
            logger.info("A text part could not be decoded; skipped")
            continue
        if isinstance(content, str):
            texts.append(text_clean(content[:TEXT_LIMIT]))
    return texts


def bounce_of(message: EmailMessage) -> Bounce | None:
    """The delivery failure this message reports, or None for an ordinary message."""
    if message.get_content_type() == "multipart/report":
        bounce = Bounce()
        for part in message.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            for block in part.get_payload() if part.is_multipart() else []:
                fields = {key.lower(): str(value) for key, value in block.items()}
                if fields.get("action", "").strip().lower() != "failed":
                    continue
                recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
                bounce.recipients.add(recipient.rpartition(";")[2].strip().lower())
                bounce.reason = text_clean(fields.get("diagnostic-code", bounce.reason), limit=300)
        if bounce.recipients:
            return bounce
    sender = header_get(message, "From").rpartition("<")[2].strip(" >")
    if BOUNCE_SENDER.match(sender) and BOUNCE_SUBJECT.search(header_get(message, "Subject")):
        text = "\n".join(_texts(message))
        return Bounce({address.lower() for address in ADDRESS.findall(text)}, "undeliverable")
    return None


def is_auto_reply(message: EmailMessage) -> bool:
    """RFC 3834's Auto-Submitted header, the common vendor headers, or an auto-reply subject."""
    auto = header_get(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return True
    if any(header_get(message, name) for name in ("X-Autoreply", "X-Autorespond")):
        return True
    if header_get(message, "Precedence").lower() == "auto_reply":
        return True
    return bool(AUTO_SUBJECT.match(header_get(message, "Subject")))


def portal_link(message: EmailMessage) -> tuple[str, str] | None:
    """(portal name, URL) of the first records-portal link in the message's text or HTML, if any."""
    for text in _texts(message):
        for url in URL.findall(text):
            url = url.rstrip(".,;:!?")
            while url.endswith(")") and url.count(")") > url.count("("):  # "(see https://x.gov/)"
                url = url[:-1]
            host = (urlsplit(url).hostname or "").lower()
            for suffix, name in PORTALS:
                if host == suffix or host.endswith("." + suffix):
                    return name, url
    return None


def reports_handle(*, communication: Communication, message: EmailMessage) -> None:
    """After a message is filed on a request: record a bounce, or a portal suggestion from its reply."""
    records_request = communication.request
    if records_request is None:
        return
    try:
        bounce = bounce_of(message)
        # Auto-replies mostly, but a clerk's "please use our portal" counts too. Anyone can type a tag: a
        # stranger's link is never offered as the agency's portal.
        found = None if bounce or communication.sender_unverified else portal_link(message)
        automatic = is_auto_reply(message)
    except Exception:  # reading a hostile message for these hints must never lose the message itself
        logger.warning("Message %s not checked for bounce or portal", communication.pk, exc_info=True)
        return
    if bounce is not None:
        bounce_record(records_request=records_request, bounce=bounce)
    elif found:
        portal_suggest(records_request=records_request, name=found[0], url=found[1], automatic=automatic)


def bounce_record(*, records_request: RecordsRequest, bounce: Bounce) -> bool:
    """Mark the agency's email bad when it is among the failed recipients; False when it is not."""
    agency = records_request.agency
    email = agency.email.strip().lower()
    if not email or email not in bounce.recipients:
        return False
    with transaction.atomic():
        Agency.objects.filter(pk=agency.pk).update(bounced_email=agency.email, bounced_at=timezone.now())
        agency.bounced_email, agency.bounced_at = agency.email, timezone.now()
        RequestEvent.objects.create(
            request=records_request,
            kind=RequestEventKind.NOTE,
            message=f"The email to {agency.email} bounced ({bounce.reason or 'undeliverable'}): "
            f"{agency.name} needs a new contact (see the needs-contact queue).",
        )
    return True


def portal_suggest(*, records_request: RecordsRequest, name: str, url: str, automatic: bool = False) -> bool:
    """Leave a portal suggestion on the agency (once per URL); False when it is already its portal."""
    agency = records_request.agency
    if url in (agency.portal_url, agency.portal_suggestion_url):
        return False
    with transaction.atomic():
        Agency.objects.filter(pk=agency.pk).update(portal_suggestion_url=url, portal_suggestion_name=name)
        agency.portal_suggestion_url, agency.portal_suggestion_name = url, name
        RequestEvent.objects.create(
            request=records_request,
            kind=RequestEventKind.NOTE,
            message=f"{agency.name}'s {'automatic reply' if automatic else 'reply'} links to a {name} "
            f"records portal ({url}): a switch to it is suggested on the agency's page.",
        )
    return True


def portal_suggestion_accept(*, agency: Agency, actor) -> None:
    """Use the suggested portal: the agency's requests go through it from now on (email kept as a note)."""
    with transaction.atomic():
        if agency.email and not agency.email_bounced:
            agency.notes = f"{agency.notes}\nEmail before switching to the portal: {agency.email}".strip()
            agency.email = ""
        agency.portal_url, agency.portal_name = agency.portal_suggestion_url, agency.portal_suggestion_name
        agency.portal_suggestion_url = agency.portal_suggestion_name = ""
        agency.contact_changed_by, agency.contact_changed_at = actor, timezone.now()
        agency.save()


def portal_suggestion_dismiss(*, agency: Agency) -> None:
    Agency.objects.filter(pk=agency.pk).update(portal_suggestion_url="", portal_suggestion_name="")
