"""Exact phrases are exact on both databases; the clause finder answers every agency: yes, no or unknown."""

import io
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foia.documents import document_store
from foia.extraction import document_pages_replace
from foia.models import ExtractionStatus
from foia.search import QueryProblem, phrase_answers, search
from foia.search.text import fold, fold_map, pages_search_text, query_matches, query_parse

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory


def add_document(records_request, pages, name="doc.pdf", status=ExtractionStatus.DONE):
    data = f"stand-in bytes for {name} {uuid.uuid4()}".encode()
    link = document_store(fileobj=io.BytesIO(data), name=name, records_request=records_request).links[0]
    document_pages_replace(document=link.document, texts=pages)
    link.document.extraction_status = status
    link.document.save(update_fields=["extraction_status"])
    return link


def filenames(query, **kwargs):
    return sorted(hit.link.filename for hit in search(query=query, sources=("document",), **kwargs))


def test_folding_makes_case_quotes_and_layout_equal_but_keeps_the_words():
    assert fold("The City\u2019s\n  MOU") == "the city's mou"
    assert fold("we encour-\nage adop-\n  tion") == "we encourage adoption"
    assert fold("self-driving cars") == "self-driving cars"


def test_a_phrase_over_a_page_break_belongs_to_the_page_where_it_starts():
    pages = pages_search_text(["we shall encourage", "adoption of the app", "nothing"])
    query = query_parse('"encourage adoption"')
    assert query_matches(query, *pages[0])
    assert not query_matches(query, *pages[1])
    # A phrase wholly on page 2 is found there, not on page 1 (whose tail also holds it).
    query = query_parse('"of the app"')
    assert not query_matches(query, *pages[0]) and query_matches(query, *pages[1])


@pytest.fixture
def library(db):
    records_request = RecordsRequestFactory()
    add_document(records_request, ["This Memorandum of Understanding binds the parties."], "singular.pdf")
    add_document(records_request, ["Both Memorandums of Understanding expired."], "plural.pdf")
    add_document(records_request, ["The City\u2019s cameras and the City Council."], "curly.pdf")
    add_document(records_request, ["Officers shall encour-\nage adoption of the app."], "hyphen.pdf")
    add_document(records_request, ["The Department shall encourage", "adoption by residents."], "break.pdf")
    add_document(records_request, ["During the bring-up the ringing stopped."], "ringing.pdf")
    return records_request


def test_exact_phrases_do_not_stem(library):
    assert filenames('"Memorandum of Understanding"') == ["singular.pdf"]
    assert filenames('"memorandums of understanding"') == ["plural.pdf"]


def test_stop_words_and_apostrophes_count(library):
    assert filenames('"City\'s"') == ["curly.pdf"]
    assert filenames('"the city\'s cameras"') == ["curly.pdf"]
    assert filenames('"city council"') == ["curly.pdf"]


def test_line_end_hyphenation_and_page_breaks_do_not_hide_a_phrase(library):
    assert filenames('"encourage adoption"') == ["break.pdf", "hyphen.pdf"]
    pages = {hit.link.filename: hit.page for hit in search(query='"encourage adoption"')}
    assert pages["break.pdf"] == 1
    stored = library.documents.get(filename="hyphen.pdf").document.pages.get()
    assert stored.text == "Officers shall encour-\nage adoption of the app."  # the page text stays faithful


def test_a_word_is_matched_whole_not_inside_other_words(library):
    assert filenames("ring") == []
    assert filenames("ringing") == ["ringing.pdf"]


def test_word_forms_mode_does_stem(library):
    assert "plural.pdf" in filenames('"memorandum of understanding"', mode="words")


def test_the_hit_snippet_marks_the_passage_in_the_faithful_text(library):
    hit = search(query='"encourage adoption"', agency=library.agency, sources=("document",))
    snippets = {h.link.filename: str(h.snippet) for h in hit}
    assert "<mark>encour- age adoption</mark>" in snippets["hyphen.pdf"]
    assert "shall <mark>encourage</mark>" in snippets["break.pdf"]  # the part on the page where it starts


