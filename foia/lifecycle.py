"""A request's life: status transitions, the statutory clock (pause/resume), extensions and notes.

Every change is written as RequestEvent rows on the request's timeline, with the time and the person; every
recomputation of due_on is a RequestEvent(kind=due_date) with due_before, due_after and the reason.

Allowed transitions (TRANSITIONS in foia.lifecycle_rules, with the field rules every door shares):

    draft            -> sent (only via request_mark_sent: it needs the sent date), withdrawn
    sent             -> acknowledged, processing, fix_required, payment_required, partial, completed,
                        rejected, no_records, withdrawn
    acknowledged     -> the same, minus acknowledged
    processing       -> the same, minus acknowledged and processing
    fix_required     -> acknowledged, processing, payment_required, partial, completed, rejected, no_records,
                        withdrawn
    payment_required -> processing, fix_required, partial, completed, rejected, no_records, withdrawn
    partial          -> processing, fix_required, payment_required, completed, rejected, no_records,
                        appealed, withdrawn
    rejected, no_records -> appealed            (closed: reopen only by appeal)
    sent, acknowledged, processing -> appealed  only past a statutory due date (a deemed denial)
    appealed         -> processing, fix_required, payment_required, partial, completed, rejected,
                        no_records, withdrawn
    completed, withdrawn -> nothing             (final)

The clock: fix_required and payment_required pause it (paused_on, paused_days_left in the law's unit, due_on
cleared); moving back to a status where the agency owes an answer resumes it with the days that were left.
An appeal starts a new follow-up target (FOIA_DEFAULT_FOLLOWUP_DAYS business days; not statutory: appeal
clocks are in Law.appeal_path, not modelled). Overdue is derived (open status and due_on < today), not a
status.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from . import deadlines
from .clocks import (
    ack_late_text,
    agency_today,
    agency_zone,
    business_hours_end,
    calendar_for_law,
    checked_receipt_date,
    due_reason,
    law_for,
    request_clock,
)
from .lifecycle_rules import (  # noqa: F401 (the doors import the rules from here)
    MAX_TEXT,
    TRANSITIONS,
    LifecycleError,
    allowed_transitions,
    check_transition,
    parse_fee,
)
from .models import Law, RecordsRequest, RequestEvent, RequestEventKind, SendMethod, Status
from .models.request import CLOSED_STATUSES, OPEN_STATUSES, PAUSED_STATUSES

S = Status
# Sent dates this far ahead of the server clock are tolerated (clock skew between machines).
SENT_AT_SKEW = datetime.timedelta(minutes=5)
# A claimed extension further out than this is a mistyped year, not an agency's letter.
MAX_EXTENSION = datetime.timedelta(days=730)


def _locked(records_request: RecordsRequest) -> RecordsRequest:
    return (
        RecordsRequest.objects.select_for_update()
        .select_related("agency", "campaign")
        .get(pk=records_request.pk)
    )


def _event(rr: RecordsRequest, kind: str, actor, **fields) -> RequestEvent:
    return RequestEvent(request=rr, kind=kind, actor=actor if getattr(actor, "pk", None) else None, **fields)


def _set_due(rr: RecordsRequest, due: deadlines.Deadline | None, reason: str, actor, events: list) -> None:
    """Store a new due date (or none while paused) with the reason, as a due_date event."""
    before = rr.due_on
    rr.due_on = due.due_on if due else None
    if due:
        rr.due_rule = due.rule[:400]
        rr.due_is_statutory = due.is_statutory
        rr.next_followup_on = due.due_on + datetime.timedelta(days=1)
    else:
        rr.next_followup_on = None
    message = reason
    if due and due.holidays_skipped:
        message += f" Holidays skipped: {due.holidays_text}."
    events.append(
        _event(rr, RequestEventKind.DUE_DATE, actor, due_before=before, due_after=rr.due_on, message=message)
    )


def _finish(rr: RecordsRequest, events: list, records_request: RecordsRequest) -> RecordsRequest:
    rr.save()
    RequestEvent.objects.bulk_create(events)
    records_request.refresh_from_db()
    return rr


def request_mark_sent(
    *,
    records_request: RecordsRequest,
    sent_at: datetime.datetime,
    method: str,
    reference: str = "",
    received_on: datetime.date | None = None,
    actor=None,
) -> RecordsRequest:
    """Draft -> sent: freeze the letter, compute received_on, ack_due_on and due_on, write the events.

    received_on is the agency's actual receipt date when known (mail, fax, hand); without it, mail gets an
    estimate marked as such and every other channel follows the law's receipt rule.
    """
    if sent_at is None or timezone.is_naive(sent_at):
        raise LifecycleError({"sent_at": ["Give the date and time it was sent (time-zone aware)."]})
    if sent_at > timezone.now() + SENT_AT_SKEW:
        raise LifecycleError(
            {"sent_at": [f"{sent_at:%Y-%m-%d %H:%M} is in the future; give the date it was sent."]}
        )
    if method not in SendMethod.values:
        raise LifecycleError({"method": [f'"{method}" is not one of {", ".join(SendMethod.values)}.']})
    with transaction.atomic():
        rr = _locked(records_request)
        if rr.status != S.DRAFT:
            raise LifecycleError(
                f"{rr.tracking_number} is already {rr.get_status_display().lower()}, not a draft."
            )
        law = law_for(rr)
        calendar = calendar_for_law(law)
        tz = agency_zone(rr.agency)
        if received_on is not None:
            today = timezone.localdate(timezone=tz)
            checked_receipt_date(received_on, sent_on=sent_at.astimezone(tz).date(), today=today)
        try:
            receipt = deadlines.receipt(
                sent_at,
                terms=deadlines.terms_for(law),
                calendar=calendar,
                tz=tz,
                business_hours_end=business_hours_end(),
                via=method,
                received_on=received_on,
            )
        except deadlines.DeadlineError as error:
            raise LifecycleError({"received_on": [str(error)]}) from None
        now = timezone.now()
        rr.status, rr.sent_at, rr.send_method, rr.sent_reference = S.SENT, sent_at, method, reference[:120]
        rr.letter_frozen_at = rr.letter_frozen_at or now
        rr.received_on, rr.receipt_estimated = receipt.received_on, receipt.estimated
        rr.receipt_reason = receipt.reason[:400]
        clock = request_clock(rr, law, calendar)
        rr.ack_due_on = clock.ack.due_on if clock.ack else None
        local = sent_at.astimezone(tz)
        estimated = " (estimated until the receipt date is entered)" if receipt.estimated else ""
        events = [
            _event(
                rr,
                RequestEventKind.SENT,
                actor,
                from_status=S.DRAFT,
                to_status=S.SENT,
                message=f"Sent by {SendMethod(method).label.lower()} on {local:%Y-%m-%d %H:%M %Z}"
                f"{f' (ref. {reference})' if reference else ''}; counts as received on "
                f"{receipt.received_on}{estimated}: {receipt.reason}.",
            )
        ]
        _set_due(rr, clock.due, due_reason("Sent", clock), actor, events)
        return _finish(rr, events, records_request)


def request_record_receipt(
    *, records_request: RecordsRequest, received_on: datetime.date, actor=None
) -> RecordsRequest:
    """A person enters the day the agency actually received the request; the clock is counted again."""
    with transaction.atomic():
        rr = _locked(records_request)
        if rr.sent_at is None:
            raise LifecycleError(f"{rr.tracking_number} has not been sent yet.")
        tz = agency_zone(rr.agency)
        today = timezone.localdate(timezone=tz)
        checked_receipt_date(received_on, sent_on=rr.sent_at.astimezone(tz).date(), today=today)
        law = law_for(rr)
        calendar = calendar_for_law(law)
        counted = calendar.next_business_day(received_on, include_today=True)
        before = rr.received_on
        rr.received_on, rr.receipt_estimated = counted, False
        rr.receipt_reason = f"received {received_on} (entered)" + (
            f"; counts from the next business day {counted}" if counted != received_on else ""
        )
        events = [
            _event(
                rr,
                RequestEventKind.NOTE,
                actor,
                message=f"Receipt date entered: {received_on} (was {before}"
                f"{', estimated' if records_request.receipt_estimated else ''}).",
            )
        ]
        clock = request_clock(rr, law, calendar)
        rr.ack_due_on = clock.ack.due_on if clock.ack else None
        if rr.status in (S.SENT, S.ACKNOWLEDGED, S.PROCESSING) and rr.paused_on is None:
            _set_due(rr, clock.due, due_reason("Receipt date entered", clock), actor, events)
        return _finish(rr, events, records_request)


def _pause(rr: RecordsRequest, law: Law, to_status: str, today: datetime.date, actor, events: list) -> None:
    calendar = calendar_for_law(law)
    terms = deadlines.terms_for(law)
    days = (
        deadlines.clock_days_left(terms=terms, calendar=calendar, today=today, due_on=rr.due_on)
        if rr.due_on
        else 0
    )
    unit = "calendar" if terms.response_day_type == deadlines.CALENDAR and terms.statutory else "business"
    if terms.restarts and terms.statutory:
        days = terms.response_days  # the full clock runs again when the requester answers
    rr.paused_on, rr.paused_days_left = today, days
    how = "it restarts in full when the requester answers" if terms.restarts else f"{days} {unit} days left"
    _set_due(rr, None, f"Clock paused ({Status(to_status).label.lower()}): {how}.", actor, events)


def _resume(rr: RecordsRequest, law: Law, to_status: str, today: datetime.date, actor, events: list) -> None:
    calendar = calendar_for_law(law)
    days = rr.paused_days_left or 0
    due = deadlines.resumed(terms=deadlines.terms_for(law), calendar=calendar, resumed_on=today, days=days)
    rr.paused_on, rr.paused_days_left = None, None
    _set_due(rr, due, f"Clock resumed ({Status(to_status).label.lower()}): {due.rule}.", actor, events)


def _acknowledge(rr: RecordsRequest, today: datetime.date, actor, events: list) -> None:
    """Record the acknowledgment date; where the response clock counts from it, the due date moves."""
    rr.acknowledged_on = rr.acknowledged_on or today
    law = rr.agency.law
    if law is None:
        return
    late = ack_late_text(rr, law, calendar_for_law(law))
    if late:
        still = ""
        if deadlines.terms_for(law).response_from == deadlines.FROM_ACK:
            still = "; the response is still counted from the actual acknowledgment, as the law says"
        message = f"{late[0].upper()}{late[1:]} (acknowledgment was due {rr.ack_due_on}{still})."
        events.append(_event(rr, RequestEventKind.NOTE, actor, message=message))
    if rr.paused_on or rr.received_on is None:
        return
    if deadlines.terms_for(law).response_from != deadlines.FROM_ACK:
        return
    clock = request_clock(rr, law, calendar_for_law(law))
    if clock.due.due_on != rr.due_on:
        _set_due(rr, clock.due, due_reason(f"Acknowledged on {rr.acknowledged_on}", clock), actor, events)


def _appeal(rr: RecordsRequest, law: Law, to_status: str, today: datetime.date, actor, events: list) -> None:
    calendar = calendar_for_law(law)
    days = settings.FOIA_DEFAULT_FOLLOWUP_DAYS
    rule = (
        f"appeal filed {today}: follow-up target {days} business days later, set by the newsroom "
        "(the appeal's own clock is in the law's appeal path)"
    )
    due = deadlines.Deadline(calendar.add_business_days(today, days), rule, False, ())
    rr.closed_at = None
    _set_due(rr, due, f"Appealed: {rule}.", actor, events)


def request_transition(
    *,
    records_request: RecordsRequest,
    to_status: str,
    actor=None,
    note: str = "",
    fee_amount: Decimal | str | None = None,
    exemptions: str = "",
    today: datetime.date | None = None,
) -> RecordsRequest:
    """Move a request to `to_status` if check_transition allows it; pause/resume the clock; write events."""
    today = today or agency_today(records_request.agency)
    with transaction.atomic():
        rr = _locked(records_request)
        from_status = rr.status
        fee = check_transition(
            from_status=from_status,
            to_status=to_status,
            fee_amount=fee_amount,
            exemptions=exemptions,
            note=note,
            deemed_denial=bool(rr.due_is_statutory and rr.due_on and rr.due_on < today),
        )
        events = [
            _event(
                rr,
                RequestEventKind.STATUS,
                actor,
                from_status=from_status,
                to_status=to_status,
                message=note.strip(),
            )
        ]
        if to_status == S.ACKNOWLEDGED and from_status == S.SENT:
            _acknowledge(rr, today, actor, events)
        pausing = to_status in PAUSED_STATUSES and from_status not in PAUSED_STATUSES
        resuming = from_status in PAUSED_STATUSES and to_status in OPEN_STATUSES
        if pausing or resuming or to_status == S.APPEALED:
            clock = _pause if pausing else _resume if resuming else _appeal
            clock(rr, law_for(rr), to_status, today, actor, events)
        now = timezone.now()
        if to_status in CLOSED_STATUSES:
            rr.closed_at, rr.paused_on, rr.paused_days_left, rr.next_followup_on = now, None, None, None
        if rr.first_response_at is None and from_status != S.DRAFT and to_status != S.WITHDRAWN:
            rr.first_response_at = now
        if fee is not None:
            rr.fee_amount = fee
        if exemptions.strip():
            rr.exemptions_cited = exemptions.strip()
        rr.status = to_status
        return _finish(rr, events, records_request)


def request_claim_extension(
    *, records_request: RecordsRequest, new_due_on: datetime.date, reason: str, actor=None
) -> RecordsRequest:
    """Record an extension the agency claimed: a later due date and its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleError({"reason": ["Say why the agency extended (quote its letter)."]})
    if len(reason) > MAX_TEXT:
        raise LifecycleError({"reason": [f"At most {MAX_TEXT} characters."]})
    if not isinstance(new_due_on, datetime.date):
        raise LifecycleError({"new_due_on": ["Give the new due date."]})
    if new_due_on > timezone.localdate() + MAX_EXTENSION:
        raise LifecycleError({"new_due_on": [f"{new_due_on} is more than two years away; check the year."]})
    with transaction.atomic():
        rr = _locked(records_request)
        if rr.status not in OPEN_STATUSES or rr.due_on is None:
            raise LifecycleError(
                f"{rr.tracking_number} is {rr.get_status_display().lower()}: "
                "an extension needs a running clock."
            )
        if new_due_on <= rr.due_on:
            raise LifecycleError(
                {"new_due_on": [f"{new_due_on} is not after the current due date {rr.due_on}."]}
            )
        message = reason
        due_on, promised_on, is_statutory = new_due_on, None, rr.due_is_statutory
        law = rr.agency.law
        limit, basis = None, "no limit in our law data"
        if law is not None:
            basis = f"no limit set by {deadlines.terms_for(law).response_section}"
            limit = deadlines.extension_limit(
                terms=deadlines.terms_for(law), calendar=calendar_for_law(law), due_on=rr.due_on, law=law
            )
            if limit and new_due_on > limit[0]:
                # The law's date stays the one the dashboard and follow-ups use; the promise is shown beside.
                due_on, promised_on = limit[0], new_due_on
                message += (
                    f" (Beyond what the law allows: {limit[1]}, i.e. {limit[0]}; the statutory date stays "
                    f"{limit[0]}, the agency's promised {new_due_on} is shown beside it.)"
                )
        events = [
            _event(
                rr,
                RequestEventKind.EXTENSION,
                actor,
                due_before=rr.due_on,
                due_after=due_on,
                message=message,
            )
        ]
        rule = f"extended by the agency to {new_due_on} ({limit[1] if limit else basis}): {reason}"
        if promised_on:
            rule = f"beyond the legal limit ({limit[1]}): statutory {due_on}; agency promised {promised_on}"
        rr.promised_on = promised_on
        due = deadlines.Deadline(due_on, rule, is_statutory)
        _set_due(rr, due, f"Extension claimed by the agency: {message}", actor, events)
        return _finish(rr, events, records_request)


