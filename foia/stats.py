"""Dashboard statistics: set-based aggregates over a filtered set of requests, a fixed number of queries.

Every figure is computed by the database (GROUP BY / conditional COUNT); Python only reshapes the small,
bounded results (one row per status, per state, per week, per whole day of delay). The number of queries
does not depend on how many requests there are.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Func, IntegerField, Min, Q, QuerySet
from django.db.models.functions import TruncWeek

from .models import Document, DocumentKind, RecordsRequest, Status
from .models.request import CLOSED_STATUSES, OPEN_STATUSES

# Buckets for the "days to answer" distributions: (label, lowest day, highest day or None).
DAY_BUCKETS: list[tuple[str, int, int | None]] = [
    ("0–5", 0, 5),
    ("6–10", 6, 10),
    ("11–20", 11, 20),
    ("21–30", 21, 30),
    ("31–60", 31, 60),
    ("61–90", 61, 90),
    ("91–180", 91, 180),
    ("181+", 181, None),
]
MAX_WEEKS = 52  # the timeline shows at most the last year of activity
LIST_LIMIT = 10  # rows in "longest overdue" and "never answered"


class DaysBetween(Func):
    """Whole days elapsed from `start` to `end` (datetimes); NULL when either is NULL."""

    output_field = IntegerField()

    def __init__(self, start, end):
        super().__init__(start, end)

    def _parts(self, compiler):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return start, end, [*end_params, *start_params]

    def as_postgresql(self, compiler, connection, **extra):
        start, end, params = self._parts(compiler)
        return f"FLOOR(EXTRACT(EPOCH FROM ({end} - {start})) / 86400)::integer", params

    def as_sqlite(self, compiler, connection, **extra):
        start, end, params = self._parts(compiler)
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)", params

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"DaysBetween is not implemented for {connection.vendor}")


@dataclass(frozen=True)
class StatsFilter:
    """Which requests the dashboard counts; every field optional."""

    campaign_id: int | None = None
    state: str = ""
    owner_id: int | None = None
    date_from: datetime.date | None = None  # sent on or after
    date_to: datetime.date | None = None  # sent on or before

    def apply(self, queryset: QuerySet) -> QuerySet:
        """`queryset` narrowed to this filter."""
        if self.campaign_id:
            queryset = queryset.filter(campaign_id=self.campaign_id)
        if self.state:
            queryset = queryset.filter(agency__state=self.state)
        if self.owner_id:
            queryset = queryset.filter(owner_id=self.owner_id)
        if self.date_from:
            queryset = queryset.filter(sent_at__date__gte=self.date_from)
        if self.date_to:
            queryset = queryset.filter(sent_at__date__lte=self.date_to)
        return queryset


def day_distribution(day_counts: dict[int, int]) -> dict:
    """Median and bucketed counts from {whole days: number of requests}."""
    total = sum(day_counts.values())
    buckets = []
    for label, low, high in DAY_BUCKETS:
        count = sum(n for day, n in day_counts.items() if day >= low and (high is None or day <= high))
        buckets.append({"label": label, "count": count})
    return {"count": total, "median": median_of_counts(day_counts), "buckets": buckets}


def median_of_counts(day_counts: dict[int, int]) -> float | None:
    """The median of a multiset given as {value: how many}; None when empty."""
    total = sum(day_counts.values())
    if not total:
        return None
    ordered = sorted((day, n) for day, n in day_counts.items())

    def nth(index: int) -> int:
        seen = 0
        for day, n in ordered:
            seen += n
            if index < seen:
                return day
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def _days_counts(queryset: QuerySet, end_field: str) -> dict[int, int]:
    """{whole days from sent_at to `end_field`: requests} for requests that have both (one query)."""
    rows = (
        queryset.filter(sent_at__isnull=False, **{f"{end_field}__isnull": False})
        .annotate(days=DaysBetween(F("sent_at"), F(end_field)))
        .order_by()
        .values("days")
        .annotate(n=Count("id"))
    )
    # A response logged before the send time (data entry) counts as same-day.
    counts: dict[int, int] = {}
    for row in rows:
        day = max(int(row["days"] or 0), 0)
        counts[day] = counts.get(day, 0) + row["n"]
    return counts


def _weekly(queryset: QuerySet, field: str) -> dict[datetime.date, int]:
    rows = (
        queryset.filter(**{f"{field}__isnull": False})
        .annotate(week=TruncWeek(field))
        .order_by()
        .values("week")
        .annotate(n=Count("id"))
    )
    return {_as_date(row["week"]): row["n"] for row in rows}


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def timeline(sent: dict[datetime.date, int], answered: dict[datetime.date, int]) -> list[dict]:
    """One row per week from the first to the last active week (at most MAX_WEEKS, the latest ones)."""
    weeks = sorted(set(sent) | set(answered))
    if not weeks:
        return []
    first, last = weeks[0], weeks[-1]
    first = max(first, last - datetime.timedelta(weeks=MAX_WEEKS - 1))
    rows, week = [], first
    while week <= last:
        rows.append({"week": week, "sent": sent.get(week, 0), "responses": answered.get(week, 0)})
        week += datetime.timedelta(weeks=1)
    return rows


def _totals(queryset: QuerySet, today: datetime.date) -> dict:
    return queryset.order_by().aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        answered=Count("id", filter=Q(first_response_at__isnull=False)),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        closed=Count("id", filter=Q(status__in=CLOSED_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
    )


def _by_status(queryset: QuerySet) -> list[dict]:
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    return [{"status": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in Status]


def _longest_overdue(queryset: QuerySet, today: datetime.date) -> list[dict]:
    rows = (
        queryset.overdue(today)
        .order_by("due_on", "id")
        .values("id", "tracking_number", "agency__name", "agency__state", "due_on")[:LIST_LIMIT]
    )
    return [
        {
            "id": row["id"],
            "tracking_number": row["tracking_number"],
            "agency": row["agency__name"],
            "state": row["agency__state"],
            "due_on": row["due_on"],
            "days_overdue": (today - row["due_on"]).days,
        }
        for row in rows
    ]


def _by_state(queryset: QuerySet) -> list[dict]:
    rows = (
        queryset.filter(sent_at__isnull=False)
        .order_by()
        .values("agency__state")
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(first_response_at__isnull=False)))
        .order_by("agency__state")
    )
    return [
        {
            "state": row["agency__state"],
            "sent": row["sent"],
            "answered": row["answered"],
            "rate": round(row["answered"] / row["sent"], 3) if row["sent"] else None,
        }
        for row in rows
    ]


def _documents_by_kind(queryset: QuerySet) -> list[dict]:
    counts = dict(
        Document.objects.filter(links__request__in=queryset.order_by().values("id"))
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id", distinct=True))
    )
    return [
        {"kind": k.value, "label": k.label, "count": counts.get(k.value, 0)}
        for k in DocumentKind
        if counts.get(k.value)
    ]


def _never_answered(queryset: QuerySet) -> dict:
    """Agencies sent at least one request (in the filter) that answered none of them: count and oldest."""
    per_agency = (
        queryset.filter(sent_at__isnull=False)
        .order_by()
        .values("agency_id", "agency__name", "agency__state")
        .annotate(
            answered=Count("id", filter=Q(first_response_at__isnull=False)),
            first_sent=Min("sent_at"),
            requests=Count("id"),
        )
        .filter(answered=0)
    )
    count = per_agency.count()
    oldest = per_agency.order_by("first_sent", "agency_id")[:LIST_LIMIT]
    agencies = [
        {
            "id": row["agency_id"],
            "name": row["agency__name"],
            "state": row["agency__state"],
            "first_sent": row["first_sent"],
            "requests": row["requests"],
        }
        for row in oldest
    ]
    return {"count": count, "agencies": agencies}


def dashboard_stats(*, queryset: QuerySet | None = None, today: datetime.date) -> dict:
    """Every dashboard figure for the requests in `queryset` (default: all), in eleven queries."""
    if queryset is None:
        queryset = RecordsRequest.objects.all()
    totals = _totals(queryset, today)
    sent = totals["sent"]
    return {
        "totals": {
            **totals,
            "response_rate": round(totals["answered"] / sent, 3) if sent else None,
        },
        "by_status": _by_status(queryset),
        "longest_overdue": _longest_overdue(queryset, today),
        "first_response_days": day_distribution(_days_counts(queryset, "first_response_at")),
        "completion_days": day_distribution(_days_counts(queryset, "closed_at")),
        "by_state": _by_state(queryset),
        "timeline": timeline(_weekly(queryset, "sent_at"), _weekly(queryset, "first_response_at")),
        "documents_by_kind": _documents_by_kind(queryset),
        "never_answered": _never_answered(queryset),
    }
