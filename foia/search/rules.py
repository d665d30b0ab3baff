"""Evidence rules: several exact phrases at once (any of / all of / within N words), answered for every
agency of a campaign (or some of its agencies), with the clause finder's truth rules.

The phrase matcher is foia.search.text.query_matches, the one the clause finder verifies with; the
yes/no/unknown vocabulary and the Unknown reasons are foia.search.answers'. Pages are read once per call
(in keyset batches) and every rule is tried on each, so a matrix of many questions costs one pass.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction

from ..models import Agency, DocumentPage, RecordsRequest
from .answers import NO, UNKNOWN, YES, document_statuses, phrase_query, unknown_reason
from .exact import page_snippet
from .hits import START, STOP
from .text import Query, query_matches

ANY, ALL, NEAR = "any", "all", "near"
MODE_PATTERN = re.compile(r"any|all|near:(\d+)")
NEAR_MAX = 1000
BATCH = 2000


def mode_parse(text: str) -> tuple[str, int]:
    """("any" | "all" | "near", N) from "any", "all" or "near:N"; ValueError saying what is allowed."""
    value = (text or ANY).strip().lower()
    match = MODE_PATTERN.fullmatch(value)
    if not match:
        raise ValueError(f'Unknown mode "{text}": use any, all or near:N (N words, 1 to {NEAR_MAX}).')
    if match.group(1) is None:
        return value, 0
    distance = int(match.group(1))
    if not 1 <= distance <= NEAR_MAX:
        raise ValueError(f'"{text}": N in near:N must be a whole number from 1 to {NEAR_MAX}.')
    return NEAR, distance


@dataclass(frozen=True)
class Rule:
    """What makes a Yes: `phrases` (exact), how they combine, and optionally which document kinds count."""

    phrases: tuple[str, ...]
    mode: str = ANY
    distance: int = 0
    kinds: tuple[str, ...] = ()


@dataclass
class RuleAnswer:
    """One agency's answer to one rule, with the evidence of a Yes (page, document, passage)."""

    answer: str
    reason: str
    document_id: int | None = None
    link_id: int | None = None
    filename: str = ""
    page: int | None = None
    page_id: int | None = None
    raw_snippet: str = ""
    phrase: str = ""

    @property
    def passage(self) -> str:
        return " ".join(self.raw_snippet.replace(START, "").replace(STOP, "").split())


@dataclass
class _Best:
    page_id: int = 0
    row: tuple = ()
    phrase: int = 0
    per_document: dict = field(default_factory=lambda: defaultdict(dict))


def _word_spans(query: Query, folded: str, own: int) -> list[tuple[int, int]]:
    """(first word, last word) indexes of each place the phrase starts within the page's own text."""
    out = []
    for start, end in query_matches(query, folded, own):
        out.append((folded.count(" ", 0, start), folded.count(" ", 0, max(start, end - 1))))
    return out


def near_enough(occurrences: list[list[tuple[int, int]]], distance: int) -> bool:
    """True when one occurrence of every phrase lies within `distance` words of the others."""
    if not all(occurrences):
        return False
    for index, found in enumerate(occurrences):
        for first, last in found:  # this occurrence as the leftmost of the window
            reach = last
            for other, places in enumerate(occurrences):
                if other == index:
                    continue
                after = [start for start, _end in places if start >= first]
                if not after:
                    break
                reach = max(reach, min(after))
            else:
                if reach - last - 1 <= distance:
                    return True
    return False


def _prefilter(query: Query) -> str:
    """A plain substring every matching folded page contains (the longest hyphen-free piece)."""
    return max(query.groups[0][0].text.split("-"), key=len)


def campaign_pages(campaign_id: int, agency_ids: list[int] | None):
    """(page id, link id, document id, number, agency id, kind, folded text, own length, filename),
    newest page first, from one query read in chunks (a server-side cursor on PostgreSQL), so memory
    stays flat and the database sorts once."""
    where, params = "r.campaign_id = %s", [campaign_id]
    if agency_ids is not None:
        where += f" AND r.agency_id IN ({', '.join(['%s'] * len(agency_ids))})"
        params += list(agency_ids)
    sql = f"""SELECT p.id, rd.id, p.document_id, p.number, r.agency_id, d.kind, p.search_text,
        p.search_own_length, rd.filename FROM foia_documentpage p
        JOIN foia_requestdocument rd ON rd.document_id = p.document_id
        JOIN foia_recordsrequest r ON r.id = rd.request_id JOIN foia_document d ON d.id = p.document_id
        WHERE {where} ORDER BY p.id DESC, rd.id"""  # noqa: S608
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH):
            yield from rows


