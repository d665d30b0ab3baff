"""Business-day and statute maths: pure functions over dates, a law-like object and closed-day overrides.

Nothing here reads the clock, the settings or the database; callers (foia.lifecycle, the `deadline` command)
pass `today`, the time zone, business hours and the ClosedDay overrides in.

Conventions (documented in the README):
- "Within N business days of receipt": the day of receipt is day 0; the due date is the Nth business day
  after it.
- "Within N calendar days": received_on + N; when that lands on a weekend or closed day it rolls forward to
  the next business day.
- A business day is a weekday that is not a legal holiday of the jurisdiction (the `holidays` package,
  category "public"; for "US" also "government", i.e. executive-order closures), minus the optional
  holidays in OPTIONAL_HOLIDAYS, with per-jurisdiction ClosedDay overrides applied last (closed=True adds a
  closed day, closed=False opens a holiday).
- A request sent at or after the business-hours end (local time) or on a closed day counts as received on the
  next business day. One time zone (settings.TIME_ZONE) is used for every agency: simple, and wrong by at most
  a few hours for agencies in other zones.
- Laws with no fixed number of days get a follow-up target (default_followup_days business days) that is never
  statutory: Deadline.is_statutory is False and the rule says so.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import holidays

BUSINESS = "business"
CALENDAR = "calendar"
NONE = "none"
FEDERAL = "US"

# Holidays the `holidays` package lists as public for a state on which offices stay open: employees may take
# them, agencies still count the day (e.g. Tex. Gov't Code 662.003(c) optional holidays).
OPTIONAL_HOLIDAYS: dict[str, frozenset[str]] = {
    "TX": frozenset({"Cesar Chavez Day", "Good Friday", "Rosh Hashanah", "Yom Kippur"}),
}
# The 50 states and DC; territories are left out because no law row covers them.
_STATE_CODES = (
    "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE NH NJ NM NV "
    "NY OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY"
)
STATES = frozenset(_STATE_CODES.split())
JURISDICTIONS = STATES | {FEDERAL}


class DeadlineError(ValueError):
    """A deadline cannot be computed: unknown jurisdiction or an impossible input."""


class LawTerms(Protocol):
    """What the maths needs from a foia.models.Law (any object with these attributes will do)."""

    jurisdiction: str
    law_name: str
    citation: str
    response_days: int | None
    day_type: str
    response_wording: str
    ack_days: int | None
    ack_day_type: str


@dataclass(frozen=True)
class Deadline:
    """A computed due date, the rule behind it for people, and the holidays the count stepped over."""

    due_on: datetime.date
    rule: str
    is_statutory: bool
    holidays_skipped: tuple[tuple[datetime.date, str], ...] = ()

    @property
    def holidays_text(self) -> str:
        return "; ".join(f"{day.isoformat()} {name}" for day, name in self.holidays_skipped) or "none"


def check_jurisdiction(jurisdiction: str) -> str:
    """The jurisdiction as an upper-case postal code, or DeadlineError."""
    code = (jurisdiction or "").strip().upper()
    if code not in JURISDICTIONS:
        raise DeadlineError(f'Unknown jurisdiction "{jurisdiction}": use a state postal code, DC, or US.')
    return code


@lru_cache(maxsize=4096)
def legal_holidays(jurisdiction: str, year: int) -> Mapping[datetime.date, str]:
    """The jurisdiction's legal holidays in one year that close offices, cached per (jurisdiction, year)."""
    code = check_jurisdiction(jurisdiction)
    if code == FEDERAL:
        calendar = holidays.US(years=year, categories=("public", "government"))
    else:
        calendar = holidays.US(subdiv=code, years=year)
    optional = OPTIONAL_HOLIDAYS.get(code, frozenset())
    result = {}
    for day in calendar:
        names = [name for name in calendar.get_list(day) if name not in optional]
        if names:
            result[day] = "; ".join(names)
    return result


Overrides = Mapping[datetime.date, bool]


def overrides_from(rows: Iterable) -> tuple[tuple[datetime.date, bool], ...]:
    """ClosedDay rows (anything with .date and .closed) as a hashable, sorted override table."""
    return tuple(sorted((row.date, bool(row.closed)) for row in rows))


