"""Full-text search and the clause finder, the same behaviour on PostgreSQL and on SQLite (FTS5)."""

import datetime
import io
import uuid

import pytest

from foia.documents import document_store
from foia.extraction import document_extract, document_pages_replace
from foia.models import DocumentKind, ExtractionStatus
from foia.search import QueryProblem, clause_find, fts5_query, search

from .factories import AgencyFactory, CampaignFactory, CommunicationFactory, RecordsRequestFactory, pdf_bytes


def add_document(records_request, pages: list[str], name="doc.pdf", kind=DocumentKind.OTHER):
    """A document on the request with these page texts (stored as text pages, as extraction would)."""
    data = f"stand-in bytes for {name} {uuid.uuid4()}".encode()
    link = document_store(fileobj=io.BytesIO(data), name=name, records_request=records_request).links[0]
    document = link.document
    document_pages_replace(document=document, texts=pages)
    document.kind = kind
    document.extraction_status = ExtractionStatus.DONE
    document.save(update_fields=["kind", "extraction_status"])
    return link


@pytest.fixture
def campaign_with_replies(db):
    campaign = CampaignFactory(slug="ring", tracking_prefix="RING")
    auburn = RecordsRequestFactory(
        campaign=campaign, agency=AgencyFactory(name="Auburn Hills Police", state="MI")
    )
    boston = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Boston Police", state="MA"))
    RecordsRequestFactory(
        campaign=campaign, agency=AgencyFactory(name="Canton Police", state="MI")
    )  # no reply
    add_document(auburn, ["Cover letter", "The Department shall encourage adoption of the Neighbors app."],
                 "mou.pdf", DocumentKind.MOU)  # fmt: skip
    add_document(boston, ["Adoption of new policies was encouraged in general terms."], "policy.pdf",
                 DocumentKind.POLICY)  # fmt: skip
    CommunicationFactory(request=boston, subject="Fee estimate", body="The fee for the search is $40.")
    return campaign, auburn, boston


def test_a_word_finds_the_page_it_is_on_with_a_highlighted_snippet(campaign_with_replies):
    _, auburn, _ = campaign_with_replies
    hits = search(query="Neighbors")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.source == "document" and hit.page == 2
    assert hit.records_request == auburn and hit.agency.name == "Auburn Hills Police"
    assert "<mark>Neighbors</mark>" in hit.snippet


def test_a_phrase_matches_only_the_words_in_that_order(campaign_with_replies):
    hits = search(query='"encourage adoption"')
    assert [hit.link.filename for hit in hits] == ["mou.pdf"]
    exact_words = search(query="encourage adoption")  # both words on the page, as written
    assert [hit.link.filename for hit in exact_words] == ["mou.pdf"]
    forms = search(query="encourage adoption", mode="words")  # word forms: "encouraged" counts
    assert sorted(hit.link.filename for hit in forms) == ["mou.pdf", "policy.pdf"]


def test_communications_are_searched_too(campaign_with_replies):
    hits = search(query="fee")
    assert [hit.source for hit in hits] == ["communication"]
    assert hits[0].communication.subject == "Fee estimate"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "MA"}, ["policy.pdf"]),
        ({"kind": DocumentKind.MOU}, ["mou.pdf"]),
        ({"date_from": datetime.date(2000, 1, 1)}, ["mou.pdf", "policy.pdf"]),
        ({"date_to": datetime.date(2000, 1, 1)}, []),
    ],
)
def test_filters_narrow_the_hits(campaign_with_replies, filters, expected):
    hits = search(query="adoption", **filters)
    assert sorted(hit.link.filename for hit in hits if hit.link) == expected


def test_filters_by_campaign_and_agency(campaign_with_replies):
    campaign, auburn, _ = campaign_with_replies
    other = RecordsRequestFactory()
    add_document(other, ["We encourage adoption elsewhere."], "other.pdf")
    assert len(search(query="adoption")) == 3
    assert len(search(query="adoption", campaign=campaign)) == 2
    assert [h.link.filename for h in search(query="adoption", agency=auburn.agency)] == ["mou.pdf"]


def test_text_from_documents_is_escaped_in_snippets(db):
    add_document(
        RecordsRequestFactory(), ["<script>alert('x')</script> contract terms: fees < 5 & waived"], "x"
    )
    hit = search(query="contract")[0]
    assert "<script>" not in hit.snippet and "<mark>contract</mark>" in hit.snippet
    assert "&lt; 5 &amp; waived" in hit.snippet


def test_odd_queries_give_results_or_a_clear_message(campaign_with_replies):
    for query in [
        '"',
        "AND",
        "OR OR",
        "-adoption",
        'NEAR(a b) "unclosed',
        "*",
        "a:b",
        "''",
        "   ",
        "ring or or camera",
    ]:
        for mode in ("exact", "words"):
            try:
                search(query=query, mode=mode)
            except QueryProblem as exc:
                assert str(exc)


def test_the_clause_finder_lists_every_agency_with_or_without_the_phrase(campaign_with_replies):
    campaign, auburn, boston = campaign_with_replies
    rows = clause_find(campaign=campaign, phrase="encourage adoption")
    by_agency = {row.agency.name: row for row in rows}
    assert set(by_agency) == {"Auburn Hills Police", "Boston Police", "Canton Police"}
    found = by_agency["Auburn Hills Police"]
    assert found.answer == "yes" and found.hit.page == 2 and found.documents_matching == 1
    assert "<mark>encourage adoption</mark>" in found.hit.snippet
    assert (by_agency["Boston Police"].answer, by_agency["Boston Police"].reason) == (
        "no",
        "none of its 1 document contains the phrase",
    )
    assert (by_agency["Canton Police"].answer, by_agency["Canton Police"].reason) == (
        "unknown",
        "no documents yet",
    )
    assert rows[0].agency.name == "Auburn Hills Police"  # found first


def test_extracted_pdf_pages_are_searchable(db):
    records_request = RecordsRequestFactory()
    link = document_store(
        fileobj=io.BytesIO(pdf_bytes(["Intro", "officers should encourage adoption"])),
        name="scan.pdf",
        records_request=records_request,
    ).links[0]
    document_extract(document=link.document)
    hits = search(query='"encourage adoption"')
    assert [(hit.link.filename, hit.page) for hit in hits] == [("scan.pdf", 2)]


def test_a_document_removed_from_the_index_with_its_pages(db):
    link = add_document(RecordsRequestFactory(), ["unique zebra word"], "z.txt")
    assert search(query="zebra")
    link.document.pages.all().delete()
    assert search(query="zebra") == []


def test_typed_queries_become_safe_fts5_queries():
    assert fts5_query('"encourage adoption" ring') == '"encourage adoption" "ring"'
    assert fts5_query("ring -invoice") == '"ring" NOT "invoice"'
    assert fts5_query("ring or amazon") == '"ring" OR "amazon"'
    assert fts5_query("ring or or camera") == '"ring" OR "camera"'
    assert fts5_query("or ring or") == '"ring"'
    assert fts5_query('" * : ') == ""
    assert fts5_query('ring -"encourage adoption"') == '"ring" NOT "encourage adoption"'
    assert fts5_query('-"a b" or c') == '"c" NOT "a b"'
    assert fts5_query("ring -“encourage adoption”") == '"ring" NOT "encourage adoption"'
