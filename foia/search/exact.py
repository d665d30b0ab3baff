"""Exact search: the phrase as written (case, quotes and layout aside), never stemmed, every hit verified.

The database narrows the pages (PostgreSQL: the words of a phrase adjacent in the unstemmed `simple` word
index of migration 0012, or regular expressions served by a pg_trgm index where that index cannot answer -
a hyphen in the phrase, a page too long for a tsvector; SQLite: the FTS5 trigram table, then REGEXP); each
candidate is then checked in Python against the stored text (foia.search.text.query_matches), so what is
shown is what the page says.
"""

from __future__ import annotations

import re

from django.db import connection
from django.utils.safestring import SafeString

from ..models import DocumentPage
from .hits import SearchHit, filters_sql, folded_to_original, hits_load, marked_html, snippet_around
from .text import Query, fold_map, original_pattern, original_spans, query_matches, query_parse

TRIGRAM_TABLE = "foia_documentpage_exact"
BATCH = 500
# What migration 0012 treats as a space in the word index: all but letters and digits that Python's \w also
# counts as word characters, so a phrase Python finds is always a run of adjacent words there.
SIMPLE_SEPARATORS = re.compile("[^0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")


def simple_words(text: str) -> str:
    """A folded term as the words the `simple` index holds, or "" when that index cannot decide it: a hyphen
    in the query also matches the word joined ("e-mail" finds "email"), and a term without such a letter or
    digit has no words there."""
    if "-" in text:
        return ""
    return " ".join(word for word in SIMPLE_SEPARATORS.split(text) if word)


MAX_PAIR_WORD = 200  # longer words are not in the pairs column (migration 0016)


def pairs_tsquery(words: str) -> str:
    """The pair index's query for a phrase's words: every "word next-word" pair ("" for a single word).
    Words hold only letters and digits (SIMPLE_SEPARATORS), so quoting them needs no escaping."""
    split = words.split()
    pairs = {
        f"'{first} {second}'"
        for first, second in zip(split, split[1:], strict=False)
        if len(first) <= MAX_PAIR_WORD and len(second) <= MAX_PAIR_WORD
    }
    return " & ".join(sorted(pairs))


def _term_sql(term) -> tuple[str, list]:
    """The condition for one term on page p, and its parameters."""
    if connection.vendor == "postgresql":
        words = "" if term.negative else simple_words(term.text)
        if not words:  # an excluded term must be exact: a looser match would exclude too much
            return "p.search_text ~ %s", [term.postgres_pattern()]
        # Adjacent words narrow: first the pages with every word pair of the phrase (migration 0016; a
        # phrase of common words is rarely side by side), then the positions in the word index. Pages too
        # long for those indexes (NULL) get the trigram check instead.
        condition = (
            "(p.search_simple @@ phraseto_tsquery('simple', %s)"
            " OR (p.search_simple IS NULL AND p.search_text ~ %s))"
        )
        params = [words, term.postgres_pattern()]
        if pairs := pairs_tsquery(words):  # first the pages holding every word pair (migration 0016)
            condition = f"(p.search_pairs @@ %s::tsquery OR p.search_simple IS NULL) AND {condition}"
            params = [pairs, *params]
        return condition, params
    clause, params = "p.search_text REGEXP %s", [term.python_pattern()]
    chunk = max(term.text.split("-"), key=len)
    if len(chunk) >= 3 and not term.negative:  # the trigram table needs three characters to narrow anything
        fts = '"' + chunk.replace('"', '""') + '"'
        # The table name is a constant; the phrase is a parameter.
        clause = f"p.id IN (SELECT rowid FROM {TRIGRAM_TABLE} WHERE {TRIGRAM_TABLE} MATCH %s) AND " + clause  # noqa: S608
        params = [fts, *params]
    return clause, params


def query_sql(query: Query) -> tuple[str, list]:
    """The WHERE condition on page p for a parsed query (OR of groups, each an AND of terms)."""
    groups, params = [], []
    for group in query.groups:
        parts = []
        for term in group:
            clause, term_params = _term_sql(term)
            parts.append(f"NOT ({clause})" if term.negative else f"({clause})")
            params += term_params
        groups.append("(" + " AND ".join(parts) + ")")
    return "(" + " OR ".join(groups) + ")", params


