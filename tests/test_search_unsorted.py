"""Unsorted mail is kept and findable: attachments stored and extracted on arrival, filed when assigned."""

import pytest
from django.urls import reverse

from foia.mail import communication_assign, mail_ingest
from foia.models import Document, ExtractionStatus, MessageAttachment
from foia.search import QueryProblem, search
from foia.tasks.documents import extract_document

from .factories import AgencyFactory, RecordsRequestFactory, eml_bytes, pdf_bytes


def unmatched(attachments, subject="Records you asked for"):
    raw = eml_bytes(subject=subject, attachments=[(n, data, "application/pdf") for n, data in attachments])
    return mail_ingest(raw=raw)


def test_an_unmatched_messages_attachment_is_stored_extracted_and_found_by_the_unsorted_filter(db):
    result = unmatched([("mou.pdf", pdf_bytes(["Cover", "Officers shall encourage adoption."]))])
    attachment = result.communication.unsorted_attachments.get()
    assert attachment.filename == "mou.pdf"
    assert extract_document(attachment.document_id) == ExtractionStatus.DONE
    hits = search(query='"encourage adoption"', unsorted=True)
    assert [(hit.source, hit.attachment.filename, hit.page) for hit in hits] == [("unsorted", "mou.pdf", 2)]
    assert hits[0].communication == result.communication
    assert search(query='"encourage adoption"') == []  # not on any request: the normal search leaves it out


def test_the_unsorted_filter_is_exact_only(db):
    with pytest.raises(QueryProblem, match="exact phrase only"):
        search(query="adoption", mode="words", unsorted=True)


def test_a_scan_on_unsorted_mail_waits_for_ocr_until_the_message_is_filed(
    db, alice, django_capture_on_commit_callbacks
):
    result = unmatched([("scan.pdf", pdf_bytes([""]))])
    document = result.communication.unsorted_attachments.get().document
    assert extract_document(document.pk) == ExtractionStatus.NEEDS_OCR
    document.refresh_from_db()
    assert "OCR runs once the message it came on is filed" in document.extraction_error
    records_request = RecordsRequestFactory(owner=alice)
    with django_capture_on_commit_callbacks() as callbacks:
        assert communication_assign(
            communication=result.communication, records_request=records_request, actor=alice
        )
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.PENDING  # queued again, now with OCR
    assert len(callbacks) >= 1


def test_assigning_moves_the_documents_onto_the_request(db, alice):
    result = unmatched([("fee.pdf", pdf_bytes(["Invoice for the search"]))])
    document = result.communication.unsorted_attachments.get().document
    records_request = RecordsRequestFactory(owner=alice)
    communication_assign(communication=result.communication, records_request=records_request, actor=alice)
    assert list(records_request.documents.values_list("document_id", "filename")) == [
        (document.pk, "fee.pdf")
    ]
    assert not MessageAttachment.objects.exists()
    assert Document.objects.count() == 1  # the same stored file, now on the request


def test_unsorted_storage_has_a_quota_and_the_message_is_still_kept(db, settings, alice):
    settings.FOIA_UNSORTED_QUOTA_BYTES = 100
    result = unmatched([("big.pdf", pdf_bytes(["A long response " * 20]))])
    assert [r.name for r in result.rejected] == ["big.pdf"]
    assert "storage for unsorted mail is full" in result.rejected[0].reason
    assert not Document.objects.exists() and result.communication.pk
    records_request = RecordsRequestFactory(owner=alice)
    communication_assign(communication=result.communication, records_request=records_request, actor=alice)
    assert list(records_request.documents.values_list("filename", flat=True)) == ["big.pdf"]


def test_the_assign_list_names_city_state_and_attachments(erin_client, erin):
    RecordsRequestFactory(
        tracking_number="RING-0001",
        agency=AgencyFactory(name="Peoria Police Department", city="Peoria", state="AZ"),
    )
    RecordsRequestFactory(
        tracking_number="RING-0016",
        agency=AgencyFactory(name="Peoria Police Department", city="Peoria", state="IL"),
    )
    unmatched([("mou.pdf", pdf_bytes(["x"]))])
    html = erin_client.get(reverse("mail-unsorted")).content.decode()
    assert "RING-0001 · Peoria Police Department · Peoria, AZ" in html
    assert "RING-0016 · Peoria Police Department · Peoria, IL" in html
    assert "Attachments: mou.pdf" in html


@pytest.fixture
def unsorted_mou(db):
    result = unmatched([("mou.pdf", pdf_bytes(["encourage adoption"]))])
    extract_document(result.communication.unsorted_attachments.get().document_id)
    return {"q": '"encourage adoption"', "unsorted": "on"}


def test_an_editor_searches_unsorted_mail(erin_client, unsorted_mou):
    html = erin_client.get(reverse("search"), unsorted_mou).content.decode()
    assert "mou.pdf" in html and "unsorted" in html


def test_a_reporter_may_not_search_unsorted_mail(alice_client, unsorted_mou):
    refused = alice_client.get(reverse("search"), unsorted_mou).content.decode()
    assert "Only editors can search unsorted mail." in refused and "mou.pdf" not in refused
