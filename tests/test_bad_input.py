"""Bad inputs named in issue 14, a section per area: each gets a clear answer and nothing half-stored."""

import hashlib
import hmac
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from foia import mail as mail_module
from foia.documents import FileRejected, document_store
from foia.extraction import html_to_text
from foia.mail import FORWARDED_TEXT_CHARS, mail_ingest
from foia.models import Communication, Document, RecordsRequest, RequestDocument, RequestEvent, Status
from foia.views.mail import inbound_email

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory, eml_bytes
from .test_campaign_views import FORM as CAMPAIGN_FORM

WEBHOOK_SECRET = "bad-input-webhook-secret"


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- Zip bombs: the expansion budget covers every entry and the whole archive ------------------------------


@pytest.fixture
def many_small_bombs() -> bytes:
    """The attack from issue 14: ~240 KB of zip, 201 distinct entries just under 1 MB each (200 MB)."""
    filler = b"\x00" * (1024 * 1024 - 64)
    return zip_of({f"scan{i:03d}.txt": f"page {i}\n".encode() + filler for i in range(201)})


def test_a_small_zip_of_many_highly_compressed_entries_is_refused_and_nothing_is_stored(db, many_small_bombs):
    assert len(many_small_bombs) < 300 * 1024
    records_request = RecordsRequestFactory(tracking_number="RING-0001")
    with pytest.raises(FileRejected) as refused:
        document_store(
            fileobj=io.BytesIO(many_small_bombs), name="records.zip", records_request=records_request
        )
    assert "records.zip" in str(refused.value) and "zip bomb" in str(refused.value)
    assert "nothing from this archive was stored" in str(refused.value)
    assert Document.objects.count() == 0 and RequestDocument.objects.count() == 0


def test_the_same_zip_mailed_with_a_tracking_tag_keeps_the_message_but_stores_no_entry(db, many_small_bombs):
    records_request = RecordsRequestFactory(tracking_number="RING-0001", status=Status.SENT)
    raw = eml_bytes(
        subject="[RING-0001] records", attachments=[("records.zip", many_small_bombs, "application/zip")]
    )
    result = mail_ingest(raw=raw)
    assert result.communication.request == records_request
    assert [rejected.name for rejected in result.rejected] == ["records.zip"]
    assert "zip bomb" in result.rejected[0].reason
    assert Document.objects.count() == 0


def test_one_small_entry_that_expands_too_far_is_refused_even_under_a_megabyte(db):
    entry = b"A" * (900 * 1024)  # compresses about a thousandfold, under the former 1 MB exemption
    with pytest.raises(FileRejected, match="'a.txt' expands to more than 100 times"):
        document_store(
            fileobj=io.BytesIO(zip_of({"a.txt": entry})),
            name="a.zip",
            records_request=RecordsRequestFactory(),
        )
    assert Document.objects.count() == 0


def test_an_ordinary_zip_of_small_text_files_is_still_expanded(db):
    entries = {
        f"note{i}.txt": f"Memo {i}: the contract was signed on March {i}.\n".encode() * 40 for i in range(5)
    }
    result = document_store(
        fileobj=io.BytesIO(zip_of(entries)), name="notes.zip", records_request=RecordsRequestFactory()
    )
    assert len(result.links) == 6 and not result.rejected


# --- Regular expressions on mail and document text: linear or bounded -----------------------------------


def test_the_forwarded_text_matcher_only_reads_the_start_of_a_body(db, monkeypatch):
    seen: list[int] = []
    real = mail_module.TEXT_ADDRESS

    class Spy:
        def findall(self, text):
            seen.append(len(text))
            return real.findall(text)

    monkeypatch.setattr(mail_module, "TEXT_ADDRESS", Spy())
    mail_ingest(raw=eml_bytes(subject="Fwd: hello", body="a" * 2_000_000))
    assert seen and max(seen) <= FORWARDED_TEXT_CHARS


