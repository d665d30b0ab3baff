"""Incoming mail: every way in ends in one ingestion function that matches, stores once and files."""

import datetime
import email
import email.policy
import socketserver
import threading

import pytest
from django.core.management import CommandError, call_command

from foia.mail import MailError, communication_assign, mail_ingest, reply_notify
from foia.mail_sources import imap_fetched_bytes, imap_poll, mail_import
from foia.models import Communication, Direction, Document, RequestDocument, RequestEvent

from .factories import CommunicationFactory, RecordsRequestFactory, eml_bytes, pdf_bytes


@pytest.fixture
def records_request(db, alice):
    return RecordsRequestFactory(tracking_number="RING-0042", reply_token="abc123tok", owner=alice)


PDF = "application/pdf"


def forwarded_reply(**overrides) -> bytes:
    """A reply a reporter forwarded from her own inbox, with the agency's two PDFs attached."""
    attachments = [
        ("MOU signed.pdf", pdf_bytes(["Memorandum of understanding", "We will encourage adoption"]), PDF),
        ("Talking points.pdf", pdf_bytes(["Talking points: encourage adoption of the app"]), PDF),
    ]
    fields = {
        "subject": "Fwd: Re: [RING-0042] Public records request",
        "to": "jane@newsroom.example",
        "sender": "Jane Reporter <jane@newsroom.example>",
        "body": "---------- Forwarded message ---------\nFrom: clerk@springfield.example\n\nAttached.",
        "attachments": attachments,
    }
    return eml_bytes(**{**fields, **overrides})


def test_a_forwarded_eml_with_two_pdfs_lands_on_the_right_request(records_request, tmp_path):
    RecordsRequestFactory(tracking_number="RING-0043")  # another request that must not get it
    path = tmp_path / "reply.eml"
    path.write_bytes(forwarded_reply())
    call_command("import_mail", str(path))
    communication = Communication.objects.get()
    assert communication.request == records_request
    assert communication.direction == Direction.INCOMING and communication.matched_by == "subject tag"
    assert sorted(records_request.documents.values_list("filename", flat=True)) == [
        "MOU signed.pdf",
        "Talking points.pdf",
    ]
    assert Document.objects.filter(mime_type="application/pdf").count() == 2
    assert RequestDocument.objects.filter(communication=communication).count() == 2
    with communication.raw_message.open("rb") as handle:
        assert handle.read() == path.read_bytes()
    assert RequestEvent.objects.filter(request=records_request, kind="communication").count() == 1


def test_a_reply_to_the_reply_address_is_matched_by_its_token(records_request):
    result = mail_ingest(raw=eml_bytes(to="Records <records+ABC123TOK@newsroom.example>", subject="Hello"))
    assert result.communication.request == records_request and result.matched_by == "reply address"


def test_a_reply_in_a_thread_is_matched_by_in_reply_to(records_request):
    CommunicationFactory(request=records_request, direction=Direction.OUTGOING, message_id="<sent@newsroom>")
    raw = eml_bytes(subject="Re: your letter", headers={"In-Reply-To": "<sent@newsroom>"})
    result = mail_ingest(raw=raw)
    assert result.communication.request == records_request and result.matched_by == "in-reply-to"


def test_a_tracking_number_in_the_forwarded_text_is_enough(records_request):
    body = "Forwarded.\n> Subject: Public records request RING-0042\n> From: clerk@springfield.example"
    result = mail_ingest(raw=eml_bytes(subject="Fwd: see below", body=body))
    assert result.communication.request == records_request and result.matched_by == "forwarded text"


def test_a_message_with_no_matching_request_goes_to_the_unsorted_inbox(records_request):
    raw = eml_bytes(
        subject="Question about your request", attachments=[("a.pdf", pdf_bytes(["x"]), "application/pdf")]
    )
    result = mail_ingest(raw=raw)
    assert result.created and result.communication.request is None
    assert Communication.objects.filter(request__isnull=True).count() == 1
    # Its file is kept and searchable at once, but on no request until a person assigns the message.
    assert Document.objects.count() == 1 and RequestDocument.objects.count() == 0
    assert result.communication.unsorted_attachments.get().filename == "a.pdf"


