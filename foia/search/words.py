"""The "word forms" mode: stemmed full-text search (PostgreSQL english tsvector, SQLite FTS5 porter).

Ranked hits with a highlighted snippet and the page a hit is on; "adoption" also finds "adopted". The
indexes are made by migration 0002_search. Exact phrases are foia.search.exact.
"""

from __future__ import annotations

import datetime
import re

from django.db import connection

from ..models import Communication, RequestDocument
from .hits import START, STOP, SearchHit, filters_sql, hits_load
from .text import QUERY_TOKENS, QUOTES

# On PostgreSQL only this many best-matching rows per source are ranked: ranking every page that contains a
# common word would dominate the query time; the best of these are still shown first.
PG_RANK_WINDOW = 500


def fts5_query(text: str) -> str:
    """A safe FTS5 query from what a person typed: "quoted phrases", words (all required), -word or
    -"a phrase" excluded, OR."""
    terms, negatives = [], []
    for minus, phrase, word in QUERY_TOKENS.findall(text.replace("\x00", "").translate(QUOTES)):
        if word and word.upper() == "OR":
            if terms and terms[-1] != "OR":  # "ring or or camera": one OR, never two in a row
                terms.append("OR")
            continue
        words = re.findall(r"\w+", phrase or word)
        if not words:
            continue
        quoted = '"' + " ".join(words) + '"'
        (negatives if (word or minus).startswith("-") else terms).append(quoted)
    while terms and terms[-1] == "OR":
        terms.pop()
    if not terms:
        return ""
    return " ".join(terms) + "".join(f" NOT {n}" for n in negatives)


def _pg_candidates(where_docs: str) -> str:
    """The matching pages to rank. With filters, the documents allowed come first: checking the pages of one
    campaign's documents beats checking every page that has a common word and then dropping most of them."""
    if not where_docs:
        return f"""pages AS MATERIALIZED (
            SELECT p.id, p.document_id, p.number, p.search_vector FROM foia_documentpage p
            WHERE p.search_vector @@ websearch_to_tsquery('english', %s) LIMIT {PG_RANK_WINDOW}),"""  # noqa: S608
    return f"""allowed AS MATERIALIZED (
            SELECT DISTINCT rd.document_id FROM foia_requestdocument rd
            JOIN foia_recordsrequest r ON r.id = rd.request_id JOIN foia_agency a ON a.id = r.agency_id
            JOIN foia_document d ON d.id = rd.document_id WHERE TRUE {where_docs}),
        pages AS MATERIALIZED (
            SELECT p.id, p.document_id, p.number, p.search_vector FROM allowed
            JOIN foia_documentpage p ON p.document_id = allowed.document_id
            WHERE p.search_vector @@ websearch_to_tsquery('english', %s) LIMIT {PG_RANK_WINDOW}),"""  # noqa: S608


def _pg_sql(where_docs: str, where_comms: str) -> tuple[str, str]:
    headline = f"'StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=12, MaxFragments=2'"
    # The interpolated parts are fixed clauses built by _filters; every value is a query parameter.
    documents = f"""
        WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query),
        {_pg_candidates(where_docs)}
        best AS (
            SELECT rd.id AS link_id, pages.id AS page_id, pages.number,
                   ts_rank(pages.search_vector, q.query) AS rank
            FROM pages CROSS JOIN q JOIN foia_requestdocument rd ON rd.document_id = pages.document_id
            JOIN foia_recordsrequest r ON r.id = rd.request_id JOIN foia_agency a ON a.id = r.agency_id
            JOIN foia_document d ON d.id = rd.document_id
            WHERE TRUE {where_docs}
            ORDER BY rank DESC, pages.id LIMIT %s)
        SELECT best.link_id, best.number, best.rank, ts_headline('english', p.text, q.query, {headline})
        FROM best JOIN foia_documentpage p ON p.id = best.page_id, q ORDER BY best.rank DESC, best.page_id"""  # noqa: S608
    communications = f"""
        WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query),
        best AS (
            SELECT c.id, ts_rank(c.search_vector, q.query) AS rank FROM foia_communication c
            CROSS JOIN q LEFT JOIN foia_recordsrequest r ON r.id = c.request_id
            LEFT JOIN foia_agency a ON a.id = r.agency_id
            WHERE c.search_vector @@ q.query {where_comms}
            ORDER BY rank DESC, c.id LIMIT %s)
        SELECT best.id, best.rank,
               ts_headline('english', c.subject || ' — ' || left(c.body, 100000), q.query, {headline})
        FROM best JOIN foia_communication c ON c.id = best.id, q ORDER BY best.rank DESC, best.id"""  # noqa: S608
    return documents, communications


