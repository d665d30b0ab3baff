"""Dashboard statistics: set-based aggregates over a filtered set of requests, a fixed number of queries.

Every figure is computed by the database (GROUP BY / conditional COUNT); Python only reshapes the small,
bounded results (one row per status, per state, per week, per whole day of delay). The number of queries
does not depend on how many requests there are.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Func, IntegerField, Min, Q, QuerySet, Sum, Window

from .appeals.stats import appeals_by_state
from .dashboard_summary import AGENCY_MEASURES, ANSWERED_UNIT
from .models import Agency, DashboardCount, DocumentKind, RecordsRequest, RequestDocument, Status
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
    """Whole weeks from Monday 2000-01-03 to the date of a datetime in time zone `tz`; NULL stays NULL.

    The dashboard summary (foia.dashboard_summary) keeps the same weeks, with settings.TIME_ZONE.
    """

    output_field = IntegerField()

    def __init__(self, expression, tz: str):
        super().__init__(expression)
        self.tz = tz

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((({sql} AT TIME ZONE %s)::date - DATE '{EPOCH_MONDAY}') / 7)", [*params, self.tz]

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        local = f"django_datetime_cast_date({sql}, %s, 'UTC')"  # Django's own SQLite function
        return (
            f"CAST((julianday({local}) - julianday('{EPOCH_MONDAY}')) / 7 AS INTEGER)",
            [*params, self.tz],
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
    tz = settings.TIME_ZONE
    rows = (
        queryset.filter(sent_at__isnull=False)
        .annotate(sent_week=WeekIndex("sent_at", tz), answer_week=WeekIndex("first_response_at", tz))
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


def live_dashboard_stats(*, stats_filter: StatsFilter | None = None, today: datetime.date) -> dict:
    """Every dashboard figure counted live from the requests, in at most eight queries (each a full pass)."""
    stats_filter = stats_filter or StatsFilter()
    queryset = stats_filter.apply(RecordsRequest.objects.all())
    totals, by_status, by_state = _core(queryset, today)
    answer_days, close_days = _days_counts(queryset)
    sent_weeks, answer_weeks = _weekly(queryset)
    return _assemble(
        stats_filter, queryset, today, totals, by_status, by_state, (answer_days, close_days),
        (sent_weeks, answer_weeks), _documents_by_kind(stats_filter), _never_answered(queryset),
    )  # fmt: skip


def _assemble(stats_filter, queryset, today, totals, by_status, by_state, days, weeks, kinds, never) -> dict:
    sent = totals["sent"]
    return {
        "totals": {**totals, "response_rate": round(totals["answered"] / sent, 3) if sent else None},
        "by_status": by_status,
        "longest_overdue": _longest_overdue(queryset, today),
        "first_response_days": day_distribution(days[0]),
        "completion_days": day_distribution(days[1]),
        "by_state": by_state,
        "timeline": timeline(weeks[0], weeks[1], today),
        "documents_by_kind": kinds,
        "never_answered": never,
        "appeals_by_state": appeals_by_state(queryset),
    }


def summary_scope(stats_filter: StatsFilter) -> tuple[str, str] | None:
    """The summary scope that holds exactly the filter's requests, or None (two filters, or a date range)."""
    if stats_filter.date_from or stats_filter.date_to:
        return None
    chosen = [
        (scope, str(value))
        for scope, value in (
            ("c", stats_filter.campaign_id),
            ("s", stats_filter.state),
            ("o", stats_filter.owner_id),
        )
        if value
    ]
    if len(chosen) > 1:
        return None
    return chosen[0] if chosen else ("a", "")


def dashboard_stats(*, stats_filter: StatsFilter | None = None, today: datetime.date) -> dict:
    """Every dashboard figure for the requests the filter selects (default: all), in a few small queries.

    With no filter or one of campaign, state or owner, the figures come from the summary rows
    (foia.dashboard_summary; one query, whatever the number of requests) plus index range scans for what
    depends on today; other filters count live. Both give the same figures (tests/test_dashboard_summary.py).
    """
    stats_filter = stats_filter or StatsFilter()
    scope = summary_scope(stats_filter)
    if scope is None:
        return live_dashboard_stats(stats_filter=stats_filter, today=today)
    queryset = stats_filter.apply(RecordsRequest.objects.all())
    counts = DashboardCount.objects.filter(scope=scope[0], scope_key=scope[1])
    rows = (
        counts.exclude(measure__in=AGENCY_MEASURES)
        .values_list("measure", "key")
        .annotate(total=Sum("n"))
        .order_by()
    )
    measures: dict[str, dict[str, int]] = {}
    for measure, key, total in rows:
        if total:
            measures.setdefault(measure, {})[key] = total
    totals, by_status, by_state = _summary_core(measures, today)
    days = tuple({int(k): n for k, n in measures.get(m, {}).items()} for m in ("answer_days", "close_days"))
    weeks = tuple(
        {week_start(int(k)): n for k, n in measures.get(m, {}).items()} for m in ("sent_week", "answer_week")
    )
    kinds = measures.get("doc", {})
    documents = [
        {"kind": k.value, "label": k.label, "count": kinds[k.value]}
        for k in DocumentKind
        if kinds.get(k.value)
    ]
    if scope[0] == "c":
        never = _campaign_never_answered(queryset, measures.get("unanswered", {}).get("", 0))
    else:
        never = _summary_never_answered(queryset, counts)
    return _assemble(
        stats_filter, queryset, today, totals, by_status, by_state, days, weeks, documents, never
    )