def test_assigning_an_unsorted_message_files_it_and_its_attachments(records_request, alice):
    raw = eml_bytes(subject="No tag", attachments=[("fee.pdf", pdf_bytes(["Invoice"]), "application/pdf")])
    communication = mail_ingest(raw=raw).communication
    assert communication_assign(communication=communication, records_request=records_request, actor=alice)
    communication.refresh_from_db()
    assert communication.request == records_request and communication.matched_by == "assigned by hand"
    assert list(records_request.documents.values_list("filename", flat=True)) == ["fee.pdf"]
    assert not communication_assign(communication=communication, records_request=records_request, actor=alice)


def test_a_message_entered_by_hand_without_a_raw_copy_can_be_assigned(records_request, alice):
    communication = CommunicationFactory(request=None, subject="Phoned in: records on the way")
    assert communication_assign(communication=communication, records_request=records_request, actor=alice)
    communication.refresh_from_db()
    assert communication.request == records_request
    assert RequestEvent.objects.filter(request=records_request, message__contains="Phoned in").exists()


def test_the_same_message_id_twice_is_stored_once(records_request):
    raw = forwarded_reply(message_id="<once@springfield.example>")
    first, second = mail_ingest(raw=raw), mail_ingest(raw=raw)
    assert first.created and not second.created
    assert second.communication.pk == first.communication.pk
    assert Communication.objects.count() == 1 and RequestDocument.objects.count() == 2


def test_a_message_without_a_message_id_is_still_stored_once(records_request):
    raw = b"From: clerk@springfield.example\r\nSubject: [RING-0042] fee\r\n\r\nThe fee is $20.\r\n"
    assert mail_ingest(raw=raw).created
    assert not mail_ingest(raw=raw).created
    assert Communication.objects.get().message_id.endswith("@generated.foia>")


def test_an_mbox_imports_every_message(records_request):
    one = eml_bytes(subject="[RING-0042] acknowledged")
    two = eml_bytes(subject="unrelated", body="From here on,\n>From the clerk")
    mbox = (
        b"From clerk@x Tue Nov 24 10:00:00 2026\n" + one + b"\nFrom clerk@x Tue Nov 24 11:00:00 2026\n" + two
    )
    results = mail_import(data=mbox, filename="replies.mbox")
    assert [r.communication.request_id for r in results] == [records_request.pk, None]
    assert results[1].communication.body == "From here on,\nFrom the clerk"


def test_a_malformed_mbox_is_refused_with_the_place_and_nothing_is_stored(records_request, tmp_path):
    good = eml_bytes(subject="[RING-0042] fine")
    mbox = (
        b"From a@x Tue Nov 24 10:00:00 2026\n"
        + good
        + b"\nFrom b@x Tue Nov 24 11:00:00 2026\nthis is no email\n"
    )
    with pytest.raises(MailError, match=r"message 2 \(line \d+\)"):
        mail_import(data=mbox, filename="broken.mbox")
    path = tmp_path / "broken.mbox"
    path.write_bytes(mbox)
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_mail", str(path))
    assert Communication.objects.count() == 0 and Document.objects.count() == 0


def test_a_file_that_is_not_an_mbox_at_all_is_refused(db):
    with pytest.raises(MailError, match="line 1 should start with 'From '"):
        mail_import(data=b"%PDF-1.4 not mail", filename="export.mbox")
    with pytest.raises(MailError, match="not an email message"):
        mail_import(data=b"\x00\x01binary", filename="reply.eml")


def test_refused_attachments_are_named_on_the_timeline(records_request):
    raw = eml_bytes(
        subject="[RING-0042] records",
        attachments=[("evil.pdf", b"<html><script>x</script>", "application/pdf")],
    )
    result = mail_ingest(raw=raw)
    assert [r.name for r in result.rejected] == ["evil.pdf"]
    event = RequestEvent.objects.get(request=records_request, kind="communication")
    assert "evil.pdf" in event.message and "HTML" in event.message


def test_the_reporter_is_told_by_email(records_request, mailoutbox):
    communication = mail_ingest(raw=forwarded_reply()).communication
    assert reply_notify(communication=communication)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@newsroom.example"]
    assert "RING-0042" in mailoutbox[0].subject


