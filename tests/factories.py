"""One small factory per model."""

import datetime
import hashlib
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from foia import models


def _today(days: int = 0) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _day_after_due(o) -> datetime.date | None:
    return o.due_on + datetime.timedelta(days=1) if o.due_on else None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@newsroom.example")
    role = models.Role.REPORTER
    password = factory.django.Password("correct horse battery staple")


class LawFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Law
        django_get_or_create = ("jurisdiction",)

    jurisdiction = "MI"
    jurisdiction_name = "Michigan"
    law_name = "Michigan Freedom of Information Act"
    citation = "MCL 15.231 et seq."
    response_days = 5
    day_type = models.DayType.BUSINESS
    source = "tests"
    verified_on = datetime.date(2026, 11, 1)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Agency

    name = factory.Sequence(lambda n: f"Springfield {n} Police Department")
    state = "MI"
    city = "Springfield"
    kind = models.AgencyKind.POLICE
    email = factory.Sequence(lambda n: f"records{n}@springfield.example")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Campaign

    title = factory.Sequence(lambda n: f"Ring partnerships {n}")
    slug = factory.Sequence(lambda n: f"ring-{n}")
    tracking_prefix = factory.Sequence(lambda n: f"RING{n}")
    records_wanted = "Contracts and MOUs with Ring LLC or Amazon\nScripts and talking points provided by Ring"
    requester_name = "Jane Reporter"
    requester_outlet = "The Daily Example"
    requester_email = "jane@newsroom.example"
    requester_address = "1 Press Row\nSpringfield, MI 49000"


class RecordsRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RecordsRequest

    campaign = factory.SubFactory(CampaignFactory)
    agency = factory.SubFactory(AgencyFactory)
    tracking_number = factory.Sequence(lambda n: f"TEST-{n:04d}")
    reply_token = factory.Sequence(lambda n: f"tok{n:08d}")
    status = models.Status.DRAFT

    class Params:
        # RecordsRequestFactory(sent=True): emailed three days ago, due in two business days.
        sent = factory.Trait(
            status=models.Status.SENT,
            sent_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3)),
            send_method=models.SendMethod.EMAIL,
            received_on=factory.LazyFunction(lambda: _today(-3)),
            due_on=factory.LazyFunction(lambda: _today(2)),
            due_rule="Michigan FOIA (MCL 15.235): response due 5 business days after receipt",
            next_followup_on=factory.LazyAttribute(
                lambda o: o.due_on and o.due_on + datetime.timedelta(days=1)
            ),
            letter_subject="Public records request: Ring partnership",
            letter_body="Under the Michigan FOIA I request:\n\n1. Contracts with Ring LLC",
            letter_frozen_at=factory.SelfAttribute("sent_at"),
        )
        # RecordsRequestFactory(overdue=True): sent, and the agency's answer was due three days ago.
        overdue = factory.Trait(
            sent=True,
            sent_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=14)),
            received_on=factory.LazyFunction(lambda: _today(-14)),
            due_on=factory.LazyFunction(lambda: _today(-3)),
        )
        # RecordsRequestFactory(paused=True): the agency asked for $25; the clock waits with 3 days left.
        paused = factory.Trait(
            sent=True,
            status=models.Status.PAYMENT_REQUIRED,
            fee_amount=Decimal("25.00"),
            due_on=None,
            paused_on=factory.LazyFunction(lambda: _today(-1)),
            paused_days_left=3,
            first_response_at=factory.LazyFunction(timezone.now),
        )


class CommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Communication

    request = factory.SubFactory(RecordsRequestFactory)
    direction = models.Direction.INCOMING
    channel = models.CommunicationChannel.EMAIL
    subject = "Re: records request"
    body = "We have received your request."
    occurred_at = factory.LazyFunction(timezone.now)


# --- Documents area: files and mail made in the test, no fixtures on disk ---------------------------------


