"""Business days per jurisdiction: the `holidays` package, fixed by data/holidays.csv, then ClosedDay rows.

A business day is a weekday that is not a legal holiday of the jurisdiction (the `holidays` package, category
"public"; for "US" also "government", i.e. executive-order closures), minus the optional holidays in
OPTIONAL_HOLIDAYS, corrected by the curated file (each change with its citation), with per-jurisdiction
ClosedDay overrides applied last (closed=True adds a closed day, closed=False opens a holiday).
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from functools import lru_cache

import holidays

from ..jurisdictions import FEDERAL, JURISDICTIONS, STATES  # noqa: F401 -- re-exported by the package
from .rules import shipped_holiday_fixes

BUSINESS = "business"
CALENDAR = "calendar"
NONE = "none"

# Holidays the `holidays` package lists as public for a state on which offices stay open: employees may take
# them, agencies still count the day (e.g. Tex. Gov't Code 662.003(c) optional holidays).
OPTIONAL_HOLIDAYS: dict[str, frozenset[str]] = {
    "TX": frozenset({"Cesar Chavez Day", "Good Friday", "Rosh Hashanah", "Yom Kippur"}),
}


class DeadlineError(ValueError):
    """A deadline cannot be computed: unknown jurisdiction or an impossible input."""


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
    for day, closed, name, _citation in shipped_holiday_fixes().get(code, ()):
        if day.year != year:
            continue
        if closed:
            result[day] = name
        else:
            result.pop(day, None)
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


# The time zone covering most of each state; Agency.time_zone overrides it for the parts in another zone
# (El Paso, the Florida panhandle, Michigan's Upper Peninsula border counties, western Kentucky ...).
_EASTERN = "CT DC DE FL GA KY MA MD ME NC NH NJ NY OH PA RI SC VA VT WV"
_CENTRAL = "AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI"
STATE_TIME_ZONES: dict[str, str] = {
    **dict.fromkeys(_EASTERN.split(), "America/New_York"),
    **dict.fromkeys(_CENTRAL.split(), "America/Chicago"),
    **dict.fromkeys(["CO", "MT", "NM", "UT", "WY"], "America/Denver"),
    "AZ": "America/Phoenix",
    "ID": "America/Boise",
    "IN": "America/Indiana/Indianapolis",
    "MI": "America/Detroit",
    "CA": "America/Los_Angeles",
    "NV": "America/Los_Angeles",
    "OR": "America/Los_Angeles",
    "WA": "America/Los_Angeles",
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    FEDERAL: "America/New_York",
}


def time_zone_for(jurisdiction: str, override: str = "") -> str:
    """The agency's IANA time zone: its own override, else its state's main zone."""
    return override or STATE_TIME_ZONES[check_jurisdiction(jurisdiction)]