def page_candidates(
    query: Query, *, where_docs: str = "", params: list | None = None, limit: int | None = None
) -> list[tuple]:
    """(page id, link id, document id, page number, agency id) of pages the database matches: all of them
    (limit None: the clause finder), or the first `limit` found. No ORDER BY on purpose: the database then
    stops reading at the limit, which keeps a common word fast; callers sort what they got."""
    condition, condition_params = query_sql(query)
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    sql = f"""
        SELECT p.id, rd.id, p.document_id, p.number, r.agency_id FROM foia_documentpage p
        JOIN foia_requestdocument rd ON rd.document_id = p.document_id
        JOIN foia_recordsrequest r ON r.id = rd.request_id JOIN foia_agency a ON a.id = r.agency_id
        JOIN foia_document d ON d.id = p.document_id
        WHERE {condition} {where_docs}{cap}"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*condition_params, *(params or [])])
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (-row[0], row[1]))  # newest pages first
    return rows


def pages_verify(query: Query, page_ids: list[int]) -> dict[int, int]:
    """The pages (of these) whose stored folded text really matches, starting on the page itself: {page id:
    where in the folded text the first match starts}. Plain rows, no models: the clause finder checks
    thousands."""
    rows = DocumentPage.objects.filter(pk__in=page_ids).values_list("id", "search_text", "search_own_length")
    good = {}
    for page_id, folded, own_length in rows:
        spans = query_matches(query, folded, own_length)
        if spans:
            good[page_id] = spans[0][0]
    return good


# How far before its folded position a match may start in the faithful text (folding only removes
# characters, save the rare letter whose lower case is longer), and how much after it a snippet shows.
SLACK, SNIPPET_REACH = 64, 900


def page_snippet(query: Query, page: DocumentPage, folded_start: int | None = None) -> str:
    """A passage of the page's faithful text with the matches marked. With `folded_start` (from pages_verify)
    the faithful text is searched from about there, not from its beginning."""
    if folded_start is not None:
        spans = _spans_near(query, page.text, max(0, folded_start - SLACK))
        if spans:
            return snippet_around(page.text, spans)
    return snippet_around(page.text, page_spans(query, page))


def page_spans(query: Query, page: DocumentPage) -> list[tuple[int, int]]:
    """Where the query matches in the page's faithful text; for a phrase that runs on to the next page, the
    part of it on this page (where the hit is reported)."""
    spans = original_spans(query, page.text)
    if not spans:  # a folding the pattern does not know (a ligature): map the folded match back
        folded, where = fold_map(page.text)
        spans = folded_to_original(where, query_matches(query, folded))
    if not spans:
        for start, _end in query_matches(query, page.search_text, page.search_own_length):
            part = page.search_text[start : page.search_own_length].strip()
            found = list(original_pattern(part).finditer(page.text)) if part else []
            if found:
                spans.append(found[-1].span())
    return sorted(set(spans))


def page_text_marked(page: DocumentPage, query_text: str) -> SafeString:
    """The page's whole faithful text as safe HTML, every exact match of the typed query in <mark> (the
    document page's text view, opened from a search hit)."""
    query = query_parse(query_text)
    return marked_html(page.text, [] if query.problem else page_spans(query, page))


def _spans_near(query: Query, text: str, position: int) -> list[tuple[int, int]]:
    """Marks for a snippet starting at the first match at or after `position`, or [] when some term of every
    group is missing from there on (then the caller looks at the whole page)."""
    for group in query.groups:
        patterns = [term.original_pattern() for term in group if not term.negative]
        firsts = [pattern.search(text, position) for pattern in patterns]
        if not all(firsts):
            continue
        first = min(match.start() for match in firsts)
        end = min(len(text), first + SNIPPET_REACH)
        return sorted({m.span() for pattern in patterns for m in pattern.finditer(text, first, end)})
    return []


def exact_document_hits(query: Query, *, where_docs: str, params: list, limit: int) -> list[SearchHit]:
    """Up to `limit` verified hits on document pages, newest pages first."""
    window = limit * 2 + 20  # a few spare: the word index rarely lets through a page that fails the check
    rows = page_candidates(query, where_docs=where_docs, params=params, limit=window)
    hits = _verified(query, rows, limit)
    if len(hits) < limit and len(rows) == window:  # verification dropped many: look at every candidate
        rows = page_candidates(query, where_docs=where_docs, params=params)
        hits = _verified(query, rows, limit)
    return hits


def _verified(query: Query, rows: list[tuple], limit: int) -> list[SearchHit]:
    """The first `limit` candidates that really match, as hits: pages read a little more than a screenful at
    a time (one query each), checked and marked in the same pass."""
    hits: list[SearchHit] = []
    step = limit + 10
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        pages = DocumentPage.objects.only("id", "number", "text", "search_text", "search_own_length").in_bulk(
            [row[0] for row in chunk]
        )
        for page_id, link_id, _document_id, number, _agency_id in chunk:
            page = pages[page_id]
            spans = query_matches(query, page.search_text, page.search_own_length)
            if spans:
                snippet = page_snippet(query, page, spans[0][0])
                hits.append(SearchHit("document", 1.0, snippet, page=number, link=_link(link_id)))
                if len(hits) >= limit:
                    return hits
    return hits


