"""What a search returns (SearchHit), the SQL filters both modes share, and loading hits in two queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..models import Agency, Communication, RecordsRequest, RequestDocument

START, STOP = "\x02", "\x03"  # highlight markers, turned into <mark> after the text is escaped


class QueryProblem(ValueError):
    """A query that cannot be searched as typed; the message says why, for the person who typed it."""


@dataclass
class SearchHit:
    """One place a query matched: a page of a document on a request, or a communication."""

    source: str  # "document" or "communication"
    rank: float
    raw_snippet: str
    link: RequestDocument | None = None
    communication: Communication | None = None
    page: int | None = None
    attachment: object = None  # a MessageAttachment, for a hit in a file of an unsorted message

    @property
    def snippet(self) -> SafeString:
        """The snippet as safe HTML: the text escaped, the matches in <mark>."""
        html = escape(self.raw_snippet).replace(START, "<mark>").replace(STOP, "</mark>")
        return mark_safe(html)  # noqa: S308 - escaped just above

    @property
    def snippet_text(self) -> str:
        return " ".join(self.raw_snippet.replace(START, "").replace(STOP, "").split())

    @property
    def records_request(self) -> RecordsRequest | None:
        return (
            self.link.request if self.link else (self.communication.request if self.communication else None)
        )

    @property
    def agency(self) -> Agency | None:
        return self.records_request.agency if self.records_request else None

    @property
    def document(self):
        if self.attachment is not None:
            return self.attachment.document
        return self.link.document if self.link else None


def filters_sql(*, campaign, agency, state, kind, date_from, date_to, date_column: str, documents: bool):
    """WHERE clauses and parameters shared by both backends (r = request, a = agency, d = document)."""
    clauses, params = [], []
    for value, clause in (
        (campaign, "r.campaign_id = %s"),
        (agency, "r.agency_id = %s"),
        (state, "a.state = %s"),
    ):
        if value:
            clauses.append(clause)
            params.append(getattr(value, "pk", value))
    if kind:
        clauses.append("d.kind = %s" if documents else "1 = 0")
        params.extend([kind] if documents else [])
    for value, operator in ((date_from, ">="), (date_to, "<")):
        if value:
            if operator == "<":
                value = value + datetime.timedelta(days=1)
            clauses.append(f"{date_column} {operator} %s")
            params.append(timezone.make_aware(datetime.datetime.combine(value, datetime.time.min)))
    return "".join(f" AND {c}" for c in clauses), params


def hits_load(hits: list[SearchHit]) -> None:
    """Replace the id-only rows with loaded ones: two queries whatever the number of hits."""
    links = RequestDocument.objects.select_related(
        "document", "request__agency", "request__campaign"
    ).in_bulk({hit.link.pk for hit in hits if hit.link})
    communications = Communication.objects.select_related("request__agency", "request__campaign").in_bulk(
        {hit.communication.pk for hit in hits if hit.communication}
    )
    for hit in hits:
        if hit.link:
            hit.link = links[hit.link.pk]
        if hit.communication:
            hit.communication = communications[hit.communication.pk]


def snippet_around(text: str, spans: list[tuple[int, int]], *, before=160, after=240) -> str:
    """A short passage of the original text around the first span (original indexes), every span marked."""
    if not spans:
        return " ".join(text[: before + after].split()) + ("…" if len(text) > before + after else "")
    first = spans[0][0]
    lo, hi = max(0, first - before), min(len(text), first + after)
    pieces, cursor = [], lo
    for start, end in spans:
        if start < cursor or start >= hi:
            continue
        pieces += [text[cursor:start], START, text[start : min(end, hi)], STOP]
        cursor = min(end, hi)
    pieces.append(text[cursor:hi])
    body = " ".join("".join(pieces).split())
    return ("…" if lo else "") + body + ("…" if hi < len(text) else "")


def folded_to_original(where: list[int], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in a folded text (see foia.search.text.fold_map) as spans in the original."""
    return sorted({(where[s], where[max(e - 1, s)] + 1) for s, e in spans if s < len(where)})


def text_marked(text: str, query_text: str) -> SafeString:
    """A whole text as safe HTML with every place the (exact) query matches in <mark>."""
    from .text import original_spans, query_parse

    query = query_parse(query_text)
    return marked_html(text, original_spans(query, text) if not query.problem else [])


def marked_html(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """`text` as safe HTML with the spans (sorted, original indexes) in <mark>."""
    pieces, cursor = [], 0
    for start, end in spans:
        if start < cursor:
            continue
        pieces += [escape(text[cursor:start]), "<mark>", escape(text[start:end]), "</mark>"]
        cursor = end
    pieces.append(escape(text[cursor:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text escaped above
