"""Unsorted mail is kept and findable: attachments stored and extracted on arrival, filed when assigned."""

import pytest
from django.urls import reverse

from foia.mail import communication_assign, mail_ingest
from foia.models import Document, ExtractionStatus, MessageAttachment
from foia.search import QueryProblem, search
from foia.tasks.documents import extract_document

from .factories import AgencyFactory, RecordsRequestFactory, eml_bytes, pdf_bytes
from .test_api import token_for


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


# --- Opening a file of unsorted mail (editors: whoever may search unsorted mail) ---------------------------


@pytest.fixture
def unsorted_scan(db):
    """An unmatched message with a 2-page PDF, extracted; the phrase on page 2."""
    result = unmatched([("memo.pdf", pdf_bytes(["Cover letter", "Officers shall encourage\nadoption."]))])
    attachment = result.communication.unsorted_attachments.get()
    extract_document(attachment.document_id)
    return attachment


def test_an_editor_opens_an_unsorted_file_at_the_hits_page_with_the_passage_marked(
    erin_client, unsorted_scan
):
    html = erin_client.get(
        reverse("search"), {"q": '"encourage adoption"', "unsorted": "on"}
    ).content.decode()
    document_id = unsorted_scan.document_id
    text_url = f"/documents/{document_id}/?q=%22encourage+adoption%22&amp;mode=exact&amp;hit=2#page-2"
    assert text_url in html
    assert f"/documents/{document_id}/download/?inline=1#page=2" in html
    detail = erin_client.get(
        reverse("document-detail", args=[document_id]), {"q": '"encourage adoption"', "hit": "2"}
    )
    assert detail.status_code == 200
    page = detail.content.decode()
    assert '<div class="card" id="page-2">' in page and "<mark>encourage\nadoption</mark>" in page
    assert "unsorted" in page and "memo.pdf" in page and unsorted_scan.communication.from_address in page
    assert 'action="/documents/' not in page  # no kind or re-extraction form for a file on no request
    download = erin_client.get(reverse("document-download", args=[document_id]), {"inline": "1"})
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'inline; filename="memo.pdf"'
    assert download["Content-Security-Policy"].startswith("sandbox")


def test_the_message_page_links_its_unsorted_files_for_editors_only(
    erin_client, unsorted_scan, client, alice
):
    url = reverse("communication-detail", args=[unsorted_scan.communication_id])
    document_url = reverse("document-detail", args=[unsorted_scan.document_id])
    assert f'href="{document_url}"' in erin_client.get(url).content.decode()
    client.force_login(alice)
    assert f'href="{document_url}"' not in client.get(url).content.decode()


@pytest.mark.parametrize("who", ["alice", "victor"])
def test_a_reporter_or_viewer_cannot_open_an_unsorted_file(client, request, unsorted_scan, who):
    client.force_login(request.getfixturevalue(who))
    document_id = unsorted_scan.document_id
    assert client.get(reverse("document-detail", args=[document_id])).status_code == 404
    assert client.get(reverse("document-download", args=[document_id])).status_code == 404
    assert client.get(reverse("document-download", args=[document_id]), {"inline": "1"}).status_code == 404


def test_once_filed_the_file_opens_for_whoever_sees_the_request(client, alice, unsorted_scan):
    records_request = RecordsRequestFactory(owner=alice)
    communication_assign(
        communication=unsorted_scan.communication, records_request=records_request, actor=alice
    )
    client.force_login(alice)
    assert client.get(reverse("document-detail", args=[unsorted_scan.document_id])).status_code == 200


# --- The API's unsorted filter -------------------------------------------------------------------------


def test_the_api_searches_unsorted_mail_for_editors(client, erin, unsorted_scan):
    response = client.get(
        "/api/search/", {"q": '"encourage adoption"', "unsorted": "true"}, **token_for(erin)
    )
    assert response.status_code == 200
    (hit,) = response.json()["results"]
    assert (hit["source"], hit["filename"], hit["page"]) == ("unsorted", "memo.pdf", 2)
    assert hit["unsorted_document"] == unsorted_scan.document_id
    assert hit["communication"] == unsorted_scan.communication_id
    assert hit["request"] is None and hit["document"] is None
    assert "encourage adoption" in hit["snippet"]
    plain = client.get("/api/search/", {"q": '"encourage adoption"'}, **token_for(erin))
    assert plain.json()["results"] == []  # not on any request: the plain search leaves it out


@pytest.mark.parametrize("who", ["alice", "victor"])
def test_the_api_refuses_the_unsorted_filter_to_others(client, request, unsorted_scan, who):
    user = request.getfixturevalue(who)
    response = client.get(
        "/api/search/", {"q": '"encourage adoption"', "unsorted": "true"}, **token_for(user)
    )
    assert response.status_code == 403
    assert "Only editors can search unsorted mail." in response.json()["detail"]


def test_the_api_unsorted_filter_is_exact_only_and_says_so(client, erin, unsorted_scan):
    response = client.get(
        "/api/search/", {"q": "adoption", "unsorted": "true", "mode": "words"}, **token_for(erin)
    )
    assert response.status_code == 400 and "exact phrase only" in response.json()["q"][0]


def test_the_schema_documents_the_unsorted_filter(client, erin):
    schema = client.get("/api/schema/", {"format": "json"}, **token_for(erin)).json()
    operation = schema["paths"]["/api/search/"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "unsorted"]
    assert parameter["schema"]["type"] == "boolean" and "Editors only" in parameter["description"]
    assert {"200", "400", "403"} <= set(operation["responses"])
    hit = schema["components"]["schemas"]["SearchHit"]["properties"]
    assert "unsorted (a page of a file of unsorted mail" in hit["source"]["description"]
    assert hit["unsorted_document"]["nullable"] and hit["unsorted_document"]["type"] == "integer"