def _link(pk):
    from ..models import RequestDocument

    return RequestDocument(pk=pk)


def exact_communication_hits(query: Query, *, where_comms: str, params: list, limit: int) -> list[SearchHit]:
    """Verified hits in messages (subject and body), newest first."""
    from ..models import Communication

    # Messages are far fewer than pages: a loose case-insensitive scan narrows, Python decides.
    patterns = [_loose(term.text) for term in query.terms if not term.negative]
    operator = "~*" if connection.vendor == "postgresql" else "REGEXP"
    loose = " OR ".join([f"(c.subject || ' ' || c.body) {operator} %s"] * len(patterns))
    if connection.vendor != "postgresql":
        patterns = ["(?i)" + p for p in patterns]
    sql = f"""SELECT c.id FROM foia_communication c LEFT JOIN foia_recordsrequest r ON r.id = c.request_id
        LEFT JOIN foia_agency a ON a.id = r.agency_id WHERE ({loose}) {where_comms}
        ORDER BY c.occurred_at DESC, c.id DESC"""  # noqa: S608
    hits: list[SearchHit] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*patterns, *params])
        ids = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(ids), BATCH):
        chunk = Communication.objects.in_bulk(ids[start : start + BATCH])
        for pk in ids[start : start + BATCH]:
            found = chunk[pk]
            text = f"{found.subject} — {found.body}"
            folded, where = fold_map(text)
            if query_matches(query, folded):
                spans = original_spans(query, text) or folded_to_original(where, query_matches(query, folded))
                snippet = snippet_around(text, spans)
                hits.append(SearchHit("communication", 1.0, snippet, communication=found))
            if len(hits) >= limit:
                return hits
    return hits


def _loose(text: str) -> str:
    """A pattern for the raw (unfolded) text: any whitespace between words, any kind of quote."""
    out = []
    for char in text:
        if char == " ":
            out.append(r"\s+")
        elif char == "'":
            out.append("['\u2018\u2019\u201a\u201b\u2032`\u00b4]")
        elif char == '"':
            out.append('["\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]')
        elif char == "-":
            out.append(r"-?\s*")
        elif re.match(r"\w", char):
            out.append(char)
        else:
            out.append("\\" + char)
    return "".join(out)


def exact_unsorted_hits(query: Query, *, limit: int) -> list[SearchHit]:
    """Verified hits in files of unsorted messages (editors only: the view decides who may ask)."""
    from ..models import MessageAttachment

    condition, params = query_sql(query)
    sql = f"""SELECT p.id, ma.id, p.number FROM foia_documentpage p
        JOIN foia_messageattachment ma ON ma.document_id = p.document_id
        WHERE {condition} ORDER BY p.id DESC, ma.id LIMIT {int(limit * 2 + 50)}"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    good = pages_verify(query, [row[0] for row in rows])
    pages = DocumentPage.objects.in_bulk(list(good))
    attachments = MessageAttachment.objects.select_related("document", "communication").in_bulk(
        [row[1] for row in rows if row[0] in good]
    )
    hits = []
    for page_id, attachment_id, number in rows:
        if page_id in good and len(hits) < limit:
            attachment = attachments[attachment_id]
            hit = SearchHit(
                "unsorted",
                1.0,
                page_snippet(query, pages[page_id], good[page_id]),
                communication=attachment.communication,
                page=number,
            )
            hit.attachment = attachment
            hits.append(hit)
    unsorted_messages = exact_communication_hits(
        query, where_comms=" AND c.request_id IS NULL", params=[], limit=limit
    )
    return hits + unsorted_messages


def exact_search(*, query: Query, common: dict, dates: dict, limit: int, sources) -> list[SearchHit]:
    """Verified exact hits with the given filters, documents then messages."""
    hits: list[SearchHit] = []
    if "document" in sources:
        where_docs, doc_params = filters_sql(**common, **dates, date_column="rd.added_at", documents=True)
        hits += exact_document_hits(query, where_docs=where_docs, params=doc_params, limit=limit)
    if "communication" in sources:
        where_comms, comm_params = filters_sql(
            **common, **dates, date_column="c.occurred_at", documents=False
        )
        hits += exact_communication_hits(query, where_comms=where_comms, params=comm_params, limit=limit)
    hits_load(hits)
    return hits[:limit]
