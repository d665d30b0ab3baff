"""Dashboard statistics: set-based aggregates over a filtered set of requests, a fixed number of queries.

Every figure is computed by the database (GROUP BY / conditional COUNT); Python only reshapes the small,
bounded results (one row per status, per state, per week, per whole day of delay). The number of queries
does not depend on how many requests there are.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Func, IntegerField, Min, Q, QuerySet, Window
from django.utils import timezone

from .appeals.stats import appeals_by_state
from .models import Agency, DocumentKind, RecordsRequest, RequestDocument, Status
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
        # timestamptz - timestamptz is an interval of days and hours: its day field is the whole days.
        return f"EXTRACT(DAY FROM ({end} - {start}))::integer", params

    def as_sqlite(self, compiler, connection, **extra):
        start, end, params = self._parts(compiler)
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)", params

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"DaysBetween is not implemented for {connection.vendor}")


EPOCH_MONDAY = datetime.date(2000, 1, 3)


class WeekIndex(Func):
    """Whole weeks from Monday 2000-01-03 to a datetime seen at a fixed UTC offset (minutes); NULL stays NULL.

    A fixed offset (the newsroom's offset today) instead of a time-zone name keeps this cheap on 100,000
    rows; across a daylight-saving change a request sent within an hour of midnight Sunday may land in the
    neighbouring week, which a weekly chart can bear.
    """

    output_field = IntegerField()

    def __init__(self, expression, offset_minutes: int):
        super().__init__(expression)
        self.offset_minutes = int(offset_minutes)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"((({sql} + %s * INTERVAL '1 minute')::date - DATE '{EPOCH_MONDAY}') / 7)",
            [*params, self.offset_minutes],
        )

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CAST((julianday({sql}, %s) - julianday('{EPOCH_MONDAY}')) / 7 AS INTEGER)",
            [*params, f"{self.offset_minutes:+d} minutes"],
        )

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"WeekIndex is not implemented for {connection.vendor}")


def week_start(index: int) -> datetime.date:
    return EPOCH_MONDAY + datetime.timedelta(weeks=index)


@dataclass(frozen=True)
class StatsFilter:
    """Which requests the dashboard counts; every field optional."""

    campaign_id: int | None = None
    state: str = ""
    owner_id: int | None = None
    date_from: datetime.date | None = None  # sent on or after
    date_to: datetime.date | None = None  # sent on or before

    def apply(self, queryset: QuerySet, prefix: str = "") -> QuerySet:
        """`queryset` narrowed to this filter; `prefix` reaches the request from another model."""
        lookups = {
            "campaign_id": self.campaign_id,
            "agency__state": self.state,
            "owner_id": self.owner_id,
            "sent_at__date__gte": self.date_from,
            "sent_at__date__lte": self.date_to,
        }
        return queryset.filter(**{prefix + key: value for key, value in lookups.items() if value})


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


def _days_counts(queryset: QuerySet) -> tuple[dict[int, int], dict[int, int]]:
    """Whole days from sent_at to first response, and to closing: {days: requests} each (one query)."""
    rows = (
        queryset.filter(sent_at__isnull=False, first_response_at__isnull=False)
        .annotate(
            to_answer=DaysBetween(F("sent_at"), F("first_response_at")),
            to_close=DaysBetween(F("sent_at"), F("closed_at")),
        )
        .order_by()
        .values("to_answer", "to_close")
        .annotate(n=Count("id"))
    )
    answer: dict[int, int] = {}
    close: dict[int, int] = {}
    for row in rows:
        # A response logged before the send time (data entry) counts as same-day.
        day = max(int(row["to_answer"] or 0), 0)
        answer[day] = answer.get(day, 0) + row["n"]
        if row["to_close"] is not None:
            day = max(int(row["to_close"]), 0)
            close[day] = close.get(day, 0) + row["n"]
    return answer, close


def _weekly(queryset: QuerySet) -> tuple[dict[datetime.date, int], dict[datetime.date, int]]:
    """Requests sent per week and first responses per week (one query over (sent week, answer week))."""
    offset = timezone.localtime().utcoffset() or datetime.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    rows = (
        queryset.filter(sent_at__isnull=False)
        .annotate(
            sent_week=WeekIndex("sent_at", minutes), answer_week=WeekIndex("first_response_at", minutes)
        )
        .order_by()
        .values("sent_week", "answer_week")
        .annotate(n=Count("id"))
    )
    sent: dict[datetime.date, int] = {}
    answered: dict[datetime.date, int] = {}
    for row in rows:
        week = week_start(row["sent_week"])
        sent[week] = sent.get(week, 0) + row["n"]
        if row["answer_week"] is not None:
            week = week_start(row["answer_week"])
            answered[week] = answered.get(week, 0) + row["n"]
    return sent, answered


def timeline(
    sent: dict[datetime.date, int], answered: dict[datetime.date, int], today: datetime.date
) -> list[dict]:
    """One row per week from the first active week to this week (at most MAX_WEEKS, the latest ones)."""
    this_week = today - datetime.timedelta(days=today.weekday())
    weeks = sorted(week for week in set(sent) | set(answered) if week <= this_week)
    if not weeks:
        return []
    first, last = weeks[0], weeks[-1]
    first = max(first, last - datetime.timedelta(weeks=MAX_WEEKS - 1))
    rows, week = [], first
    while week <= last:
        rows.append({"week": week, "sent": sent.get(week, 0), "responses": answered.get(week, 0)})
        week += datetime.timedelta(weeks=1)
    return rows


def _core(queryset: QuerySet, today: datetime.date) -> tuple[dict, list[dict], list[dict]]:
    """Totals, counts by status and response rate by state, from one GROUP BY (status, state) query."""
    rows = (
        queryset.order_by()
        .values("status", "agency__state")
        .annotate(
            n=Count("id"),
            sent=Count("id", filter=Q(sent_at__isnull=False)),
            answered=Count("id", filter=Q(first_response_at__isnull=False)),
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
        )
    )
    totals = dict.fromkeys(["total", "sent", "answered", "open", "closed", "overdue"], 0)
    statuses: dict[str, int] = {}
    states: dict[str, list[int]] = {}
    for row in rows:
        totals["total"] += row["n"]
        totals["sent"] += row["sent"]
        totals["answered"] += row["answered"]
        totals["overdue"] += row["overdue"]
        totals["open"] += row["n"] if row["status"] in OPEN_STATUSES else 0
        totals["closed"] += row["n"] if row["status"] in CLOSED_STATUSES else 0
        statuses[row["status"]] = statuses.get(row["status"], 0) + row["n"]
        if row["sent"]:
            state = states.setdefault(row["agency__state"], [0, 0])
            state[0] += row["sent"]
            state[1] += row["answered"]
    by_status = [{"status": s.value, "label": s.label, "count": statuses.get(s.value, 0)} for s in Status]
    by_state = [
        {"state": state, "sent": sent, "answered": answered, "rate": round(answered / sent, 3)}
        for state, (sent, answered) in sorted(states.items())
    ]
    return totals, by_status, by_state


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


def _documents_by_kind(stats_filter: StatsFilter) -> list[dict]:
    """Documents received on the filtered requests, by kind: a file that two agencies sent counts twice."""
    links = stats_filter.apply(RequestDocument.objects.all(), prefix="request__")
    counts = dict(links.order_by().values_list("document__kind").annotate(n=Count("id")))
    return [
        {"kind": k.value, "label": k.label, "count": counts.get(k.value, 0)}
        for k in DocumentKind
        if counts.get(k.value)
    ]


def _never_answered(queryset: QuerySet) -> dict:
    """Agencies sent at least one request (in the filter) that answered none: how many, and the oldest."""
    rows = (
        queryset.filter(sent_at__isnull=False)
        .order_by()
        .values("agency_id")
        .annotate(
            answered=Count("id", filter=Q(first_response_at__isnull=False)),
            first_sent=Min("sent_at"),
            requests=Count("id"),
            # Evaluated after GROUP BY and HAVING: the number of such agencies, on every row.
            how_many=Window(Count("agency_id")),
        )
        .filter(answered=0)
        .order_by("first_sent", "agency_id")[:LIST_LIMIT]
    )
    rows = list(rows)
    names = {
        agency.pk: agency
        for agency in Agency.objects.filter(pk__in=[row["agency_id"] for row in rows]).only("name", "state")
    } if rows else {}  # fmt: skip
    agencies = [
        {
            "id": row["agency_id"],
            "name": names[row["agency_id"]].name,
            "state": names[row["agency_id"]].state,
            "first_sent": row["first_sent"],
            "requests": row["requests"],
        }
        for row in rows
    ]
    return {"count": rows[0]["how_many"] if rows else 0, "agencies": agencies}


def dashboard_stats(*, stats_filter: StatsFilter | None = None, today: datetime.date) -> dict:
    """Every dashboard figure for the requests the filter selects (default: all), in at most eight queries."""
    stats_filter = stats_filter or StatsFilter()
    queryset = stats_filter.apply(RecordsRequest.objects.all())
    totals, by_status, by_state = _core(queryset, today)
    answer_days, close_days = _days_counts(queryset)
    sent_weeks, answer_weeks = _weekly(queryset)
    sent = totals["sent"]
    return {
        "totals": {**totals, "response_rate": round(totals["answered"] / sent, 3) if sent else None},
        "by_status": by_status,
        "longest_overdue": _longest_overdue(queryset, today),
        "first_response_days": day_distribution(answer_days),
        "completion_days": day_distribution(close_days),
        "by_state": by_state,
        "timeline": timeline(sent_weeks, answer_weeks, today),
        "documents_by_kind": _documents_by_kind(stats_filter),
        "never_answered": _never_answered(queryset),
        "appeals_by_state": appeals_by_state(queryset),
    }