def rule_answers(campaign, rules: dict, *, agency_ids: list[int] | None = None) -> dict:
    """{rule key: {agency id: RuleAnswer}} for every agency of the campaign (or those in `agency_ids`)."""
    queries = {key: [phrase_query(p) for p in rule.phrases] for key, rule in rules.items()}
    usable = {key: qs for key, qs in queries.items() if qs and not any(q.problem for q in qs)}
    checks = {key: [_prefilter(q) for q in qs] for key, qs in usable.items()}
    found: dict = {key: {} for key in rules}  # key -> agency -> (row, phrase index)
    documents_all: dict = {key: defaultdict(lambda: defaultdict(dict)) for key in rules}
    for row in campaign_pages(campaign.pk, agency_ids):
        _page_id, _link, document_id, _number, agency_id, kind, folded, own, _name = row
        if not folded:
            continue
        for key, qs in usable.items():
            rule = rules[key]
            if rule.kinds and kind not in rule.kinds:
                continue
            if rule.mode == ANY and agency_id in found[key]:
                continue  # newest page first: the first verified one is the evidence
            present = [index for index, needle in enumerate(checks[key]) if needle in folded]
            if not present:
                continue
            if rule.mode == ANY:
                for index in present:
                    if query_matches(qs[index], folded, own):
                        found[key][agency_id] = (row, index)
                        break
            elif rule.mode == ALL:
                seen = documents_all[key][agency_id][document_id]
                for index in present:
                    if index not in seen and query_matches(qs[index], folded, own):
                        seen[index] = row
            elif len(present) == len(qs) and agency_id not in found[key]:
                spans = [_word_spans(q, folded, own) for q in qs]
                if near_enough(spans, rule.distance):
                    found[key][agency_id] = (row, 0)
    for key, rule in rules.items():
        if rule.mode == ALL:
            for agency_id, documents in documents_all[key].items():
                for seen in documents.values():
                    if len(seen) == len(rule.phrases):
                        found[key].setdefault(agency_id, (max(seen.values()), 0))
    return _decide(campaign, rules, queries, found, agency_ids)


def _decide(campaign, rules, queries, found, agency_ids) -> dict:
    requests = RecordsRequest.objects.filter(campaign=campaign)
    agencies = set(campaign.agencies.values_list("pk", flat=True))
    agencies |= set(requests.values_list("agency_id", flat=True))
    if agency_ids is not None:
        agencies &= set(agency_ids)
    pages = DocumentPage.objects.in_bulk(
        {hit[0][0] for per_agency in found.values() for hit in per_agency.values()}
    )
    statuses_by_kinds: dict = {}
    out: dict = {}
    for key, rule in rules.items():
        if rule.kinds not in statuses_by_kinds:
            statuses_by_kinds[rule.kinds] = document_statuses(
                campaign, agency_ids=agency_ids, kinds=list(rule.kinds)
            )
        statuses = statuses_by_kinds[rule.kinds]
        answers = {}
        for agency_id in agencies:
            if agency_id in found[key]:
                row, index = found[key][agency_id]
                page_id, link_id, document_id, number, _agency, _kind, _folded, _own, filename = row
                snippet = page_snippet(queries[key][index], pages[page_id])
                answers[agency_id] = RuleAnswer(
                    YES,
                    f"found in {filename}, page {number}",
                    document_id,
                    link_id,
                    filename,
                    number,
                    page_id,
                    snippet,
                    rule.phrases[index],
                )
                continue
            answers[agency_id] = rule_miss(rule, statuses.get(agency_id, {}))
        out[key] = answers
    return out


def rule_miss(rule: Rule, agency_statuses: dict) -> RuleAnswer:
    """An agency none of whose documents matched: Unknown (nothing yet, awaiting OCR, failed) or No.

    `agency_statuses` counts the agency's documents (of the rule's kinds) by extraction status."""
    total = sum(agency_statuses.values())
    if total == 0:
        what = "documents" if not rule.kinds else "documents of kind " + "/".join(rule.kinds)
        return RuleAnswer(UNKNOWN, f"no {what} yet")
    if why := unknown_reason(agency_statuses):
        return RuleAnswer(UNKNOWN, why)
    return RuleAnswer(NO, no_reason(rule, total))


def no_reason(rule: Rule, total: int) -> str:
    """Why a No: how many documents were read and what none of them contains."""
    plural = "s" if total != 1 else ""
    if len(rule.phrases) == 1:
        return f"none of its {total} document{plural} contains the phrase"
    if rule.mode == ALL:
        return f"none of its {total} document{plural} contains all {len(rule.phrases)} phrases"
    if rule.mode == NEAR:
        return f"none of its {total} document{plural} has the phrases within {rule.distance} words"
    return f"none of its {total} document{plural} contains any of the {len(rule.phrases)} phrases"


def agencies_of(campaign) -> dict[int, Agency]:
    """Every agency of the campaign (its list and those with a request), by id."""
    agencies = {a.pk: a for a in campaign.agencies.all()}
    for request_ in RecordsRequest.objects.filter(campaign=campaign).select_related("agency"):
        agencies.setdefault(request_.agency_id, request_.agency)
    return agencies