class BusinessCalendar:
    """Business days of one jurisdiction, as sorted ordinals for O(log n) counting; extends itself by year."""

    def __init__(self, jurisdiction: str, overrides: tuple[tuple[datetime.date, bool], ...] = ()):
        self.jurisdiction = check_jurisdiction(jurisdiction)
        self.overrides = dict(overrides)
        self.first_year = self.last_year = 0
        self._business: list[int] = []
        self._closed_named: list[int] = []  # weekday closures with a name (holidays, closed days)
        self._names: dict[int, str] = {}

    def _cover(self, first_year: int, last_year: int) -> None:
        if self._business and self.first_year <= first_year and last_year <= self.last_year:
            return
        if self._business:
            first_year, last_year = min(first_year, self.first_year), max(last_year, self.last_year)
        names: dict[int, str] = {}
        for year in range(first_year, last_year + 1):
            for day, name in legal_holidays(self.jurisdiction, year).items():
                names[day.toordinal()] = name
        for day, closed in self.overrides.items():
            if first_year <= day.year <= last_year:
                if closed:
                    names[day.toordinal()] = names.get(day.toordinal(), "closed (local override)")
                else:
                    names.pop(day.toordinal(), None)
        start = datetime.date(first_year, 1, 1).toordinal()
        end = datetime.date(last_year, 12, 31).toordinal()
        business, closed_named = [], []
        for ordinal in range(start, end + 1):
            weekend = (ordinal + 6) % 7 >= 5  # date.fromordinal(o).weekday() == (o + 6) % 7
            day_open = self.overrides.get(datetime.date.fromordinal(ordinal)) is False if weekend else False
            if ordinal in names:
                if not weekend:
                    closed_named.append(ordinal)
            elif not weekend or day_open:
                business.append(ordinal)
        self._business, self._closed_named, self._names = business, closed_named, names
        self.first_year, self.last_year = first_year, last_year

    def _index_after(self, day: datetime.date, n: int) -> int:
        """Index in _business of the nth business day after `day` (n >= 1), extending coverage as needed."""
        self._cover(day.year, day.year + 1 + n // 200)
        index = bisect_right(self._business, day.toordinal()) + n - 1
        while index >= len(self._business):
            self._cover(self.first_year, self.last_year + 1)
            index = bisect_right(self._business, day.toordinal()) + n - 1
        return index

    def is_business_day(self, day: datetime.date) -> bool:
        self._cover(day.year, day.year)
        index = bisect_left(self._business, day.toordinal())
        return index < len(self._business) and self._business[index] == day.toordinal()

    def add_business_days(self, day: datetime.date, n: int) -> datetime.date:
        """The nth business day after `day`; n == 0 gives `day` itself if open, else the next business day."""
        if n <= 0:
            return self.next_business_day(day, include_today=True)
        index = self._index_after(day, n)  # may rebuild self._business, so index first
        return datetime.date.fromordinal(self._business[index])

    def next_business_day(self, day: datetime.date, *, include_today: bool = False) -> datetime.date:
        if include_today and self.is_business_day(day):
            return day
        return self.add_business_days(day, 1)

    def business_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Business days after `start` up to and including `end` (negative when end is before start)."""
        if end < start:
            return -self.business_days_between(end, start)
        self._cover(start.year, end.year)
        return bisect_right(self._business, end.toordinal()) - bisect_right(self._business, start.toordinal())

    def holidays_between(
        self, start: datetime.date, end: datetime.date
    ) -> tuple[tuple[datetime.date, str], ...]:
        """Named weekday closures strictly after `start` up to and including `end`."""
        self._cover(start.year, end.year)
        low = bisect_right(self._closed_named, start.toordinal())
        high = bisect_right(self._closed_named, end.toordinal())
        return tuple((datetime.date.fromordinal(o), self._names[o]) for o in self._closed_named[low:high])


@lru_cache(maxsize=1024)
def calendar_for(
    jurisdiction: str, overrides: tuple[tuple[datetime.date, bool], ...] = ()
) -> BusinessCalendar:
    """A cached BusinessCalendar per (jurisdiction, overrides)."""
    return BusinessCalendar(jurisdiction, overrides)


def received_on_for(
    sent_at: datetime.datetime,
    *,
    calendar: BusinessCalendar,
    tz: datetime.tzinfo,
    business_hours_end: datetime.time,
) -> datetime.date:
    """The day the agency counts as having received a request sent at `sent_at` (aware datetime)."""
    if sent_at.tzinfo is None:
        raise DeadlineError("sent_at must be an aware datetime.")
    local = sent_at.astimezone(tz)
    if local.time() >= business_hours_end:
        return calendar.next_business_day(local.date())
    return calendar.next_business_day(local.date(), include_today=True)


def _days_text(n: int, day_type: str) -> str:
    unit = "business day" if day_type == BUSINESS else "calendar day"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _count(
    calendar: BusinessCalendar, start: datetime.date, n: int, day_type: str, since: str
) -> tuple[datetime.date, str, tuple[tuple[datetime.date, str], ...]]:
    """Due date, rule fragment and skipped holidays for n days of `day_type` after `start`."""
    if day_type == CALENDAR:
        end = start + datetime.timedelta(days=n)
        due = calendar.next_business_day(end, include_today=True)
        text = f"{_days_text(n, CALENDAR)} after {since} {start.isoformat()}"
        if due != end:
            text += f"; {end.isoformat()} ({end:%A}) is not a business day, so it rolls to the next one"
        return due, text, calendar.holidays_between(end - datetime.timedelta(days=1), due)
    due = calendar.add_business_days(start, n)
    text = f"{_days_text(n, BUSINESS)} after {since} {start.isoformat()}"
    return due, text, calendar.holidays_between(start, due)


def response_due(
    *, law: LawTerms, received_on: datetime.date, calendar: BusinessCalendar, default_followup_days: int
) -> Deadline:
    """The response deadline (or, where the law sets no number, our follow-up target) from receipt."""
    source = f"{law.law_name} ({law.citation})" if law.citation else law.law_name
    if law.day_type in (BUSINESS, CALENDAR) and law.response_days is not None:
        due, text, skipped = _count(calendar, received_on, law.response_days, law.day_type, "receipt on")
        return Deadline(due, f"{source}: response due {text}", True, skipped)
    due, text, skipped = _count(calendar, received_on, default_followup_days, BUSINESS, "receipt on")
    wording = f' ("{law.response_wording}")' if law.response_wording else ""
    rule = f"no statutory deadline{wording}; follow-up target {text}, set by the newsroom — {source}"
    return Deadline(due, rule, False, skipped)


def ack_due(*, law: LawTerms, received_on: datetime.date, calendar: BusinessCalendar) -> Deadline | None:
    """The acknowledgment deadline where the law has one, else None."""
    if not law.ack_days:
        return None
    day_type = law.ack_day_type if law.ack_day_type in (BUSINESS, CALENDAR) else BUSINESS
    due, text, skipped = _count(calendar, received_on, law.ack_days, day_type, "receipt on")
    return Deadline(due, f"acknowledgment due {text}", True, skipped)


def days_left(
    *, law: LawTerms, calendar: BusinessCalendar, today: datetime.date, due_on: datetime.date
) -> int:
    """Days left on the clock when it pauses today, in the law's own unit (never below zero)."""
    if law.day_type == CALENDAR and law.response_days is not None:
        return max(0, (due_on - today).days)
    return max(0, calendar.business_days_between(today, due_on))


def resumed_due(
    *, law: LawTerms, calendar: BusinessCalendar, resumed_on: datetime.date, days: int
) -> Deadline:
    """The due date when the clock runs again on `resumed_on` with `days` left in the law's unit."""
    statutory = law.day_type in (BUSINESS, CALENDAR) and law.response_days is not None
    day_type = law.day_type if statutory else BUSINESS
    due, text, skipped = _count(calendar, resumed_on, days, day_type, "the clock resumed on")
    label = "response due" if statutory else "follow-up target (no statutory deadline)"
    return Deadline(due, f"{label} {text} ({days} left when it paused)", statutory, skipped)
