"""The inputs of a request's legal clock: its law, that law's calendar, the agency's time zone and "today".

Shared by foia.lifecycle (which stores the dates) and the `deadline` command; the maths is foia.deadlines.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from . import deadlines
from .lifecycle_rules import LifecycleError
from .models import Law, RecordsRequest


def law_for(records_request: RecordsRequest) -> Law:
    """The law of the request's agency's jurisdiction, or LifecycleError."""
    state = records_request.agency.state
    law = records_request.agency.law
    if law is None:
        raise LifecycleError(
            f'No law data for jurisdiction "{state}" (agency {records_request.agency.name}): '
            "load it with `manage.py load_laws` or add it in the admin."
        )
    return law


def calendar_for_law(law: Law) -> deadlines.BusinessCalendar:
    """The law's business days with its ClosedDay rows applied (cached per set of overrides)."""
    try:
        return deadlines.calendar_for(law.jurisdiction, deadlines.overrides_from(law.closed_days.all()))
    except deadlines.DeadlineError as error:
        raise LifecycleError(str(error)) from None


def business_hours_end() -> datetime.time:
    """FOIA_BUSINESS_HOURS_END as a time (the agency's local end of the business day)."""
    try:
        return datetime.time.fromisoformat(settings.FOIA_BUSINESS_HOURS_END)
    except ValueError:
        raise LifecycleError(
            f"FOIA_BUSINESS_HOURS_END={settings.FOIA_BUSINESS_HOURS_END!r} is not HH:MM."
        ) from None


def agency_zone(agency) -> ZoneInfo:
    """The agency's own time zone: its override, else its state's main zone (never the newsroom's)."""
    try:
        return ZoneInfo(deadlines.time_zone_for(agency.state, agency.time_zone))
    except (deadlines.DeadlineError, KeyError, ValueError):
        raise LifecycleError(
            f'time_zone: "{agency.time_zone or agency.state}" of {agency.name} is not a known time zone.'
        ) from None


def agency_today(agency) -> datetime.date:
    """Today where the agency is."""
    return timezone.localdate(timezone=agency_zone(agency))


def request_clock(rr: RecordsRequest, law: Law, calendar) -> deadlines.Clock:
    """Acknowledgment and response deadlines from the request's stored receipt and acknowledgment."""
    try:
        return deadlines.clock(
            terms=deadlines.terms_for(law),
            calendar=calendar,
            received_on=rr.received_on,
            acknowledged_on=rr.acknowledged_on,
            default_followup_days=settings.FOIA_DEFAULT_FOLLOWUP_DAYS,
        )
    except deadlines.DeadlineError as error:
        raise LifecycleError(str(error)) from None


def due_reason(label: str, clock: deadlines.Clock) -> str:
    """The reason written on a due-date event: the response rule, then the acknowledgment's."""
    reason = f"{label}: {clock.due.rule}."
    if clock.ack:
        reason += f" {clock.ack.rule[0].upper()}{clock.ack.rule[1:]}: {clock.ack.due_on}."
    return reason


def ack_late_text(rr: RecordsRequest, law: Law, calendar) -> str:
    """ "acknowledged 3 business days late" when the stored acknowledgment was after its deadline, else ""."""
    if rr.acknowledged_on is None or rr.ack_due_on is None:
        return ""
    return deadlines.ack_lateness(
        terms=deadlines.terms_for(law),
        calendar=calendar,
        ack_due_on=rr.ack_due_on,
        acknowledged_on=rr.acknowledged_on,
    )


def checked_receipt_date(received_on, *, sent_on: datetime.date, today: datetime.date) -> datetime.date:
    """The agency's receipt date as entered, or a LifecycleError naming received_on."""
    if not isinstance(received_on, datetime.date) or isinstance(received_on, datetime.datetime):
        raise LifecycleError(
            {"received_on": ["Give the date the agency received the request, e.g. 2026-03-12."]}
        )
    if received_on < sent_on:
        raise LifecycleError({"received_on": [f"{received_on} is before it was sent ({sent_on})."]})
    if received_on > today:
        raise LifecycleError(
            {"received_on": [f"{received_on} is in the future; give the day the agency received it."]}
        )
    return received_on
