"""The statutory clock: receipt, acknowledgment, response, pause or restart, extension limits (pure).

Conventions (README, "Deadlines"):
- "Within N business days of receipt": receipt is day 0; the due date is the Nth business day after it.
- "Within N calendar days": received_on + N, rolled forward to the next business day when it lands on a
  weekend or closed day.
- Receipt happens in the agency's own time zone: sent at or after the end of business hours, or on a closed
  day, it counts from the next business day. Channel rules come from clocks.csv (Michigan: email, fax and
  portal are received 1 business day after sending). Mail is received on the date a person enters, else
  estimated MAIL_DAYS business days after posting and marked as estimated.
- Two-stage laws: acknowledge within A; respond within R counted from receipt, from the acknowledgment (its
  actual date if known, else the last lawful day) or from the acknowledgment deadline.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .calendar import BUSINESS, CALENDAR, BusinessCalendar, DeadlineError
from .rules import FROM_ACK, FROM_ACK_DEADLINE, FROM_RECEIPT, RESTART, ClockRow, shipped_clock_rows

MAIL_DAYS = 3  # our estimate for First-Class mail, not law: shown as estimated until a person enters the date
Skipped = tuple[tuple[datetime.date, str], ...]


@dataclass(frozen=True)
class Deadline:
    """A computed due date, the rule behind it for people, and the closed days the count stepped over."""

    due_on: datetime.date
    rule: str
    is_statutory: bool
    holidays_skipped: Skipped = ()

    @property
    def holidays_text(self) -> str:
        return "; ".join(f"{day.isoformat()} {name}" for day, name in self.holidays_skipped) or "none"


@dataclass(frozen=True)
class Receipt:
    """The day the law counts a request as received, whether it is our estimate, and why it moved."""

    received_on: datetime.date
    estimated: bool
    reason: str
    skipped: Skipped = ()


@dataclass(frozen=True)
class Terms:
    """One jurisdiction's clock: the Law row merged with its clocks.csv row."""

    jurisdiction: str
    source: str
    response_days: int | None
    response_day_type: str
    response_section: str
    response_wording: str
    response_from: str
    ack_days: int | None
    ack_day_type: str
    ack_section: str
    row: ClockRow

    @property
    def statutory(self) -> bool:
        return self.response_day_type in (BUSINESS, CALENDAR) and self.response_days is not None

    @property
    def two_stage(self) -> bool:
        return bool(self.ack_days) and self.response_from != FROM_RECEIPT

    @property
    def restarts(self) -> bool:
        return self.row.clarification == RESTART

    def older(self) -> Terms:
        """The record-age track (South Carolina: records more than 24 months old), or self."""
        row = self.row
        if not row.older_after_months:
            return self
        section = row.older_section or self.response_section
        return Terms(
            **{
                **self.__dict__,
                "ack_days": row.older_ack_days or self.ack_days,
                "response_days": row.older_response_days or self.response_days,
                "ack_section": section,
                "response_section": section,
            },
        )


def terms_for(law) -> Terms:
    """A Law-like object (jurisdiction, law_name, citation, response_days ...) merged with its clocks row."""
    row = shipped_clock_rows().get(law.jurisdiction) or ClockRow(jurisdiction=law.jurisdiction)
    source = law.law_name or law.jurisdiction
    ack_days = row.ack_days if row.ack_days is not None else getattr(law, "ack_days", None)
    ack_type = row.ack_day_type if row.ack_days is not None else getattr(law, "ack_day_type", "")
    return Terms(
        jurisdiction=law.jurisdiction,
        source=source,
        response_days=row.response_days if row.response_days is not None else law.response_days,
        response_day_type=row.response_day_type or law.day_type,
        response_section=row.response_section or law.citation,
        response_wording=getattr(law, "response_wording", ""),
        response_from=row.response_from,
        ack_days=ack_days or None,
        ack_day_type=ack_type if ack_type in (BUSINESS, CALENDAR) else BUSINESS,
        ack_section=row.ack_section or law.citation,
        row=row,
    )


