"""A tracking tag alone does not vouch for a sender: unknown senders are filed unverified, within a budget."""

import io
import zipfile

import pytest
from django.urls import reverse

from foia.mail import mail_ingest
from foia.models import Communication, RequestDocument, RequestEvent

from .factories import AgencyFactory, RecordsRequestFactory, eml_bytes


@pytest.fixture
def records_request(db, alice):
    agency = AgencyFactory(email="foia@springfield.example")
    return RecordsRequestFactory(tracking_number="RING-0001", reply_token="tok1", owner=alice, agency=agency)


def text_files(count: int, size: int, batch: int = 0) -> list[tuple[str, bytes, str]]:
    return [(f"file{n}.txt", f"{batch}:{n} ".encode() * (size // 4), "text/plain") for n in range(count)]


def test_a_tag_from_a_stranger_is_filed_but_marked_unverified(records_request):
    raw = eml_bytes(subject="[RING-0001] records", sender="prankster@elsewhere.example")
    communication = mail_ingest(raw=raw).communication
    assert communication.request == records_request and communication.sender_unverified
    event = RequestEvent.objects.get(request=records_request, kind="communication")
    assert "unverified sender" in event.message


@pytest.mark.parametrize(
    "sender",
    [
        "Clerk <clerk@springfield.example>",  # the agency's domain
        "FOIA@Springfield.example",  # the agency's own address, any case
    ],
)
def test_the_agencys_domain_or_address_is_trusted_with_a_tag(records_request, sender):
    communication = mail_ingest(raw=eml_bytes(subject="[RING-0001] records", sender=sender)).communication
    assert communication.request == records_request and not communication.sender_unverified


def test_the_reply_address_vouches_for_any_sender(records_request):
    raw = eml_bytes(to="records+tok1@newsroom.example", sender="lawyer@outside-counsel.example")
    communication = mail_ingest(raw=raw).communication
    assert communication.request == records_request and not communication.sender_unverified


def test_a_sender_confirmed_once_is_known_for_the_agency(records_request, alice_client):
    first = mail_ingest(
        raw=eml_bytes(subject="[RING-0001] a", sender="clerk@city-hall.example")
    ).communication
    assert first.sender_unverified
    response = alice_client.post(reverse("communication-confirm-sender", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert not first.sender_unverified
    assert RequestEvent.objects.filter(message__startswith="Sender confirmed").count() == 1
    second = mail_ingest(
        raw=eml_bytes(subject="[RING-0001] b", sender="clerk@city-hall.example")
    ).communication
    assert not second.sender_unverified


def test_only_someone_who_may_work_the_request_confirms_a_sender(records_request, client, bob, victor):
    communication = mail_ingest(raw=eml_bytes(subject="[RING-0001] a", sender="x@y.example")).communication
    for person in (bob, victor):
        client.force_login(person)
        assert (
            client.post(reverse("communication-confirm-sender", args=[communication.pk])).status_code == 403
        )
    assert Communication.objects.get().sender_unverified


def test_a_reporter_uploading_a_forward_vouches_for_it(records_request, alice_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    raw = eml_bytes(subject="Fwd: [RING-0001] records", sender="alice@home.example")
    alice_client.post(reverse("mail-upload"), {"file": SimpleUploadedFile("fwd.eml", raw)})
    communication = Communication.objects.get()
    assert communication.request == records_request and not communication.sender_unverified


def test_attachments_from_unverified_senders_stop_at_the_requests_budget(records_request, settings):
    settings.FOIA_UNVERIFIED_MAIL_BYTES = 10_000
    for n in range(3):  # three strangers, 4 files of about 3 KB each
        raw = eml_bytes(
            subject=f"[RING-0001] dump {n}",
            sender=f"p{n}@elsewhere.example",
            attachments=text_files(4, 3000, batch=n),
        )
        mail_ingest(raw=raw)
    stored = RequestDocument.objects.filter(request=records_request)
    assert 0 < stored.count() <= 3
    assert sum(link.document.size for link in stored) <= 10_000
    assert "storage budget" in " ".join(RequestEvent.objects.values_list("message", flat=True))


def test_a_zip_from_an_unverified_sender_expands_only_within_the_budget(records_request, settings):
    settings.FOIA_UNVERIFIED_MAIL_BYTES = 20_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(200):
            archive.writestr(f"doc{n}.txt", f"page {n} ".encode() * 1000)  # about 8 KB each, compresses well
    raw = eml_bytes(
        subject="[RING-0001] all",
        sender="p@elsewhere.example",
        attachments=[("a.zip", buffer.getvalue(), "application/zip")],
    )
    mail_ingest(raw=raw)
    stored = RequestDocument.objects.filter(request=records_request)
    assert sum(link.document.size for link in stored) <= 20_000
    assert stored.count() < 5


def test_a_verified_sender_is_not_held_to_the_budget(records_request, settings):
    settings.FOIA_UNVERIFIED_MAIL_BYTES = 1_000
    raw = eml_bytes(
        subject="[RING-0001] records", sender="clerk@springfield.example", attachments=text_files(3, 3000)
    )
    mail_ingest(raw=raw)
    assert RequestDocument.objects.filter(request=records_request).count() == 3
