"""The documents pages: uploads, downloads, the unsorted inbox, the webhook, search and recording outcomes."""

import hashlib
import hmac
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from foia.documents import document_store
from foia.mail import mail_ingest
from foia.models import Communication, Document, DocumentKind, DocumentPage, RequestEvent, Status

from .factories import CommunicationFactory, LawFactory, RecordsRequestFactory, eml_bytes, pdf_bytes

SECRET = "webhook-test-secret"


@pytest.fixture
def alices_request(alice):
    return RecordsRequestFactory(tracking_number="RING-0042", owner=alice, status=Status.SENT)


def upload(client, records_request, *files):
    return client.post(
        reverse("document-upload", args=[records_request.pk]), {"files": list(files)}, follow=True
    )


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_reporter_uploads_several_files_at_once(alice_client, alices_request):
    response = upload(
        alice_client,
        alices_request,
        SimpleUploadedFile("mou.pdf", pdf_bytes(["MOU"])),
        SimpleUploadedFile("notes.txt", b"talking points"),
    )
    assert response.status_code == 200
    assert sorted(alices_request.documents.values_list("filename", flat=True)) == ["mou.pdf", "notes.txt"]
    assert "2 files added to RING-0042." in texts(response)


def test_an_html_file_renamed_pdf_is_refused_with_the_reason(alice_client, alices_request):
    response = upload(
        alice_client, alices_request, SimpleUploadedFile("contract.pdf", b"<html><body>hi</body></html>")
    )
    assert Document.objects.count() == 0
    assert any("contract.pdf" in text and "HTML" in text for text in texts(response))


def test_a_traversal_name_is_shown_cleaned(alice_client, alices_request):
    upload(alice_client, alices_request, SimpleUploadedFile("../../etc/passwd", b"root:x:0:0"))
    assert alices_request.documents.get().filename == "passwd"
    assert "passwd" not in Document.objects.get().file.name


def test_an_upload_over_the_limit_is_skipped_while_streaming(alice_client, alices_request, settings):
    settings.FOIA_MAX_UPLOAD_BYTES = 4096
    response = upload(
        alice_client,
        alices_request,
        SimpleUploadedFile("big.pdf", b"%PDF-1.4 " + b"x" * 20_000),
        SimpleUploadedFile("small.txt", b"a small file"),
    )
    assert list(alices_request.documents.values_list("filename", flat=True)) == ["small.txt"]
    assert any("big.pdf" in text and "larger than the limit" in text for text in texts(response))


def test_only_the_owner_or_an_editor_may_upload(client, bob, victor, erin, alices_request):
    for person, status in ((victor, 403), (bob, 403), (erin, 302)):
        client.force_login(person)
        files = {"files": [SimpleUploadedFile("a.txt", person.username.encode())]}
        response = client.post(reverse("document-upload", args=[alices_request.pk]), files)
        assert response.status_code == status, person
    assert alices_request.documents.count() == 1


@pytest.fixture
def stored_pdf(alices_request):
    return document_store(
        fileobj=io.BytesIO(pdf_bytes(["MOU"])), name="mou.pdf", records_request=alices_request
    )