def _days_text(n: int, day_type: str) -> str:
    unit = "business day" if day_type == BUSINESS else "calendar day"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def count(
    calendar: BusinessCalendar, start: datetime.date, n: int, day_type: str, since: str
) -> tuple[datetime.date, str, Skipped]:
    """Due date, rule fragment and skipped closed days for n days of `day_type` after `start` (day 0)."""
    if day_type == CALENDAR:
        end = start + datetime.timedelta(days=n)
        due = calendar.next_business_day(end, include_today=True)
        text = f"{_days_text(n, CALENDAR)} after {since} {start.isoformat()}"
        if due != end:
            text += f"; {end.isoformat()} ({end:%A}) is not a business day, so it rolls to {due.isoformat()}"
        return due, text, calendar.holidays_between(end - datetime.timedelta(days=1), due)
    due = calendar.add_business_days(start, n)
    text = f"{_days_text(n, BUSINESS)} after {since} {start.isoformat()}"
    return due, text, calendar.holidays_between(start, due)


def _closed_reason(calendar: BusinessCalendar, day: datetime.date) -> str:
    names = dict(calendar.holidays_between(day - datetime.timedelta(days=1), day))
    if day in names:
        return f"{day.isoformat()} is closed ({names[day]})"
    return f"{day.isoformat()} is a {day:%A}"


def receipt(sent_at: datetime.datetime, **kwargs) -> Receipt:
    """When the law counts a request sent at `sent_at` (aware) as received, why, and closed days passed."""
    result = _receipt(sent_at, **kwargs)
    start = min(sent_at.astimezone(kwargs["tz"]).date(), result.received_on) - datetime.timedelta(days=1)
    skipped = kwargs["calendar"].holidays_between(start, result.received_on)
    return Receipt(result.received_on, result.estimated, result.reason, skipped)


def _receipt(
    sent_at: datetime.datetime,
    *,
    terms: Terms,
    calendar: BusinessCalendar,
    tz: datetime.tzinfo,
    business_hours_end: datetime.time,
    via: str = "email",
    received_on: datetime.date | None = None,
) -> Receipt:
    """When the law counts a request sent at `sent_at` (aware) by `via` as received, and why."""
    if sent_at.tzinfo is None:
        raise DeadlineError("sent_at must be an aware datetime.")
    local = sent_at.astimezone(tz)
    day = local.date()
    if received_on is not None:
        if received_on < day:
            raise DeadlineError(f"received {received_on} is before it was sent ({day}).")
        counted = calendar.next_business_day(received_on, include_today=True)
        reason = f"received {received_on.isoformat()} (entered)"
        if counted != received_on:
            reason += f"; {_closed_reason(calendar, received_on)}, so it counts from {counted.isoformat()}"
        return Receipt(counted, False, reason)
    sent = f"sent {local:%Y-%m-%d %H:%M} {tz} by {via}"
    row = terms.row
    if via in row.electronic_channels and row.electronic_receipt_days:
        n = row.electronic_receipt_days
        counted = calendar.add_business_days(day, n)
        after = _days_text(n, BUSINESS)
        rule = f"{row.receipt_section}: a request by {via} is received {after} after it is sent"
        return Receipt(counted, False, f"{sent}; {rule}")
    if via == "mail":
        counted = calendar.add_business_days(day, MAIL_DAYS)
        return Receipt(
            counted,
            True,
            f"{sent}; estimated: {_days_text(MAIL_DAYS, BUSINESS)} for delivery, until the agency's "
            "receipt date is entered",
        )
    if local.time() >= business_hours_end:
        counted = calendar.next_business_day(day)
        return Receipt(counted, False, f"{sent}, after business hours ({business_hours_end:%H:%M}) there")
    counted = calendar.next_business_day(day, include_today=True)
    if counted != day:
        return Receipt(
            counted,
            False,
            f"{sent}; {_closed_reason(calendar, day)}, so it counts from the next business day",
        )
    return Receipt(counted, False, sent)


@dataclass(frozen=True)
class Clock:
    """Everything one computation says: acknowledgment and response deadlines."""

    ack: Deadline | None
    due: Deadline

    @property
    def skipped(self) -> Skipped:
        days = dict(self.due.holidays_skipped)
        if self.ack:
            days.update(self.ack.holidays_skipped)
        return tuple(sorted(days.items()))

    @property
    def skipped_text(self) -> str:
        return "; ".join(f"{day.isoformat()} {name}" for day, name in self.skipped) or "none"


def ack_deadline(*, terms: Terms, calendar: BusinessCalendar, received_on: datetime.date) -> Deadline | None:
    """The acknowledgment deadline where the law has one, else None."""
    if not terms.ack_days:
        return None
    due, text, skipped = count(calendar, received_on, terms.ack_days, terms.ack_day_type, "receipt on")
    return Deadline(due, f"acknowledge within {text} ({terms.ack_section})", True, skipped)


