"""The matrix's evidence, fast: foia.search.rules' truth rules (rule_answers), answered for every question and
agency in one streamed pass over the campaign's pages, with less work per page.

The decisions are rule_answers' own, row for row (tests/test_findings_evidence.py holds them side by side):
the same page order (newest first), the same substring prefilter, the same phrase patterns
(foia.search.text), the same Unknown reasons (foia.search.answers). What is cheaper: a phrase is tested with
one compiled `search` (the first match, which is all a Yes needs) instead of listing every match; an agency
leaves an `any` question's loop as soon as it is decided; pages for the passages are read with only the
columns a passage needs; and the passage starts from where the match was found instead of re-scanning the
page.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..models import DocumentPage, RecordsRequest
from ..search.answers import YES, document_statuses, phrase_query
from ..search.exact import page_snippet
from ..search.rules import ALL, ANY, Rule, RuleAnswer, campaign_pages, near_enough, rule_miss
from ..search.text import Query

BATCH = 2000


class _Phrase:
    """One phrase of a rule: its query, the substring every matching page contains, its compiled pattern."""

    __slots__ = ("query", "needle", "pattern")

    def __init__(self, query: Query):
        term = query.groups[0][0]  # phrase_query: one group of one positive term
        self.query = query
        self.needle = max(term.text.split("-"), key=len)
        self.pattern = re.compile(term.python_pattern())

    def first(self, folded: str, own: int) -> int:
        """Where the first match starting on the page's own text starts, or -1."""
        found = self.pattern.search(folded)
        return found.start() if found is not None and found.start() < own else -1

    def word_spans(self, folded: str, own: int) -> list[tuple[int, int]]:
        """(first word, last word) of each match starting on the page's own text (rules._word_spans)."""
        out = []
        for match in self.pattern.finditer(folded):
            start, end = match.span()
            if start >= own:
                break
            out.append((folded.count(" ", 0, start), folded.count(" ", 0, max(start, end - 1))))
        return out


def evidence_answers(campaign, rules: dict[object, Rule], *, agency_ids: list[int] | None = None) -> dict:
    """{rule key: {agency id: RuleAnswer}}, as foia.search.rules.rule_answers answers it."""
    queries = {key: [phrase_query(p) for p in rule.phrases] for key, rule in rules.items()}
    usable = {
        key: (rules[key], [_Phrase(q) for q in qs])
        for key, qs in queries.items()
        if qs and not any(q.problem for q in qs)
    }
    found: dict = {key: {} for key in rules}  # key -> agency -> (row, phrase index, folded start or None)
    documents_all: dict = {key: defaultdict(lambda: defaultdict(dict)) for key in rules}
    checks = [(rule, phrases, found[key], documents_all[key]) for key, (rule, phrases) in usable.items()]
    for row in campaign_pages(campaign.pk, agency_ids):
        folded = row[6]
        if not folded:
            continue
        agency_id, kind, own = row[4], row[5], row[7]
        for rule, phrases, found_here, all_here in checks:
            if rule.kinds and kind not in rule.kinds:
                continue
            mode = rule.mode
            if mode == ANY:
                if agency_id in found_here:
                    continue
                for index, phrase in enumerate(phrases):
                    if phrase.needle in folded:
                        start = phrase.first(folded, own)
                        if start >= 0:
                            found_here[agency_id] = (row, index, start)
                            break
                continue
            present = [index for index, phrase in enumerate(phrases) if phrase.needle in folded]
            if not present:
                continue
            if mode == ALL:
                seen = all_here[agency_id][row[2]]
                for index in present:
                    if index not in seen and phrases[index].first(folded, own) >= 0:
                        seen[index] = row
            elif len(present) == len(phrases) and agency_id not in found_here:
                spans = [phrase.word_spans(folded, own) for phrase in phrases]
                if near_enough(spans, rule.distance):
                    start = phrases[0].first(folded, own)
                    found_here[agency_id] = (row, 0, start if start >= 0 else None)
    for key, rule in rules.items():
        if rule.mode == ALL:
            for agency_id, documents in documents_all[key].items():
                for seen in documents.values():
                    if len(seen) == len(rule.phrases):
                        found[key].setdefault(agency_id, (max(seen.values()), 0, None))
    return _decide(campaign, rules, queries, found, agency_ids)


def _decide(campaign, rules, queries, found, agency_ids) -> dict:
    """Every agency answered for every rule: Yes with its passage, else No or Unknown with the reason."""
    agencies = set(campaign.agencies.values_list("pk", flat=True))
    agencies |= set(RecordsRequest.objects.filter(campaign=campaign).values_list("agency_id", flat=True))
    if agency_ids is not None:
        agencies &= set(agency_ids)
    page_ids = {hit[0][0] for per_agency in found.values() for hit in per_agency.values()}
    pages = {}
    ids = sorted(page_ids)
    for start in range(0, len(ids), BATCH):
        chunk = DocumentPage.objects.filter(pk__in=ids[start : start + BATCH])
        pages.update((p.pk, p) for p in chunk.only("id", "text", "search_text", "search_own_length"))
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
                row, index, folded_start = found[key][agency_id]
                page_id, link_id, document_id, number, _agency, _kind, _folded, _own, filename = row
                snippet = page_snippet(queries[key][index], pages[page_id], folded_start)
                answers[agency_id] = RuleAnswer(
                    YES, f"found in {filename}, page {number}", document_id, link_id, filename, number,
                    page_id, snippet, rule.phrases[index],
                )  # fmt: skip
                continue
            answers[agency_id] = rule_miss(rule, statuses.get(agency_id, {}))
        out[key] = answers
    return out
