"""Per agency of a campaign: does it have the phrase? yes / no / unknown, with the reason, never a silent No.

`phrase_answers` is the one place this is decided (the clause finder, its exports and the API use it; a
findings matrix can too). Every candidate page is considered: there is no limit that could turn into a No.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count

from ..filetypes import ZIP
from ..models import Agency, Document, DocumentPage, ExtractionStatus, RecordsRequest
from .exact import page_candidates, page_snippet, pages_verify
from .hits import SearchHit, hits_load, snippet_around
from .text import Query, Term, fold

YES, NO, UNKNOWN = "yes", "no", "unknown"
EXACT, WORDS = "exact", "words"
MODES = {EXACT: "Exact phrase", WORDS: "Word forms (stemmed: adopt, adopted, adoption)"}


@dataclass
class Answer:
    """One agency's answer: `answer` is yes / no / unknown; `reason` says why, in a reader's words."""

    agency: Agency
    records_request: RecordsRequest | None
    answer: str
    reason: str
    hit: SearchHit | None = None
    documents_matching: int = 0

    @property
    def found(self) -> bool:
        return self.answer == YES


def phrase_query(phrase: str) -> Query:
    """The whole of what was typed as one phrase (surrounding quotes ignored)."""
    folded = fold(phrase.replace('"', " ").replace("\u201c", " ").replace("\u201d", " ")).strip()
    return Query(groups=[[Term(folded)]]) if folded else Query(problem="Type the phrase to look for.")


def _words_candidates(phrase: str, campaign_id: int):
    """Word forms: every page whose stemmed index has the words in that order (no verification possible)."""
    if connection.vendor == "postgresql":
        condition, params = "p.search_vector @@ phraseto_tsquery('english', %s)", [phrase]
    else:
        from .words import fts5_query

        words = fts5_query(f'"{phrase}"')
        if not words:
            return []
        condition = "p.id IN (SELECT rowid FROM foia_documentpage_fts WHERE foia_documentpage_fts MATCH %s)"
        params = [words]
    sql = f"""SELECT p.id, rd.id, p.document_id, p.number, r.agency_id FROM foia_documentpage p
        JOIN foia_requestdocument rd ON rd.document_id = p.document_id
        JOIN foia_recordsrequest r ON r.id = rd.request_id
        WHERE {condition} AND r.campaign_id = %s ORDER BY p.id DESC"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, campaign_id])
        return cursor.fetchall()


def _first_verified(query: Query, by_agency: dict[int, list[tuple]]) -> dict[int, tuple]:
    """For each agency, its newest candidate page that really has the phrase (rounds of one page each)."""
    found: dict[int, tuple] = {}
    position = dict.fromkeys(by_agency, 0)
    while position:
        trying = {agency_id: by_agency[agency_id][i] for agency_id, i in position.items()}
        good = pages_verify(query, list({row[0] for row in trying.values()}))
        for agency_id, row in trying.items():
            if row[0] in good:
                found[agency_id] = row
                del position[agency_id]
            elif position[agency_id] + 1 < len(by_agency[agency_id]):
                position[agency_id] += 1
            else:
                del position[agency_id]
    return found


def _unknown_reason(statuses: dict[str, int]) -> str:
    """Why an agency without a hit cannot be a No ("" when every document has searchable text)."""
    reasons = []
    for status, words in (
        (ExtractionStatus.NEEDS_OCR, "awaiting OCR"),
        (ExtractionStatus.PENDING, "awaiting text extraction"),
        (ExtractionStatus.FAILED, "whose text extraction failed"),
        (ExtractionStatus.NO_TEXT, "with no readable text (a file type text cannot be taken from)"),
    ):
        if statuses.get(status):
            count = statuses[status]
            reasons.append(f"{count} document{'s' if count != 1 else ''} {words}")
    return "; ".join(reasons)


def _document_statuses(campaign) -> dict[int, dict[str, int]]:
    """Per agency: how many of its documents in the campaign are in each extraction status (zips aside:
    their entries are documents of their own)."""
    rows = (
        Document.objects.filter(links__request__campaign=campaign)
        .exclude(mime_type=ZIP)
        .values("links__request__agency_id", "extraction_status")
        .annotate(n=Count("id", distinct=True))
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        out[row["links__request__agency_id"]][row["extraction_status"]] = row["n"]
    return out


def phrase_answers(campaign, phrase: str, mode: str = EXACT) -> dict[int, Answer]:
    """Every agency of the campaign, answered: {agency id: Answer}."""
    query = phrase_query(phrase)
    if query.problem:
        from .hits import QueryProblem

        raise QueryProblem(query.problem)
    if mode == WORDS:
        candidates = _words_candidates(phrase, campaign.pk)
    else:
        candidates = page_candidates(query, where_docs=" AND r.campaign_id = %s", params=[campaign.pk])
    by_agency: dict[int, list[tuple]] = defaultdict(list)
    for row in candidates:
        by_agency[row[4]].append(row)
    if mode == WORDS:  # the stemmer decided; nothing to verify against the folded text
        best = {agency_id: rows[0] for agency_id, rows in by_agency.items()}
    else:
        best = _first_verified(query, by_agency)
    hits = _best_hits(query, best)
    statuses = _document_statuses(campaign)
    requests = {
        r.agency_id: r for r in RecordsRequest.objects.filter(campaign=campaign).select_related("agency")
    }
    agencies = {r.agency_id: r.agency for r in requests.values()}
    for agency in campaign.agencies.all():
        agencies.setdefault(agency.pk, agency)
    answers = {}
    for agency_id, agency in agencies.items():
        request_ = requests.get(agency_id)
        agency_statuses = statuses.get(agency_id, {})
        total = sum(agency_statuses.values())
        if agency_id in hits:
            matching = len({row[2] for row in by_agency[agency_id]})
            hit = hits[agency_id]
            reason = f"found in {hit.link.filename}, page {hit.page}"
            answers[agency_id] = Answer(agency, request_, YES, reason, hit, matching)
        elif total == 0:
            answers[agency_id] = Answer(agency, request_, UNKNOWN, "no documents yet")
        elif why := _unknown_reason(agency_statuses):
            answers[agency_id] = Answer(agency, request_, UNKNOWN, why)
        else:
            reason = f"none of its {total} document{'s' if total != 1 else ''} contains the phrase"
            answers[agency_id] = Answer(agency, request_, NO, reason)
    return answers


def _best_hits(query: Query, best: dict[int, tuple]) -> dict[int, SearchHit]:
    pages = DocumentPage.objects.in_bulk([row[0] for row in best.values()])
    hits = {}
    for agency_id, (page_id, link_id, _doc, number, _agency) in best.items():
        from ..models import RequestDocument

        page = pages[page_id]
        snippet = page_snippet(query, page)
        if "\x02" not in snippet:  # word forms: the words differ from the phrase; show the page's start
            snippet = snippet_around(page.text, [])
        hits[agency_id] = SearchHit("document", 1.0, snippet, page=number, link=RequestDocument(pk=link_id))
    hits_load(list(hits.values()))
    return hits


ORDER = {YES: 0, UNKNOWN: 1, NO: 2}


def clause_find(*, campaign, phrase: str, mode: str = EXACT) -> list[Answer]:
    """The answers as a list: yes first, then unknown, then no; by state and name within each."""
    if not phrase.strip():
        return []
    answers = phrase_answers(campaign, phrase, mode)
    return sorted(answers.values(), key=lambda a: (ORDER[a.answer], a.agency.state, a.agency.name))
