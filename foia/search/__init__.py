"""Search over document pages and messages: exact phrases (the default) or word forms; per-agency answers.

`search()` is the one entry point for the search page and the API; `phrase_answers()` / `clause_find()`
decide, for every agency of a campaign, whether its documents contain a phrase (yes / no / unknown).
"""

from __future__ import annotations

import datetime

from .answers import EXACT, MODES, NO, UNKNOWN, WORDS, YES, Answer, clause_find, phrase_answers
from .exact import exact_search, exact_unsorted_hits
from .hits import QueryProblem, SearchHit
from .text import MAX_QUERY_CHARS, query_parse
from .words import fts5_query, words_search

__all__ = [
    "EXACT", "MODES", "NO", "UNKNOWN", "WORDS", "YES", "Answer", "QueryProblem", "SearchHit",
    "clause_find", "fts5_query", "phrase_answers", "search",
]  # fmt: skip


def search(
    *,
    query: str,
    mode: str = EXACT,
    campaign=None,
    agency=None,
    state=None,
    kind=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int = 50,
    sources: tuple[str, ...] = ("document", "communication"),
    unsorted: bool = False,
) -> list[SearchHit]:
    """Hits for `query` ("a phrase", words, -excluded, OR); QueryProblem says why it cannot be searched."""
    common = {"campaign": campaign, "agency": agency, "state": state, "kind": kind}
    dates = {"date_from": date_from, "date_to": date_to}
    if len(query or "") > MAX_QUERY_CHARS:
        raise QueryProblem(f"The query is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    if unsorted and mode == WORDS:
        raise QueryProblem("Unsorted mail is searched by exact phrase only; choose Exact.")
    if mode == WORDS:
        return words_search(query=query, **common, **dates, limit=limit, sources=sources)
    parsed = query_parse(query)
    if parsed.problem:
        raise QueryProblem(parsed.problem)
    if unsorted:
        return exact_unsorted_hits(parsed, limit=limit)
    return exact_search(query=parsed, common=common, dates=dates, limit=limit, sources=sources)