def test_nobody_is_told_about_an_unowned_request(db, mailoutbox):
    RecordsRequestFactory(tracking_number="RING-0099", owner=None)
    communication = mail_ingest(raw=eml_bytes(subject="[RING-0099] hi")).communication
    assert not reply_notify(communication=communication)
    assert mailoutbox == []


# --- IMAP: a tiny IMAP server on loopback, enough of the protocol for imaplib -------------------------------


class TinyImap(socketserver.StreamRequestHandler):
    messages: dict[int, bytes] = {}
    seen: set[int] = set()
    flags: dict[int, str] = {}

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        self.reply("* OK tiny IMAP ready")
        while line := self.rfile.readline():
            tag, command, *rest = line.decode().strip().split(" ", 2)
            args = rest[0] if rest else ""
            command = command.upper()
            if command == "UID":
                command, _, args = args.partition(" ")
                command = "UID " + command.upper()
            if command == "CAPABILITY":
                self.reply("* CAPABILITY IMAP4rev1")
            elif command == "SELECT":
                self.reply(f"* {len(self.messages)} EXISTS")
            elif command == "UID SEARCH":
                unseen = " ".join(str(uid) for uid in self.messages if uid not in self.seen)
                self.reply(f"* SEARCH {unseen}".rstrip())
            elif command == "UID FETCH":
                uid = int(args.split()[0])
                raw = self.messages[uid]
                self.wfile.write(
                    f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n"
                )
            elif command == "UID STORE":
                uid = int(args.split()[0])
                self.seen.add(uid)
                self.flags[uid] = self.flags.get(uid, "") + args
            elif command == "LOGOUT":
                self.reply("* BYE")
                self.reply(f"{tag} OK done")
                return
            self.reply(f"{tag} OK done")


@pytest.fixture
def imap_server():
    TinyImap.messages, TinyImap.seen, TinyImap.flags = {}, set(), {}
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), TinyImap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_imap_polling_ingests_unseen_messages_and_marks_them_seen(records_request, imap_server):
    TinyImap.messages = {
        1: forwarded_reply(),
        2: eml_bytes(subject="no match"),
        3: b"garbage without headers",
    }
    url = f"imap://poller:s%40cret@127.0.0.1:{imap_server.server_address[1]}/INBOX"
    assert imap_poll(url=url) == 2
    assert TinyImap.seen == {1, 2, 3}
    assert Communication.objects.filter(request=records_request).count() == 1
    assert Communication.objects.filter(request__isnull=True).count() == 1
    assert imap_poll(url=url) == 0  # nothing unseen is left


def test_the_message_is_found_in_an_imap_fetch_response():
    fetched = [(b"1 (UID 7 BODY[] {5}", b"Hello"), b")"]
    assert imap_fetched_bytes(fetched) == b"Hello"
    assert imap_fetched_bytes([b")"]) is None


def test_received_dates_come_from_the_message(records_request):
    communication = mail_ingest(raw=eml_bytes(subject="[RING-0042] hi")).communication
    assert communication.occurred_at == datetime.datetime(2026, 11, 24, 15, 0, tzinfo=datetime.UTC)


def test_a_reply_forwarded_as_an_attachment_is_matched_by_the_inner_message(records_request):
    from email.message import EmailMessage

    inner = eml_bytes(to="records+abc123tok@newsroom.example", subject="Re: your request")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = "jane@newsroom.example", "desk@newsroom.example", "Fwd"
    outer.set_content("See attached.")
    outer.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    result = mail_ingest(raw=outer.as_bytes())
    assert result.communication.request == records_request
    assert result.matched_by == "fwd: reply address"


def test_an_html_only_reply_is_kept_as_readable_text(records_request):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["Subject"] = "clerk@springfield.example", "[RING-0042] Fee"
    message.set_content("<p>The fee is <b>$25</b>.</p><script>evil()</script>", subtype="html")
    communication = mail_ingest(raw=message.as_bytes()).communication
    assert communication.body == "The fee is $25 ."


def test_the_imap_task_does_nothing_unless_configured(db, settings):
    from foia.tasks.documents import poll_imap

    settings.FOIA_IMAP_URL = ""
    assert poll_imap() == 0