def make_campaign(agencies: int, with_phrase: int):
    campaign = CampaignFactory()
    for index in range(agencies):
        records_request = RecordsRequestFactory(
            campaign=campaign, agency=AgencyFactory(name=f"Agency {index:04d}")
        )
        text = (
            "The agency shall encourage adoption of the app." if index < with_phrase else "Nothing relevant."
        )
        add_document(records_request, ["Cover page", text], f"doc{index}.pdf")
    return campaign


def test_every_agency_is_answered_whatever_the_number_of_matching_pages(db):
    campaign = make_campaign(60, 45)
    answers = phrase_answers(campaign, "encourage adoption")
    assert len(answers) == 60
    assert sum(a.answer == "yes" for a in answers.values()) == 45
    assert sum(a.answer == "no" for a in answers.values()) == 15


def test_agencies_whose_documents_are_not_all_readable_are_unknown_with_the_reason(db):
    campaign = CampaignFactory()
    scans = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Scans"))
    add_document(scans, ["Cover letter"], "cover.pdf")
    add_document(scans, [""], "scan1.pdf", status=ExtractionStatus.NEEDS_OCR)
    add_document(scans, [""], "scan2.pdf", status=ExtractionStatus.NEEDS_OCR)
    broken = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Broken"))
    add_document(broken, [], "broken.pdf", status=ExtractionStatus.FAILED)
    found = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Found"))
    add_document(found, ["encourage adoption"], "yes.pdf")
    add_document(found, [""], "scan3.pdf", status=ExtractionStatus.NEEDS_OCR)
    answers = {a.agency.name: a for a in phrase_answers(campaign, "encourage adoption").values()}
    assert (answers["Scans"].answer, answers["Scans"].reason) == ("unknown", "2 documents awaiting OCR")
    assert (answers["Broken"].answer, answers["Broken"].reason) == (
        "unknown",
        "1 document whose text extraction failed",
    )
    assert answers["Found"].answer == "yes"  # a hit is a yes whatever else is still waiting


def test_a_long_page_is_searched_to_its_end(db):
    campaign = CampaignFactory()
    records_request = RecordsRequestFactory(campaign=campaign)
    filler = " ".join(f"word{n}" for n in range(60_000))  # past PostgreSQL's 16,383 tsvector positions
    add_document(records_request, [filler + " the rare closing clause"], "long.txt")
    answers = phrase_answers(campaign, "rare closing clause")
    assert answers[records_request.agency_id].answer == "yes"


QUERY_TEXT = st.text(
    alphabet=st.sampled_from(
        list("abc OR or AND NOT NEAR \"'\u2019-*:()^+~\\%_$.[]{}|?\x00\u00e9\u2014\n\t")
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=QUERY_TEXT, mode=st.sampled_from(["exact", "words"]))
def test_any_query_string_gives_results_or_a_clear_message(library, text, mode):
    try:
        search(query=text, mode=mode)
    except QueryProblem as exc:
        assert str(exc)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=QUERY_TEXT)
def test_any_phrase_gives_answers_or_a_clear_message(library, text):
    campaign = library.campaign
    try:
        answers = phrase_answers(campaign, text)
    except QueryProblem as exc:
        assert str(exc)
    else:
        assert set(answers) == {library.agency_id}


def test_an_excluded_phrase_is_one_term_not_two_words():
    query = query_parse('council -"city council" OR -“the mayor” budget')
    assert [[(t.text, t.negative) for t in group] for group in query.groups] == [
        [("council", False), ("city council", True)],
        [("the mayor", True), ("budget", False)],
    ]
    assert query_parse('-"city council"').problem  # an exclusion alone finds nothing: said, not searched


@pytest.fixture
def councils(db):
    records_request = RecordsRequestFactory()
    add_document(records_request, ["The council of the city met on Monday."], "apart.pdf")
    add_document(records_request, ["The City\nCouncil met on Monday."], "together.pdf")
    add_document(records_request, ["The council met; the city council agreed."], "both.pdf")
    return records_request