def pdf_bytes(pages: list[str]) -> bytes:
    """A small valid PDF, one text line per line of each page ("" gives a page with no text)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        lines = " ".join(f"({escape(line)}) Tj T*" for line in text.split("\n")) if text else ""
        stream = f"BT /F1 11 Tf 72 720 Td 14 TL {lines} ET".encode() if text else b""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
            f" /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return _pdf_assemble(objects)


def _pdf_assemble(objects: list[bytes], trailer_extra: str = "") -> bytes:
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer_extra}>>\n"
    out += f"{trailer}startxref\n{xref}\n%%EOF\n".encode()
    return out


def encrypted_pdf_bytes() -> bytes:
    """A PDF locked with a user password (standard security handler, RC4 40-bit)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <%s> /U <%s> >>" % (b"11" * 32, b"22" * 32),
    ]
    return _pdf_assemble(
        objects,
        trailer_extra="/Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff> "
        "<00112233445566778899aabbccddeeff>] ",
    )


def eml_bytes(
    *,
    subject="Re: Public records request",
    to="records@newsroom.example",
    sender="clerk@springfield.example",
    body="Please find the records attached.",
    message_id=None,
    attachments=(),
    headers=None,
) -> bytes:
    """A raw MIME message; attachments are (filename, bytes, mime type) triples."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 -0500"
    message["Message-ID"] = message_id or make_msgid(domain="springfield.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, payload, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


# --- Lifecycle area: requests in a given state, timeline events, reminders, documents ---------------------

# What the lifecycle asks for with some statuses (lifecycle_rules.check_transition).
TRANSITION_NEEDS = {
    models.Status.PAYMENT_REQUIRED: {"fee_amount": "25.00"},
    models.Status.REJECTED: {"exemptions": "MCL 15.243(1)(b)"},
}


def move(records_request, *statuses, **fields):
    """Walk a request through `statuses` with foia.lifecycle, adding the amount/exemptions each one needs."""
    from foia.lifecycle import request_transition

    for status in statuses:
        needs = {**TRANSITION_NEEDS.get(status, {}), **fields}
        request_transition(records_request=records_request, to_status=status, **needs)
    return records_request


class RequestEventFactory(factory.django.DjangoModelFactory):
    """A line on the timeline; RequestEventFactory(request=rr, status_change=True) for a status change."""

    class Meta:
        model = models.RequestEvent

    request = factory.SubFactory(RecordsRequestFactory, sent=True)
    kind = models.RequestEventKind.NOTE
    message = "Called the clerk; they are looking."

    class Params:
        status_change = factory.Trait(
            kind=models.RequestEventKind.STATUS,
            from_status=models.Status.SENT,
            to_status=models.Status.ACKNOWLEDGED,
            message="Letter received.",
        )


class DocumentFactory(factory.django.DjangoModelFactory):
    """A stored file (bytes from `content`, hashed), text already extracted."""

    class Meta:
        model = models.Document
        django_get_or_create = ("sha256",)

    class Params:
        content = factory.Sequence(lambda n: pdf_bytes([f"Contract number {n} with Ring LLC"]))

    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name="document.pdf"))
    size = factory.LazyAttribute(lambda o: len(o.content))
    mime_type = "application/pdf"
    original_name = factory.Sequence(lambda n: f"contract-{n}.pdf")
    kind = models.DocumentKind.CONTRACT
    extraction_status = models.ExtractionStatus.DONE
    page_count = 1


class RequestDocumentFactory(factory.django.DjangoModelFactory):
    """A document as it arrived on a request."""

    class Meta:
        model = models.RequestDocument

    request = factory.SubFactory(RecordsRequestFactory, sent=True)
    document = factory.SubFactory(DocumentFactory)
    filename = factory.SelfAttribute("document.original_name")


class ReminderFactory(factory.django.DjangoModelFactory):
    """A follow-up row for an overdue request (pending); ReminderFactory(digest=True, user=…) for a digest."""

    class Meta:
        model = models.Reminder

    kind = models.ReminderKind.FOLLOWUP
    request = factory.SubFactory(RecordsRequestFactory, overdue=True)
    for_date = factory.LazyFunction(timezone.localdate)
    key = factory.LazyAttribute(
        lambda o: f"{o.kind}:{o.request.pk if o.request else o.user.pk}:{o.for_date}:{o.n}"
    )

    class Params:
        n = factory.Sequence(int)
        digest = factory.Trait(kind=models.ReminderKind.DIGEST, request=None)
