"""Who may put mail on a request: tracking tags are sequential, so a tag alone does not vouch for a sender.

Mail matched by its reply address (a random token) or by In-Reply-To (our own Message-ID) came from someone
who received our letter. Mail matched only by a [RING-0001] tag in its subject or text could come from anyone:
it is filed but marked "unverified sender" unless it comes from the agency's domain or an address known
for it, and its attachments count against a per-request storage budget until a person confirms the sender.
"""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum

from .models import Communication, Direction, Document, RecordsRequest, RequestEvent, RequestEventKind

# How a message found its request when only a guessable tag vouches for it (see foia.mail.request_match).
TAG_ONLY = frozenset({"subject tag", "forwarded text", "fwd: subject tag", "fwd: forwarded text"})


def address_of(from_header: str) -> str:
    """The bare address of a From value, lower case ("" when there is none)."""
    return parseaddr(from_header or "")[1].strip().lower()


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()


def sender_is_known(*, records_request: RecordsRequest, from_header: str) -> bool:
    """True for the agency's domain, an address confirmed before for this agency, or a newsroom person."""
    address = address_of(from_header)
    if not address or "@" not in address:
        return False
    agency_email = (records_request.agency.email or "").strip().lower()
    domain = _domain(address)
    if agency_email and (address == agency_email or domain == _domain(agency_email)):
        return True
    earlier = Communication.objects.filter(
        request__agency_id=records_request.agency_id,
        direction=Direction.INCOMING,
        sender_unverified=False,
        from_address__icontains=address,
    )
    if earlier.exists():
        return True
    # A reporter forwarding a reply from her own inbox.
    return get_user_model().objects.filter(email__iexact=address, is_active=True).exists()


def sender_unverified(*, records_request: RecordsRequest | None, matched_by: str, from_header: str) -> bool:
    """Whether a message arriving without a person (webhook, IMAP, import) needs its sender confirmed."""
    if records_request is None or matched_by not in TAG_ONLY:
        return False
    return not sender_is_known(records_request=records_request, from_header=from_header)


def unverified_bytes_left(records_request: RecordsRequest) -> int:
    """Bytes unconfirmed senders' attachments may still add to this request (FOIA_UNVERIFIED_MAIL_BYTES)."""
    used = Document.objects.filter(
        links__request=records_request, links__communication__sender_unverified=True
    ).aggregate(total=Sum("size"))["total"]
    return settings.FOIA_UNVERIFIED_MAIL_BYTES - (used or 0)


def sender_confirm(*, communication: Communication, actor) -> bool:
    """A person vouches for the sender of a tag-matched message; False if it needed no confirmation."""
    with transaction.atomic():
        updated = Communication.objects.filter(pk=communication.pk, sender_unverified=True).update(
            sender_unverified=False
        )
        if updated and communication.request_id:
            RequestEvent.objects.create(
                request_id=communication.request_id,
                kind=RequestEventKind.COMMUNICATION,
                actor=actor,
                message=f"Sender confirmed: {communication.from_address or '(no sender)'}",
            )
    communication.sender_unverified = False
    return bool(updated)
