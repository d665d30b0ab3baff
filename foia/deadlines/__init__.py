"""Business-day and statute maths: pure functions over dates, law terms and closed-day overrides.

Nothing here reads the clock, the settings or the database; callers (foia.lifecycle, the `deadline` command)
pass `today`, the time zone, business hours and the ClosedDay overrides in. calendar.py: business days;
rules.py: the clock and holiday data files; clock.py: receipt, acknowledgment, response, pauses, extensions.
"""

from __future__ import annotations

import datetime

from .calendar import (
    BUSINESS,
    CALENDAR,
    FEDERAL,
    JURISDICTIONS,
    NONE,
    OPTIONAL_HOLIDAYS,
    STATE_TIME_ZONES,
    STATES,
    BusinessCalendar,
    DeadlineError,
    calendar_for,
    check_jurisdiction,
    legal_holidays,
    overrides_from,
    time_zone_for,
)
from .clock import (
    FROM_ACK,
    FROM_ACK_DEADLINE,
    FROM_RECEIPT,
    MAIL_DAYS,
    Clock,
    Deadline,
    Receipt,
    Terms,
    ack_deadline,
    ack_lateness,
    clock,
    extension_limit,
    receipt,
    resumed,
    terms_for,
)
from .clock import days_left as clock_days_left
from .rules import RuleFileError, shipped_clock_rows, shipped_holiday_fixes

__all__ = [
    "BUSINESS",
    "CALENDAR",
    "FEDERAL",
    "JURISDICTIONS",
    "MAIL_DAYS",
    "NONE",
    "OPTIONAL_HOLIDAYS",
    "STATES",
    "STATE_TIME_ZONES",
    "BusinessCalendar",
    "Clock",
    "Deadline",
    "DeadlineError",
    "Receipt",
    "RuleFileError",
    "Terms",
    "ack_deadline",
    "ack_lateness",
    "ack_due",
    "calendar_for",
    "check_jurisdiction",
    "clock",
    "clock_days_left",
    "FROM_ACK",
    "FROM_ACK_DEADLINE",
    "FROM_RECEIPT",
    "days_left",
    "extension_limit",
    "legal_holidays",
    "overrides_from",
    "receipt",
    "received_on_for",
    "response_due",
    "resumed",
    "resumed_due",
    "shipped_clock_rows",
    "shipped_holiday_fixes",
    "terms_for",
    "time_zone_for",
]


def response_due(
    *, law, received_on: datetime.date, calendar: BusinessCalendar, default_followup_days: int
) -> Deadline:
    """The response deadline (or our follow-up target) from receipt, the acknowledgment assumed on time."""
    return clock(
        terms=terms_for(law),
        calendar=calendar,
        received_on=received_on,
        default_followup_days=default_followup_days,
    ).due


def ack_due(*, law, received_on: datetime.date, calendar: BusinessCalendar) -> Deadline | None:
    """The acknowledgment deadline where the law has one, else None."""
    return ack_deadline(terms=terms_for(law), calendar=calendar, received_on=received_on)


def days_left(*, law, calendar: BusinessCalendar, today: datetime.date, due_on: datetime.date) -> int:
    """Days left on the clock when it pauses today, in the law's own unit."""
    return clock_days_left(terms=terms_for(law), calendar=calendar, today=today, due_on=due_on)


def resumed_due(*, law, calendar: BusinessCalendar, resumed_on: datetime.date, days: int) -> Deadline:
    """The due date when the clock runs again (restarted in full where the law says so)."""
    return resumed(terms=terms_for(law), calendar=calendar, resumed_on=resumed_on, days=days)


def received_on_for(
    sent_at: datetime.datetime,
    *,
    calendar: BusinessCalendar,
    tz: datetime.tzinfo,
    business_hours_end: datetime.time,
) -> datetime.date:
    """The day a request sent by email at `sent_at` counts as received, under no channel rule."""
    from .rules import ClockRow

    terms = Terms(
        calendar.jurisdiction,
        "",
        None,
        "none",
        "",
        "",
        "receipt",
        None,
        "",
        "",
        ClockRow(calendar.jurisdiction),
    )
    return receipt(
        sent_at, terms=terms, calendar=calendar, tz=tz, business_hours_end=business_hours_end
    ).received_on