def _sqlite_sql(where_docs: str, where_comms: str) -> tuple[str, str]:
    # The interpolated parts are fixed clauses built by _filters; every value is a query parameter.
    documents = f"""
        SELECT rd.id, p.number, -bm25(foia_documentpage_fts) AS rank,
               snippet(foia_documentpage_fts, 0, char(2), char(3), '…', 24)
        FROM foia_documentpage_fts JOIN foia_documentpage p ON p.id = foia_documentpage_fts.rowid
        JOIN foia_requestdocument rd ON rd.document_id = p.document_id
        JOIN foia_recordsrequest r ON r.id = rd.request_id JOIN foia_agency a ON a.id = r.agency_id
        JOIN foia_document d ON d.id = rd.document_id
        WHERE foia_documentpage_fts MATCH %s {where_docs}
        ORDER BY rank DESC, p.id LIMIT %s"""  # noqa: S608
    communications = f"""
        SELECT c.id, -bm25(foia_communication_fts, 4.0, 1.0) AS rank,
               snippet(foia_communication_fts, -1, char(2), char(3), '…', 24)
        FROM foia_communication_fts JOIN foia_communication c ON c.id = foia_communication_fts.rowid
        LEFT JOIN foia_recordsrequest r ON r.id = c.request_id LEFT JOIN foia_agency a ON a.id = r.agency_id
        WHERE foia_communication_fts MATCH %s {where_comms}
        ORDER BY rank DESC, c.id LIMIT %s"""  # noqa: S608
    return documents, communications


def words_search(
    *,
    query: str,
    campaign=None,
    agency=None,
    state=None,
    kind=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int = 50,
    sources: tuple[str, ...] = ("document", "communication"),
) -> list[SearchHit]:
    """Ranked hits for `query` (websearch syntax: "a phrase", -not, or) with the given filters."""
    query = (query or "").replace("\x00", "").translate(QUOTES).strip()  # “curly” quotes make a phrase too
    if connection.vendor != "postgresql":
        query = fts5_query(query)
    if not query:
        return []
    common = {"campaign": campaign, "agency": agency, "state": state, "kind": kind}
    dates = {"date_from": date_from, "date_to": date_to}
    where_docs, doc_params = filters_sql(**common, **dates, date_column="rd.added_at", documents=True)
    where_comms, comm_params = filters_sql(**common, **dates, date_column="c.occurred_at", documents=False)
    if connection.vendor == "postgresql":
        documents_sql, communications_sql = _pg_sql(where_docs, where_comms)
        # Order of the placeholders: q, the allowed documents' filters, the candidate pages, best, limit.
        doc_params = [query, *doc_params, query, *doc_params, limit]
    else:
        documents_sql, communications_sql = _sqlite_sql(where_docs, where_comms)
        doc_params = [query, *doc_params, limit]
    hits: list[SearchHit] = []
    with connection.cursor() as cursor:
        if "document" in sources:
            cursor.execute(documents_sql, doc_params)
            for link_id, number, rank, snippet in cursor.fetchall():
                link = RequestDocument(pk=link_id)
                hits.append(SearchHit("document", float(rank), snippet or "", page=number, link=link))
        if "communication" in sources:
            cursor.execute(communications_sql, [query, *comm_params, limit])
            for pk, rank, snippet in cursor.fetchall():
                found = Communication(pk=pk)
                hits.append(SearchHit("communication", float(rank), snippet or "", communication=found))
    hits_load(hits)
    hits.sort(key=lambda hit: -hit.rank)
    return hits[:limit]