def test_a_forwarded_reply_address_past_the_searched_start_is_not_used(db):
    records_request = RecordsRequestFactory(status=Status.SENT)
    late = "x " * FORWARDED_TEXT_CHARS + f"\nTo: {records_request.reply_address}\n"
    assert mail_ingest(raw=eml_bytes(subject="Fwd: late", body=late)).communication.request is None
    early = f"To: {records_request.reply_address}\n" + "x " * FORWARDED_TEXT_CHARS
    assert (
        mail_ingest(raw=eml_bytes(subject="Fwd: early", body=early)).communication.request == records_request
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 300_000,  # a run of address characters without an @ (the 24-second case)
        "a@" * 150_000,
        ".+-" * 100_000,
    ],
)
def test_hostile_forwarded_text_is_filed_unsorted_without_error(db, hostile):
    result = mail_ingest(raw=eml_bytes(subject="Fwd: ?", body=hostile))
    assert result.created and result.communication.request is None


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<" * 200_000 + "end", "end"),  # unclosed tags: each one used to rescan to the end
        ("<script>" * 50_000 + "gone", ""),  # unclosed scripts drop the rest
        ("<br" * 100_000 + ">kept", "kept"),
        ("<p>Hello<script>x()</script> <b>you</b></p>", "Hello you"),
    ],
)
def test_html_bodies_become_text_in_one_pass_even_when_hostile(markup, text):
    assert html_to_text(markup).replace("<", "").strip().endswith(text)


# --- The inbound webhook: size before reading, signature before parsing, JSON errors ---------------------


