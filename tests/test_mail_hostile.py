"""Mail that cannot hurt: NULs and bad headers are cleaned or kept as unparseable; never a 500 or a block."""

import hashlib
import hmac

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from foia.mail import mail_ingest
from foia.mail_sources import imap_poll
from foia.models import Communication

from .factories import RecordsRequestFactory, eml_bytes
from .test_mail import TinyImap, imap_server  # noqa: F401  (the loopback IMAP server fixture)

SECRET = "hook-secret"

# An encoded word hiding a NUL, a raw NUL in To and in the body, and a Message-ID with a NUL.
NUL_MAIL = (
    b"From: Clerk <clerk@springfield.example>\r\n"
    b"To: =?utf-8?q?Records=00?= <records@newsroom.example>\r\n"
    b"Subject: =?utf-8?q?hello=00world?= [RING-0042]\r\n"
    b"Message-ID: <nul\x00id@springfield.example>\r\n"
    b"In-Reply-To: <a\x00b@x>\r\n"
    b"Date: Tue, 24 Nov 2026 10:00:00 -0500\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"The records\x00 are attached.\r\n"
)


@pytest.fixture
def records_request(db, alice):
    return RecordsRequestFactory(tracking_number="RING-0042", reply_token="abc123tok", owner=alice)


def stored_text(communication: Communication) -> str:
    fields = ("subject", "body", "from_address", "to_address", "message_id", "in_reply_to", "references")
    return "".join(str(getattr(communication, name) or "") for name in fields)


def test_a_nul_in_an_encoded_subject_is_cleaned_and_the_message_filed(records_request):
    communication = mail_ingest(raw=NUL_MAIL).communication
    communication.refresh_from_db()
    assert "\x00" not in stored_text(communication)
    assert communication.subject == "hello world [RING-0042]"
    assert communication.request == records_request
    assert "records are attached" in communication.body.replace("  ", " ")


def test_the_webhook_answers_201_for_a_message_with_nul_headers(settings, records_request):
    settings.FOIA_INBOUND_SECRET = SECRET
    signature = hmac.new(SECRET.encode(), NUL_MAIL, hashlib.sha256).hexdigest()
    response = Client().post(
        reverse("inbound-email"), NUL_MAIL, content_type="message/rfc822", HTTP_X_SIGNATURE=signature
    )
    assert response.status_code == 201
    assert "\x00" not in stored_text(Communication.objects.get())


def test_the_mail_upload_stores_a_message_with_nul_headers(alice_client, records_request):
    response = alice_client.post(
        reverse("mail-upload"), {"file": SimpleUploadedFile("reply.eml", NUL_MAIL)}, follow=True
    )
    assert response.status_code == 200
    assert Communication.objects.get().request == records_request


def test_import_mail_stores_a_message_with_nul_headers(records_request, tmp_path, capsys):
    path = tmp_path / "nul.eml"
    path.write_bytes(NUL_MAIL)
    call_command("import_mail", str(path))
    assert "hello world" in capsys.readouterr().out
    assert Communication.objects.get().request == records_request


def test_a_header_the_parser_chokes_on_is_kept_raw_and_cleaned(records_request):
    # An address list the parser cannot read: the raw value is stored instead of a traceback.
    raw = eml_bytes(subject="[RING-0042] hi").replace(
        b"To: records@newsroom.example", b'To: "\\\x00\\" <@>,,:;<<>>\x00 =?x?q?=00?='
    )
    communication = mail_ingest(raw=raw).communication
    assert communication.request == records_request
    assert "\x00" not in stored_text(communication)


def test_a_message_that_cannot_be_read_is_stored_as_unparseable(records_request, monkeypatch):
    def broken(message):
        raise IndexError("the header parser fell over")

    monkeypatch.setattr("foia.mail._message_fields", broken)  # stands in for a parser bug on hostile input
    communication = mail_ingest(raw=eml_bytes(subject="[RING-0042] hi")).communication
    assert communication.request is None and communication.matched_by == "unparseable"
    assert communication.raw_message  # the raw copy is kept for a person
    assert "unparseable" in communication.subject


def test_a_nul_message_over_imap_does_not_block_the_ones_behind_it(records_request, imap_server):  # noqa: F811
    TinyImap.messages = {
        1: eml_bytes(subject="before"),
        2: NUL_MAIL,
        3: eml_bytes(subject="after [RING-0042]"),
    }
    url = f"imap://poller:pw@127.0.0.1:{imap_server.server_address[1]}/INBOX"
    assert imap_poll(url=url) == 3
    assert TinyImap.seen == {1, 2, 3}
    assert Communication.objects.filter(request=records_request).count() == 2


def test_a_poison_message_over_imap_is_flagged_and_skipped(records_request, imap_server, monkeypatch):  # noqa: F811
    import foia.mail

    real_ingest = foia.mail.mail_ingest

    def ingest(*, raw, **kwargs):
        if b"poison" in raw:
            raise RecursionError("a message the parser cannot survive")  # stands in for a parser bug
        return real_ingest(raw=raw, **kwargs)

    monkeypatch.setattr(foia.mail, "mail_ingest", ingest)
    TinyImap.messages = {1: eml_bytes(subject="poison"), 2: eml_bytes(subject="after [RING-0042]")}
    TinyImap.flags = {}
    url = f"imap://poller:pw@127.0.0.1:{imap_server.server_address[1]}/INBOX"
    assert imap_poll(url=url) == 1
    assert TinyImap.seen == {1, 2}
    assert "\\Flagged" in TinyImap.flags[1] and "\\Flagged" not in TinyImap.flags[2]
    assert Communication.objects.filter(request=records_request).count() == 1