@pytest.mark.parametrize("mode", ["exact", "words"])
def test_excluding_a_phrase_drops_only_pages_with_the_phrase(councils, mode):
    assert filenames('council -"city council"', mode=mode) == ["apart.pdf"]
    assert filenames("council -“city council”", mode=mode) == ["apart.pdf"]  # curly quotes alike
    if (
        mode == "exact"
    ):  # (PostgreSQL's stemmed phrase counts "of the" as any two words: "council met; the city")
        assert filenames('met -"council of the city"') == ["both.pdf", "together.pdf"]


def test_line_end_rules_join_layout_hyphens_and_keep_real_ones():
    assert fold("encour\u00ad\nage adop\u00adtion") == "encourage adoption"  # soft hyphens: layout
    assert fold("the COVID-\n19 rules, pages 12-\n 15") == "the covid-19 rules, pages 12-15"
    assert fold("self\u2010driving and non\u2011emergency") == "self-driving and non-emergency"
    assert fold("a dash -\nnot a hyphen") == "a dash - not a hyphen"
    text = "the COVID-\n19 rules and self\u2011driving cars"
    folded, where = fold_map(text)
    assert folded == fold(text) and len(where) == len(folded)
    assert text[where[folded.index("19")]] == "1"


def test_a_word_hyphenated_over_a_page_break_follows_the_same_rules():
    pages = pages_search_text(["about COVID-", "19 cases and encour\u00ad", "age adop\u2010", "tion"])
    assert pages[0][0].startswith("about covid-19 cases") and pages[0][1] == len("about covid-")
    assert pages[1][0].startswith("19 cases and encourage adop")
    assert pages[2][0] == "age adoption"
    query = query_parse('"covid-19 cases"')
    assert query_matches(query, *pages[0]) and not query_matches(query, *pages[1])


def test_hyphen_characters_and_real_hyphens_are_found_as_typed(db):
    records_request = RecordsRequestFactory()
    add_document(records_request, ["New COVID-\n19 rules for self\u2011driving cars."], "rules.pdf")
    add_document(records_request, ["Encour\u00ad\nage adoption, said the memo."], "soft.pdf")
    assert filenames('"covid-19 rules"') == ["rules.pdf"]
    assert filenames('"self-driving cars"') == ["rules.pdf"]
    assert filenames('"encourage adoption"') == ["soft.pdf"]
    hit = search(query='"covid-19 rules"', sources=("document",))[0]
    assert "<mark>COVID- 19 rules</mark>" in str(hit.snippet)


def test_ligatures_of_typeset_pdfs_are_spelled_out_and_the_passage_still_marked(db):
    add_document(RecordsRequestFactory(), ["The O\ufb03cers shall \ufb01le the\nreport."], "typeset.pdf")
    assert fold("O\ufb03cers \ufb02ow") == "officers flow"
    assert filenames('"officers shall file"') == ["typeset.pdf"]
    (hit,) = search(query='"officers shall file the report"', sources=("document",))
    assert "<mark>O\ufb03cers shall \ufb01le the report</mark>" in str(hit.snippet)


def test_pages_folded_by_the_earlier_rules_are_refolded_by_the_migration(db):
    import importlib

    from django.apps import apps

    from foia.models import DocumentPage

    records_request = RecordsRequestFactory()
    old = add_document(records_request, ["The o\ufb03cers and COVID-\n19", "rules here"], "old.pdf")
    plain = add_document(records_request, ["Nothing to refold here."], "plain.pdf")
    stale = {"search_text": "the o\ufb03cers and covid- 19 rules here", "search_own_length": 25}
    DocumentPage.objects.filter(document=old.document, number=1).update(**stale)
    untouched = DocumentPage.objects.get(document=plain.document)
    assert filenames('"covid-19 rules"') == [] and filenames('"officers"') == []
    importlib.import_module("foia.migrations.0018_search_refold").refold(apps, None)
    assert filenames('"covid-19 rules"') == ["old.pdf"] and filenames('"officers"') == ["old.pdf"]
    page = DocumentPage.objects.get(document=old.document, number=1)
    assert page.text == "The o\ufb03cers and COVID-\n19"  # the faithful text stays as extracted
    assert DocumentPage.objects.get(document=plain.document).search_text == untouched.search_text
