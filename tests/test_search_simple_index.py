"""The unstemmed word index (PostgreSQL, migration 0012) only narrows: whatever the text says between and
around the words, and however long the page, an exact phrase is found where the Python check finds it."""

from django.db import connection

from foia.search import phrase_answers, search
from foia.search.exact import pairs_tsquery, simple_words

from .factories import CampaignFactory, RecordsRequestFactory
from .test_search_exact import add_document


def filenames(query, **kwargs):
    return sorted(hit.link.filename for hit in search(query=query, sources=("document",), **kwargs))


def test_a_term_becomes_index_words_unless_a_hyphen_or_no_letter_makes_the_index_useless():
    assert simple_words("the city's cameras") == "the city s cameras"
    assert simple_words("caf\u00e9 na\u00efve, 2024") == "caf\u00e9 na\u00efve 2024"
    assert simple_words("e-mail") == ""  # "e-mail" also finds "email": the trigram check decides
    assert simple_words("___") == ""


def test_words_glued_by_punctuation_in_the_page_are_still_found(db):
    records_request = RecordsRequestFactory()
    add_document(records_request, ["Cameras shipped by ring.com to officers."], "host.pdf")
    add_document(records_request, ["Officers encourage-adoption weekly."], "compound.pdf")
    add_document(records_request, ["See /portal/neighbors app for 1.5 days."], "path.pdf")
    assert filenames('"shipped by ring"') == ["host.pdf"]
    assert filenames('"officers encourage"') == ["compound.pdf"]
    assert filenames('"neighbors app for 1"') == ["path.pdf"]
    assert filenames('"encourage adoption"') == []  # a hyphen is not a space


def test_stop_words_apostrophes_and_accents_count_in_phrases(db):
    records_request = RecordsRequestFactory()
    add_document(records_request, ["To be or not to be: the City\u2019s caf\u00e9 policy."], "city.pdf")
    add_document(records_request, ["Not to be confused with the cities' cafe policy."], "cities.pdf")
    assert filenames('"to be or not to be"') == ["city.pdf"]
    assert filenames('"the city\'s caf\u00e9"') == ["city.pdf"]
    assert filenames('"the cities\' cafe"') == ["cities.pdf"]
    assert filenames('"not to be"') == ["cities.pdf", "city.pdf"]
    assert filenames('"city cafe"') == []


def test_a_hyphen_in_the_query_still_finds_the_joined_word(db):
    records_request = RecordsRequestFactory()
    add_document(records_request, ["Send it by e-mail."], "hyphen.pdf")
    add_document(records_request, ["Send it by email."], "joined.pdf")
    assert filenames('"by e-mail"') == ["hyphen.pdf", "joined.pdf"]
    assert filenames('"by email"') == ["joined.pdf"]


def test_a_page_too_long_for_the_word_index_is_searched_to_its_end(db):
    campaign = CampaignFactory()
    long_request = RecordsRequestFactory(campaign=campaign)
    short_request = RecordsRequestFactory(campaign=campaign)
    filler = " ".join(f"w{n % 97}" for n in range(20_000))  # 20,000 words, about 80,000 characters
    long_page = f"{filler} the rare closing clause {filler} shall encourage adoption"
    add_document(long_request, [long_page], "long.pdf")
    add_document(short_request, ["the rare closing clause"], "short.pdf")
    if connection.vendor == "postgresql":  # the page is past the tsvector limits: left to the trigram index
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM foia_documentpage WHERE search_simple IS NULL AND length(text) > 16000"
            )
            assert cursor.fetchone()[0] == 1
    assert filenames('"rare closing clause"') == ["long.pdf", "short.pdf"]
    assert filenames('"shall encourage adoption"') == ["long.pdf"]
    answers = phrase_answers(campaign, "shall encourage adoption")
    assert answers[long_request.agency_id].answer == "yes"
    assert answers[short_request.agency_id].answer == "no"


def test_a_phrase_becomes_the_word_pairs_the_pair_index_looks_up():
    assert pairs_tsquery("share ring footage") == "'ring footage' & 'share ring'"
    assert pairs_tsquery("to be or not to be") == "'be or' & 'not to' & 'or not' & 'to be'"
    assert pairs_tsquery("ring") == ""  # one word: the word index alone
    long_word = "x" * 201  # longer words are not in the pair index: their pairs are left out of the query
    assert pairs_tsquery(f"a {long_word} b c") == "'b c'"


def test_word_pairs_narrow_but_only_adjacent_words_in_order_make_the_phrase(db):
    records_request = RecordsRequestFactory()
    add_document(records_request, ["Residents share ring footage with police."], "phrase.pdf")
    # Every word pair of the phrase is here, but never the three words in a row.
    add_document(records_request, ["We share ring cameras; ring footage stays private."], "pairs.pdf")
    add_document(records_request, ["Footage ring share, in reverse order."], "reverse.pdf")
    long_word = "z" * 300  # a word too long for the pair index: the page is stored and still searchable
    add_document(records_request, [f"code {long_word} shared; share ring footage too."], "long-word.pdf")
    add_document(records_request, ["share\nring\n\nfootage on three lines"], "lines.pdf")
    add_document(records_request, ["The last words share ring", "footage on the next page."], "break.pdf")
    assert filenames('"share ring footage"') == ["break.pdf", "lines.pdf", "long-word.pdf", "phrase.pdf"]
    assert filenames(f'"code {long_word} shared"') == ["long-word.pdf"]
    assert filenames('"ring footage"') == [
        "break.pdf",
        "lines.pdf",
        "long-word.pdf",
        "pairs.pdf",
        "phrase.pdf",
    ]
    if connection.vendor == "postgresql":  # the index holds the pairs of the folded text, no positions
        with connection.cursor() as cursor:
            cursor.execute("SELECT foia_word_pairs('the city''s  cameras -- and \u00e9 ring')")
            assert (
                cursor.fetchone()[0]
                == "'and \u00e9' 'cameras and' 'city s' 's cameras' 'the city' '\u00e9 ring'"
            )


def test_a_clause_finder_hit_carries_its_document_request_and_marked_passage(db, django_assert_num_queries):
    campaign = CampaignFactory()
    records_request = RecordsRequestFactory(campaign=campaign)
    pages = ["Cover letter.", "Officers shall encour-\nage adoption of the app. We encourage adoption."]
    add_document(records_request, pages, "mou.pdf")
    hit = phrase_answers(campaign, "encourage adoption")[records_request.agency_id].hit
    with django_assert_num_queries(0):  # everything the page and the exports show is loaded
        assert (hit.page, hit.link.filename, hit.document.mime_type) == (
            2,
            "mou.pdf",
            hit.link.document.mime_type,
        )
        assert hit.agency == records_request.agency and hit.records_request.campaign == campaign
    assert str(hit.snippet).count("<mark>") == 2
    assert "shall <mark>encour- age adoption</mark>" in str(hit.snippet)