def _summary_core(measures: dict[str, dict[str, int]], today: datetime.date) -> tuple[dict, list, list]:
    """_core's figures from the summary's (status|state) counts and open requests by due date."""
    totals = dict.fromkeys(["total", "sent", "answered", "open", "closed", "overdue"], 0)
    statuses: dict[str, int] = {}
    states: dict[str, list[int]] = {}
    sent_counts, answered_counts = measures.get("sent", {}), measures.get("answered", {})
    for key, n in measures.get("n", {}).items():
        status, state = key.split("|", 1)
        sent, answered = sent_counts.get(key, 0), answered_counts.get(key, 0)
        totals["total"] += n
        totals["sent"] += sent
        totals["answered"] += answered
        totals["open"] += n if status in OPEN_STATUSES else 0
        totals["closed"] += n if status in CLOSED_STATUSES else 0
        statuses[status] = statuses.get(status, 0) + n
        if sent:  # as _core: a (status, state) group with nothing sent adds nothing to its state's rate
            pair = states.setdefault(state, [0, 0])
            pair[0] += sent
            pair[1] += answered
    day = today.isoformat()  # keys are ISO dates: text order is date order
    totals["overdue"] = sum(n for key, n in measures.get("open_due", {}).items() if key < day)
    by_status = [{"status": s.value, "label": s.label, "count": statuses.get(s.value, 0)} for s in Status]
    by_state = [
        {"state": state, "sent": sent, "answered": answered, "rate": round(answered / sent, 3)}
        for state, (sent, answered) in sorted(states.items())
    ]
    return totals, by_status, by_state


def _campaign_never_answered(queryset: QuerySet, count: int) -> dict:
    """_never_answered for one campaign, where an agency has one request: its sent, unanswered requests."""
    rows = (
        queryset.filter(sent_at__isnull=False, first_response_at__isnull=True)
        .order_by("sent_at", "agency_id")
        .values("agency_id", "agency__name", "agency__state", "sent_at")[:LIST_LIMIT]
        if count
        else []
    )
    agencies = [
        {"id": row["agency_id"], "name": row["agency__name"], "state": row["agency__state"],
         "first_sent": row["sent_at"], "requests": 1}
        for row in rows
    ]  # fmt: skip
    return {"count": count, "agencies": agencies}


NEVER_ANSWERED_IN_LIST = 1000  # more never-answered agencies than this: the oldest found with a subquery


def _summary_never_answered(queryset: QuerySet, counts: QuerySet) -> dict:
    """Agencies sent requests that answered none (from the summary), and the oldest LIST_LIMIT of them."""
    per_agency = (
        counts.filter(measure="ag")
        .values("key")
        .annotate(total=Sum("n"))
        .filter(total__gt=0, total__lt=ANSWERED_UNIT)  # sent some, answered none
        .order_by()
    )
    never = [int(key) for key in per_agency.values_list("key", flat=True)]
    if not never:
        return {"count": 0, "agencies": []}
    if len(never) > NEVER_ANSWERED_IN_LIST:
        never_ids = queryset.filter(sent_at__isnull=False).values("agency_id").annotate(
            answered=Count("id", filter=Q(first_response_at__isnull=False))
        ).filter(answered=0).values("agency_id")  # fmt: skip
    else:
        never_ids = never
    rows = list(
        queryset.filter(sent_at__isnull=False, agency_id__in=never_ids)
        .order_by()
        .values("agency_id", "agency__name", "agency__state")
        .annotate(first_sent=Min("sent_at"), requests=Count("id"))
        .order_by("first_sent", "agency_id")[:LIST_LIMIT]
    )
    agencies = [
        {"id": row["agency_id"], "name": row["agency__name"], "state": row["agency__state"],
         "first_sent": row["first_sent"], "requests": row["requests"]}
        for row in rows
    ]  # fmt: skip
    return {"count": len(never), "agencies": agencies}