def signed(raw: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_the_webhook_refuses_a_content_length_over_the_limit_without_reading_the_body(settings, db):
    settings.FOIA_INBOUND_SECRET = WEBHOOK_SECRET
    settings.FOIA_MAX_UPLOAD_BYTES = 1024 * 1024
    request = RequestFactory().post(
        reverse("inbound-email"), b"x", content_type="message/rfc822", HTTP_X_SIGNATURE=signed(b"x")
    )
    request.META["CONTENT_LENGTH"] = str(49 * 1024 * 1024)
    request._stream = UnreadableBody()
    response = inbound_email(request)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than 1,048,576 bytes" in json.loads(response.content)["error"]


def test_the_webhook_refuses_a_body_longer_than_its_content_length_claims_while_reading(settings, db):
    settings.FOIA_INBOUND_SECRET = WEBHOOK_SECRET
    settings.FOIA_MAX_UPLOAD_BYTES = 4096
    raw = eml_bytes(body="y" * 10_000)
    response = Client().post(
        reverse("inbound-email"), raw, content_type="message/rfc822", HTTP_X_SIGNATURE=signed(raw)
    )
    assert response.status_code == 413 and Communication.objects.count() == 0


def test_the_webhook_never_parses_an_unsigned_body(settings, db, monkeypatch):
    settings.FOIA_INBOUND_SECRET = WEBHOOK_SECRET
    monkeypatch.setattr(
        "foia.views.mail.mail_ingest", lambda **kwargs: pytest.fail("parsed before the signature")
    )
    raw = eml_bytes()
    response = Client().post(
        reverse("inbound-email"), raw, content_type="message/rfc822", HTTP_X_SIGNATURE=signed(raw, "wrong")
    )
    assert response.status_code == 403 and json.loads(response.content) == {"error": "Bad signature."}


def test_a_webhook_error_is_json_never_html(settings, db):
    settings.FOIA_INBOUND_SECRET = WEBHOOK_SECRET
    raw = b"<script>alert(1)</script> not mail"
    response = Client().post(
        reverse("inbound-email"), raw, content_type="message/rfc822", HTTP_X_SIGNATURE=signed(raw)
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "not an email message" in json.loads(response.content)["error"]
    assert response["X-Content-Type-Options"] == "nosniff"  # the quoted bytes are never read as markup


def test_a_webhook_content_length_that_is_not_a_number_is_a_json_400(settings, db):
    settings.FOIA_INBOUND_SECRET = WEBHOOK_SECRET
    request = RequestFactory().post(reverse("inbound-email"), b"x", content_type="message/rfc822")
    request.META["CONTENT_LENGTH"] = "lots"
    request._stream = UnreadableBody()
    response = inbound_email(request)
    assert response.status_code == 400 and "Content-Length" in json.loads(response.content)["error"]


# --- Letter templates: checked on save under limits; no file-reaching tags; bounded letters ------------

CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
# About 320 bytes: 36^4 x records iterations, tens of seconds in a web worker before the check had limits.
NESTED_LOOPS = (
    "".join(f'{{% for {v} in "{CHARS}" %}}' for v in "abcd")
    + "{% for e in records %}{{ e }}{% endfor %}"
    + "{% endfor %}" * 4
)


def form_errors(response) -> str:
    return " ".join(" ".join(errors) for errors in response.context["form"].errors.values())


def test_a_template_with_nested_loops_is_stopped_on_save_with_a_clear_error(alice_client, monkeypatch):
    from foia import letters

    monkeypatch.setattr(letters, "TEMPLATE_CHECK_SECONDS", 1)  # the check stops it, whatever the limit
    data = CAMPAIGN_FORM | {"body_template": NESTED_LOOPS}
    response = alice_client.post(reverse("campaign-create"), data)
    assert response.status_code == 200
    assert "the template was stopped: it took longer than 1 seconds" in form_errors(response)
    from foia.models import Campaign

    assert not Campaign.objects.exists()


def test_a_template_that_would_fill_the_memory_is_stopped_with_a_clear_error():
    from foia.letters import LetterError, template_check

    with pytest.raises(LetterError, match="Body template: .*memory"):
        template_check(source='{{ "x"|ljust:2000000000 }}', field="Body template")


@pytest.mark.parametrize(
    ("source", "tag", "line"),
    [
        ('{% include "../x" %}', "include", 1),
        ('Dear clerk,\n{% include "/etc/passwd" %}', "include", 2),
        ('{% extends "letters/letter.txt" %}', "extends", 1),
        ("Hi\n\n{% debug %}", "debug", 3),
    ],
)
def test_file_reaching_tags_are_refused_with_their_line(alice_client, source, tag, line):
    response = alice_client.post(reverse("campaign-create"), CAMPAIGN_FORM | {"body_template": source})
    assert response.status_code == 200
    assert f"Line {line}: {{% {tag} %}} is not allowed" in form_errors(response)


def test_a_letter_over_the_size_limit_is_refused_with_its_size():
    from foia.letters import LetterError, template_check

    with pytest.raises(
        LetterError, match="the letter would be 200,000 characters long; the limit is 100,000"
    ):
        template_check(source='{{ "x"|ljust:200000 }}', field="Body template")


def test_a_one_megabyte_template_is_refused_with_its_size(alice_client):
    body = "Dear clerk,\n" + "Please send the records. " * 43_000
    response = alice_client.post(reverse("campaign-create"), CAMPAIGN_FORM | {"body_template": body})
    assert "characters long; the limit is 50,000" in form_errors(response)


def test_the_preview_of_a_slow_template_answers_with_the_error(alice_client, alice, monkeypatch):
    from foia import letters

    from .factories import AgencyFactory, CampaignFactory, LawFactory

    monkeypatch.setattr(letters, "TEMPLATE_CHECK_SECONDS", 1)
    LawFactory()
    campaign = CampaignFactory(owner=alice, body_template=NESTED_LOOPS)  # saved before the check existed
    campaign.agencies.add(AgencyFactory())
    response = alice_client.get(reverse("letter-preview", args=[campaign.pk]))
    assert response.status_code == 200
    assert "the template was stopped" in response.context["error"]


def test_generating_with_a_slow_template_saved_earlier_refuses_before_writing_anything(alice, monkeypatch):
    from foia import campaigns, letters

    from .factories import AgencyFactory, CampaignFactory, LawFactory

    monkeypatch.setattr(letters, "TEMPLATE_CHECK_SECONDS", 1)
    LawFactory()
    campaign = CampaignFactory(owner=alice, body_template=NESTED_LOOPS)
    campaign.agencies.add(AgencyFactory())
    with pytest.raises(campaigns.CampaignError) as refused:
        campaigns.campaign_generate_requests(campaign=campaign)
    assert "the template was stopped" in " ".join(refused.value.messages)
    assert not campaign.requests.exists()


def test_a_stored_letter_over_the_limit_fails_on_the_worker_with_its_size(db):
    from foia import campaigns
    from foia.models.request import LetterState

    records_request = RecordsRequestFactory(letter_body="x" * 1_000_000, letter_state=LetterState.QUEUED)
    assert campaigns.letter_generate(records_request_id=records_request.pk) == LetterState.FAILED
    records_request.refresh_from_db()
    assert "1,000,000 characters long; the limit is 100,000" in records_request.letter_error


# --- Web pages: ids and numbers typed into URLs and forms (mail, letters, outcomes) -----------------------


@pytest.fixture
def alices_request(alice):
    return RecordsRequestFactory(tracking_number="RING-0042", owner=alice, status=Status.SENT)


def test_a_letter_preview_for_agency_abc_is_a_400_that_names_the_parameter(alice_client):
    campaign = CampaignFactory()
    campaign.agencies.add(AgencyFactory())
    response = alice_client.get(reverse("letter-preview", args=[campaign.pk]), {"agency": "abc"})
    assert response.status_code == 400
    assert b"agency" in response.content and response["Content-Type"].startswith("text/plain")


def test_a_letter_preview_for_an_agency_id_too_large_for_the_database_is_a_400(alice_client):
    campaign = CampaignFactory()
    campaign.agencies.add(AgencyFactory())
    response = alice_client.get(reverse("letter-preview", args=[campaign.pk]), {"agency": "9" * 30})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["abc", "1e5", "-1", "9" * 30, ""])
def test_assigning_mail_to_records_request_abc_says_what_is_wrong(alice_client, alices_request, value):
    communication = mail_ingest(raw=eml_bytes(subject="Who is this for?")).communication
    response = alice_client.post(
        reverse("mail-assign", args=[communication.pk]), {"records_request": value}, follow=True
    )
    assert response.status_code == 200
    assert "records_request" in response.content.decode()
    assert Communication.objects.get().request_id is None


def test_a_mail_upload_naming_request_abc_is_a_field_error(alice_client, alices_request):
    response = alice_client.post(
        reverse("mail-upload"),
        {"file": SimpleUploadedFile("r.eml", eml_bytes(subject="x")), "records_request": "abc"},
    )
    assert response.status_code == 200 and response.context["form"].errors["records_request"]
    assert Communication.objects.count() == 0


def test_an_outcome_with_fee_amount_1e20_is_a_field_error_and_changes_nothing(alice_client, alices_request):
    url = reverse("record-outcome", args=[alices_request.pk])
    response = alice_client.post(url, {"status": "payment_required", "fee_amount": "1e20"}, follow=True)
    assert response.status_code == 200 and "fee_amount" in response.content.decode()
    alices_request.refresh_from_db()
    assert alices_request.status == Status.SENT and alices_request.fee_amount is None
    assert not RequestEvent.objects.filter(request=alices_request, kind="status").exists()
    assert RecordsRequest.objects.count() == 1


def test_a_status_change_with_fee_amount_1e20_changes_nothing(alice_client, alices_request):
    url = reverse("request-status", args=[alices_request.pk])
    response = alice_client.post(url, {"to_status": "payment_required", "fee_amount": "1e20"}, follow=True)
    assert response.status_code < 500
    alices_request.refresh_from_db()
    assert alices_request.status == Status.SENT and alices_request.fee_amount is None