def ack_lateness(
    *, terms: Terms, calendar: BusinessCalendar, ack_due_on: datetime.date, acknowledged_on: datetime.date
) -> str:
    """ "acknowledged 3 business days late" when the acknowledgment came after its deadline, else ""."""
    if acknowledged_on <= ack_due_on:
        return ""
    late, unit = (acknowledged_on - ack_due_on).days, "calendar"
    business = calendar.business_days_between(ack_due_on, acknowledged_on)
    # Counted in the law's own unit; a weekend acknowledgment after a Friday deadline stays in calendar days.
    if terms.ack_day_type != CALENDAR and business:
        late, unit = business, "business"
    return f"acknowledged {late} {unit} day{'s' if late != 1 else ''} late"


def clock(
    *,
    terms: Terms,
    calendar: BusinessCalendar,
    received_on: datetime.date,
    default_followup_days: int,
    acknowledged_on: datetime.date | None = None,
) -> Clock:
    """The acknowledgment and response deadlines counted from receipt (and the acknowledgment)."""
    ack = ack_deadline(terms=terms, calendar=calendar, received_on=received_on)
    if acknowledged_on is not None and acknowledged_on < received_on:
        raise DeadlineError(f"acknowledged {acknowledged_on} is before receipt ({received_on}).")
    if not terms.statutory:
        due, text, skipped = count(calendar, received_on, default_followup_days, BUSINESS, "receipt on")
        wording = f' ("{terms.response_wording}")' if terms.response_wording else ""
        rule = (
            f"no statutory deadline{wording}; follow-up target {text}, set by the newsroom — {terms.source}"
        )
        return Clock(ack, Deadline(due, rule, False, skipped))
    start, since = received_on, "receipt on"
    if ack and terms.response_from == FROM_ACK_DEADLINE:
        start, since = ack.due_on, "the acknowledgment deadline"
    elif ack and terms.response_from == FROM_ACK:
        if acknowledged_on is not None:
            start, since = acknowledged_on, "the acknowledgment on"
        else:
            start, since = ack.due_on, "the acknowledgment (assumed on its last lawful day)"
    due, text, skipped = count(calendar, start, terms.response_days, terms.response_day_type, since)
    rule = f"{terms.source}: response due {text} ({terms.response_section})"
    return Clock(ack, Deadline(due, rule, True, skipped))


def days_left(
    *, terms: Terms, calendar: BusinessCalendar, today: datetime.date, due_on: datetime.date
) -> int:
    """Days left on the clock when it pauses today, in the law's own unit (never below zero)."""
    if terms.response_day_type == CALENDAR and terms.statutory:
        return max(0, (due_on - today).days)
    return max(0, calendar.business_days_between(today, due_on))


def resumed(*, terms: Terms, calendar: BusinessCalendar, resumed_on: datetime.date, days: int) -> Deadline:
    """The due date when the clock runs again on `resumed_on`: restarted in full, or with `days` left."""
    statutory = terms.statutory
    day_type = terms.response_day_type if statutory else BUSINESS
    if statutory and terms.restarts:
        section = terms.row.clarification_section or terms.response_section
        due, text, skipped = count(
            calendar, resumed_on, terms.response_days, day_type, "the clarification on"
        )
        rule = (
            f"{terms.source}: the clock restarts; response due {text} ({terms.response_section}; {section})"
        )
        return Deadline(due, rule, True, skipped)
    due, text, skipped = count(calendar, resumed_on, days, day_type, "the clock resumed on")
    if statutory:
        section = terms.row.clarification_section or terms.response_section
        rule = f"{terms.source}: paused, response due {text} ({days} left when it paused; {section})"
    else:
        rule = f"follow-up target (no statutory deadline) {text} ({days} left when it paused)"
    return Deadline(due, rule, statutory, skipped)


def extension_limit(
    *, terms: Terms, calendar: BusinessCalendar, due_on: datetime.date, law=None
) -> tuple[datetime.date, str] | None:
    """The latest date an extension may reach under the law, with its citation; None where none is set."""
    row = terms.row
    days = row.extension_days if row.extension_days is not None else getattr(law, "extension_days", None)
    day_type = row.extension_day_type or getattr(law, "extension_day_type", "") or terms.response_day_type
    if not days or not terms.statutory:
        return None
    section = row.extension_section or getattr(law, "citation", "")
    limit = (
        due_on + datetime.timedelta(days=days)
        if day_type == CALENDAR
        else calendar.add_business_days(due_on, days)
    )
    return limit, f"at most {_days_text(days, day_type)} more ({section})"
