"""The search page, the clause finder and the API: any input answered, hits that open at their page."""

import io

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foia.documents import PDF, document_store
from foia.extraction import document_pages_replace
from foia.models import Document, ExtractionStatus

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory, pdf_bytes
from .test_api import token_for


@pytest.fixture
def ring(db):
    campaign = CampaignFactory(slug="ring")
    records_request = RecordsRequestFactory(
        campaign=campaign, agency=AgencyFactory(name="Peoria Police Department", city="Peoria", state="AZ")
    )
    link = document_store(
        fileobj=io.BytesIO(pdf_bytes(["Cover", "x", "Officers shall encourage\nadoption of the app."])),
        name="mou.pdf",
        records_request=records_request,
    ).links[0]
    document_pages_replace(
        document=link.document, texts=["Cover", "x", "Officers shall encourage\nadoption of the app."]
    )
    Document.objects.filter(pk=link.document_id).update(extraction_status=ExtractionStatus.DONE)
    return campaign, records_request, link


def test_a_hit_opens_the_pdf_at_its_page_and_the_text_view_marks_the_passage(victor_client, ring):
    _, _, link = ring
    html = victor_client.get(reverse("search"), {"q": '"encourage adoption"'}).content.decode()
    assert f"/documents/{link.document_id}/download/?inline=1#page=3" in html
    text_url = f"/documents/{link.document_id}/?q=%22encourage+adoption%22&amp;mode=exact&amp;hit=3#page-3"
    assert text_url in html
    detail = victor_client.get(
        reverse("document-detail", args=[link.document_id]), {"q": '"encourage adoption"', "hit": "3"}
    ).content.decode()
    assert "<mark>encourage\nadoption</mark>" in detail
    assert link.document.mime_type == PDF


def test_the_search_page_answers_odd_queries_with_results_or_a_message(victor_client, ring):
    response = victor_client.get(reverse("search"), {"q": "ring or or camera"})
    assert response.status_code == 200
    response = victor_client.get(reverse("search"), {"q": "-adoption"})
    assert response.status_code == 200 and "excluded words alone find nothing" in response.content.decode()
    response = victor_client.get(reverse("search"), {"q": "x" * 600})
    assert response.status_code == 200 and "at most 500 characters" in response.content.decode()


def test_the_clause_finder_page_says_yes_no_or_unknown_with_the_reason(victor_client, ring):
    campaign, _, _ = ring
    RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Quiet PD"))
    html = victor_client.get(
        reverse("clause-finder"), {"campaign": campaign.pk, "phrase": "encourage adoption"}
    ).content.decode()
    assert "Yes" in html and "found in mou.pdf, page 3" in html
    assert "Unknown" in html and "no documents yet" in html
    assert "Peoria, AZ" in html


def test_the_api_clause_finder_carries_answer_and_reason(client, victor, ring):
    campaign, records_request, _ = ring
    response = client.get(
        "/api/clauses/", {"campaign": campaign.pk, "phrase": "encourage adoption"}, **token_for(victor)
    )
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["answer"], row["reason"], row["page"]) == ("yes", "found in mou.pdf, page 3", 3)
    assert row["tracking_number"] == records_request.tracking_number


def test_the_api_says_what_is_wrong_with_a_query(client, victor, ring):
    response = client.get("/api/search/", {"q": "-adoption"}, **token_for(victor))
    assert response.status_code == 400 and "excluded words" in response.json()["q"][0]


ODD = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60) | st.text(
    alphabet=st.sampled_from(list("ab OR or AND NOT NEAR \"'-*:()^\\%_.|\x00")), max_size=40
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=ODD, mode=st.sampled_from(["exact", "words"]))
def test_no_query_string_breaks_the_search_page_or_the_api(victor_client, ring, query, mode):
    page = victor_client.get(reverse("search"), {"q": query, "mode": mode})
    assert page.status_code == 200
    api = victor_client.get("/api/search/", {"q": query, "mode": mode})
    assert api.status_code in (200, 400)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phrase=ODD)
def test_no_phrase_breaks_the_clause_finder(victor_client, ring, phrase):
    campaign, _, _ = ring
    response = victor_client.get(reverse("clause-finder"), {"campaign": campaign.pk, "phrase": phrase})
    assert response.status_code == 200


def test_a_phrase_over_a_page_break_is_marked_on_the_page_where_it_starts(victor_client, ring):
    _, records_request, _ = ring
    link = document_store(
        fileobj=io.BytesIO(b"stand-in for a two-page agreement"),
        name="mou2.txt",
        records_request=records_request,
    ).links[0]
    document_pages_replace(document=link.document, texts=["Officers shall encour-\nage", "adoption by all."])
    Document.objects.filter(pk=link.document_id).update(extraction_status=ExtractionStatus.DONE)
    html = victor_client.get(reverse("search"), {"q": '"encourage adoption"'}).content.decode()
    assert (
        f"/documents/{link.document_id}/?q=%22encourage+adoption%22&amp;mode=exact&amp;hit=1#page-1" in html
    )
    detail = victor_client.get(
        reverse("document-detail", args=[link.document_id]), {"q": '"encourage adoption"', "hit": "1"}
    ).content.decode()
    page_1, page_2 = detail.split('id="page-1"')[1].split('id="page-2"')
    assert "shall <mark>encour-\nage</mark>" in page_1 and "<mark>" not in page_2


def test_a_pdf_opened_from_a_hit_is_inline_sandboxed_and_served_whole(victor_client, ring):
    _, _, link = ring
    response = victor_client.get(reverse("document-download", args=[link.document_id]), {"inline": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="mou.pdf"'
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == link.document.file.open("rb").read()