def test_downloads_are_attachments_with_nosniff_and_a_sandbox(victor_client, stored_pdf):
    document = stored_pdf.links[0].document
    response = victor_client.get(reverse("document-download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == pdf_bytes(["MOU"])


def test_a_pdf_may_be_viewed_inline_but_text_never(victor_client, stored_pdf, alices_request):
    pdf = stored_pdf.links[0].document
    response = victor_client.get(reverse("document-download", args=[pdf.pk]) + "?inline=1")
    assert (
        response["Content-Disposition"].startswith("inline") and response["Content-Type"] == "application/pdf"
    )
    text = document_store(fileobj=io.BytesIO(b"plain"), name="a.txt", records_request=alices_request).links[0]
    response = victor_client.get(reverse("document-download", args=[text.document_id]) + "?inline=1")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"


def test_downloads_need_a_login(client, stored_pdf):
    response = client.get(reverse("document-download", args=[stored_pdf.links[0].document_id]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_document_list_filters_and_keeps_its_query_count(
    victor_client, stored_pdf, django_assert_max_num_queries
):
    document = stored_pdf.links[0].document
    document.kind = DocumentKind.MOU
    document.save()
    # session + user, campaigns and agencies for the filters, count and page of links
    with django_assert_max_num_queries(8):
        response = victor_client.get(reverse("document-list"), {"kind": "mou"})
    assert "mou.pdf" in response.content.decode()
    response = victor_client.get(reverse("document-list"), {"kind": "contract"})
    assert "No documents match" in response.content.decode()


def test_a_person_sets_the_kind_but_a_viewer_may_not(alice_client, victor, stored_pdf):
    victor_client = Client()
    victor_client.force_login(victor)
    document = stored_pdf.links[0].document
    assert (
        victor_client.post(reverse("document-kind", args=[document.pk]), {"kind": "mou"}).status_code == 403
    )
    alice_client.post(reverse("document-kind", args=[document.pk]), {"kind": "mou"})
    document.refresh_from_db()
    assert document.kind == DocumentKind.MOU


def test_the_document_page_shows_text_per_page(victor_client, stored_pdf):
    document = stored_pdf.links[0].document
    DocumentPage.objects.create(document=document, number=1, text="Memorandum text")
    response = victor_client.get(reverse("document-detail", args=[document.pk]))
    assert "Memorandum text" in response.content.decode() and "Page 1" in response.content.decode()


# --- The inbound webhook ----------------------------------------------------------------------------------


def signed_post(client, raw: bytes, secret=SECRET):
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        reverse("inbound-email"), raw, content_type="message/rfc822", HTTP_X_SIGNATURE=signature
    )


def test_the_webhook_stores_a_signed_message_without_a_login_or_csrf(settings, alices_request):
    settings.FOIA_INBOUND_SECRET = SECRET
    client = Client(enforce_csrf_checks=True)
    raw = eml_bytes(subject="[RING-0042] Your request", message_id="<hook@x>")
    response = signed_post(client, raw)
    assert response.status_code == 201 and b"RING-0042" in response.content
    assert signed_post(client, raw).status_code == 200  # the same message again: stored once
    assert Communication.objects.get().request == alices_request


def test_the_webhook_refuses_a_bad_signature(settings, db):
    settings.FOIA_INBOUND_SECRET = SECRET
    response = signed_post(Client(), eml_bytes(), secret="wrong")
    assert response.status_code == 403
    unsigned = Client().post(reverse("inbound-email"), eml_bytes(), content_type="message/rfc822")
    assert unsigned.status_code == 403
    assert Communication.objects.count() == 0


def test_the_webhook_refuses_everything_while_no_secret_is_set(settings, db):
    settings.FOIA_INBOUND_SECRET = ""
    assert signed_post(Client(), eml_bytes(), secret="").status_code == 403
    assert Communication.objects.count() == 0


def test_the_webhook_answers_400_for_something_that_is_not_mail(settings, db):
    settings.FOIA_INBOUND_SECRET = SECRET
    assert signed_post(Client(), b"\x00\x01 not mail").status_code == 400


# --- Unsorted inbox and the forwarded-reply upload --------------------------------------------------------


def test_unsorted_messages_are_listed_and_assigned(alice_client, victor, alices_request):
    victor_client = Client()
    victor_client.force_login(victor)
    communication = mail_ingest(raw=eml_bytes(subject="Who is this for?")).communication
    assert "Who is this for?" in victor_client.get(reverse("mail-unsorted")).content.decode()
    url = reverse("mail-assign", args=[communication.pk])
    assert victor_client.post(url, {"records_request": alices_request.pk}).status_code == 403
    alice_client.post(url, {"records_request": alices_request.pk})
    communication.refresh_from_db()
    assert communication.request == alices_request


def test_a_forwarded_reply_is_uploaded_as_eml(alice_client, alices_request):
    raw = eml_bytes(
        subject="Fwd: [RING-0042] records", attachments=[("a.pdf", pdf_bytes(["A"]), "application/pdf")]
    )
    response = alice_client.post(
        reverse("mail-upload"), {"file": SimpleUploadedFile("reply.eml", raw)}, follow=True
    )
    assert any("1 filed on requests" in text for text in texts(response))
    assert alices_request.documents.get().filename == "a.pdf"


def test_a_malformed_mbox_upload_stores_nothing(alice_client, alices_request):
    data = (
        b"From a@x Tue Nov 24 10:00:00 2026\n"
        + eml_bytes(subject="[RING-0042]")
        + b"\n\nFrom b@x Mon Nov 23 1\n"
    )
    response = alice_client.post(
        reverse("mail-upload"), {"file": SimpleUploadedFile("x.mbox", data)}, follow=True
    )
    assert any(text.startswith("Nothing imported") and "message 2" in text for text in texts(response))
    assert Communication.objects.count() == 0


def test_a_viewer_cannot_upload_mail(victor_client):
    assert victor_client.get(reverse("mail-upload")).status_code == 403


# --- Search pages -----------------------------------------------------------------------------------------


@pytest.fixture
def searchable(alices_request):
    link = document_store(
        fileobj=io.BytesIO(b"stand-in"), name="mou.pdf", records_request=alices_request
    ).links[0]
    DocumentPage.objects.create(document=link.document, number=3, text="Officers shall encourage adoption.")
    return alices_request


def test_the_search_page_shows_highlighted_hits(victor_client, searchable):
    response = victor_client.get(reverse("search"), {"q": '"encourage adoption"'})
    html = response.content.decode()
    assert "<mark>encourage" in html and "page 3" in html and "RING-0042" in html


def test_the_clause_finder_exports_csv(victor_client, searchable):
    other = RecordsRequestFactory(campaign=searchable.campaign)
    params = {"campaign": searchable.campaign.pk, "phrase": "encourage adoption"}
    page = victor_client.get(reverse("clause-finder"), params).content.decode()
    assert other.agency.name in page
    response = victor_client.get(reverse("clause-finder"), {**params, "format": "csv"})
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("agency,city,state,tracking_number,answer,reason,documents")
    found = next(line for line in lines if "RING-0042" in line)
    assert ',yes,"found in mou.pdf, page 3",1,mou.pdf,3,' in found
    # An agency that sent nothing is not a "no": we cannot tell yet.
    assert any(other.tracking_number in line and ",unknown,no documents yet," in line for line in lines)
    exported = victor_client.get(reverse("clause-finder"), {**params, "format": "json"}).json()
    answers = {row["tracking_number"]: (row["answer"], row["reason"]) for row in exported["results"]}
    assert answers[other.tracking_number] == ("unknown", "no documents yet")
    assert answers["RING-0042"][0] == "yes"


# --- Recording the outcome --------------------------------------------------------------------------------


def test_recording_payment_required_with_the_amount(alice_client, alices_request):
    LawFactory(jurisdiction=alices_request.agency.state)
    url = reverse("record-outcome", args=[alices_request.pk])
    alice_client.post(url, {"status": Status.PAYMENT_REQUIRED, "fee_amount": "25.00"})
    alices_request.refresh_from_db()
    assert alices_request.status == Status.PAYMENT_REQUIRED and alices_request.fee_amount == Decimal("25.00")


def test_a_rejection_needs_its_exemptions(alice_client, alices_request):
    url = reverse("record-outcome", args=[alices_request.pk])
    response = alice_client.post(url, {"status": Status.REJECTED}, follow=True)
    assert any("exemptions" in text for text in texts(response))
    alice_client.post(url, {"status": Status.REJECTED, "exemptions": "MCL 15.243(1)(b)"})
    alices_request.refresh_from_db()
    assert alices_request.status == Status.REJECTED and alices_request.exemptions_cited == "MCL 15.243(1)(b)"
    assert RequestEvent.objects.filter(request=alices_request, kind="status").exists()


def test_a_viewer_cannot_record_an_outcome(victor_client, alices_request):
    url = reverse("record-outcome", args=[alices_request.pk])
    assert victor_client.post(url, {"status": Status.COMPLETED}).status_code == 403
    alices_request.refresh_from_db()
    assert alices_request.status == Status.SENT


def add_replies(records_request, count):
    for number in range(count):
        name = f"reply-{records_request.pk}-{number}.pdf"
        document_store(fileobj=io.BytesIO(pdf_bytes([name])), name=name, records_request=records_request)
        CommunicationFactory(request=records_request, subject=f"Re: records {number}")


def test_the_request_page_loads_what_it_shows_in_a_fixed_number_of_queries(
    alice_client, alices_request, stored_pdf, django_assert_num_queries
):
    LawFactory(jurisdiction=alices_request.agency.state)
    url = reverse("request-detail", args=[alices_request.pk])
    for replies in (2, 5):
        add_replies(alices_request, replies)
        # session, user; the request with agency, campaign and owner; the law and its closed days (letter
        # panel); the letter's send; the documents with their files; the messages; the timeline; the
        # request's appeals (appeal panel)
        with django_assert_num_queries(10):
            response = alice_client.get(url)
    page = response.content.decode()
    assert "mou.pdf" in page and "reply-" in page and alices_request.reply_address in page
    assert "Record the outcome" in page
    assert page.count("Re: records") == 2 * 7  # each reply listed, and offered as the outcome's source


def test_unsorted_inbox_query_count_is_fixed(alice_client, alices_request, django_assert_max_num_queries):
    for number in range(5):
        mail_ingest(raw=eml_bytes(subject=f"Unmatched {number}"))
    # session + user, count and page of messages, the requests to assign to
    with django_assert_max_num_queries(6):
        html = alice_client.get(reverse("mail-unsorted")).content.decode()
    assert html.count("Unmatched") == 5 and "RING-0042" in html


def test_the_search_page_keeps_its_query_count(victor_client, searchable, django_assert_max_num_queries):
    # session + user, form choices (campaigns, agencies), the two searches, the hits loaded in two queries
    with django_assert_max_num_queries(9):
        victor_client.get(reverse("search"), {"q": "adoption"})