def request_add_note(*, records_request: RecordsRequest, text: str, actor=None) -> RequestEvent:
    """A note on the request's timeline."""
    text = (text or "").strip()
    if not text:
        raise LifecycleError({"text": ["The note is empty."]})
    if len(text) > MAX_TEXT:
        raise LifecycleError({"text": [f"At most {MAX_TEXT} characters."]})
    return RequestEvent.objects.create(
        request=records_request,
        kind=RequestEventKind.NOTE,
        message=text,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def requests_recompute_due(*, law: Law, reason: str, actor=None) -> int:
    """Recompute due dates from receipt after the law or its closed days changed; returns how many moved.

    Only requests whose due date still comes from receipt are touched: never one with a claimed extension,
    a paused clock or an appeal in its history (those dates rest on facts the law's calendar cannot redo).
    """
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleError({"reason": ["Say why the due dates are recomputed."]})
    reshaped = RequestEvent.objects.filter(request=OuterRef("pk")).filter(
        Q(kind=RequestEventKind.EXTENSION)
        | Q(kind=RequestEventKind.STATUS, to_status__in=[*PAUSED_STATUSES, S.APPEALED])
    )
    calendar = calendar_for_law(law)
    moved, events = [], []
    with transaction.atomic():
        candidates = (
            RecordsRequest.objects.select_for_update()
            .filter(
                agency__state=law.jurisdiction, status__in=[S.SENT, S.ACKNOWLEDGED, S.PROCESSING, S.PARTIAL]
            )
            .filter(received_on__isnull=False)
            .exclude(Exists(reshaped))
        )
        for rr in candidates:
            clock = request_clock(rr, law, calendar)
            ack_on = clock.ack.due_on if clock.ack else None
            if clock.due.due_on == rr.due_on and ack_on == rr.ack_due_on:
                continue
            if clock.due.due_on != rr.due_on:
                planned = rr.next_followup_on
                _set_due(rr, clock.due, due_reason(f"Recomputed ({reason})", clock), actor, events)
                if rr.followups_sent:  # follow-ups already under way keep their rhythm
                    rr.next_followup_on = planned
            else:
                message = f"Recomputed ({reason}): acknowledgment due {ack_on} (was {rr.ack_due_on})."
                events.append(
                    _event(
                        rr,
                        RequestEventKind.DUE_DATE,
                        actor,
                        due_before=rr.due_on,
                        due_after=rr.due_on,
                        message=message,
                    )
                )
            rr.ack_due_on = ack_on
            moved.append(rr)
        fields = ["due_on", "due_rule", "due_is_statutory", "next_followup_on", "ack_due_on", "updated_at"]
        for rr in moved:
            rr.updated_at = timezone.now()
        RecordsRequest.objects.bulk_update(moved, fields, batch_size=500)
        RequestEvent.objects.bulk_create(events, batch_size=500)
    return len(moved)
