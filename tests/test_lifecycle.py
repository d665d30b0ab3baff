"""Statuses, the clock and the timeline: foia.lifecycle."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from foia.lifecycle import (
    TRANSITIONS,
    LifecycleError,
    allowed_transitions,
    request_add_note,
    request_claim_extension,
    request_mark_sent,
    request_transition,
    requests_recompute_due,
)
from foia.models import ClosedDay, DayType, RequestEvent, RequestEventKind, SendMethod, Status

from .factories import AgencyFactory, LawFactory, RecordsRequestFactory, move

D = datetime.date
ET = ZoneInfo("America/New_York")
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=ET)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def michigan(db):
    return LawFactory(jurisdiction="MI", response_days=5, day_type=DayType.BUSINESS)


@pytest.fixture
def draft(michigan, alice):
    return RecordsRequestFactory(
        agency=AgencyFactory(state="MI"), owner=alice, letter_body="Please send records."
    )


@pytest.fixture
def sent(draft, alice):
    # Emailed Wednesday 2026-11-25 at 10:00: MCL 15.235(1) counts it received 1 business day later, Friday
    # 11-27 (Thanksgiving skipped; the Friday after is not a Michigan legal holiday, MCL 435.101); then 5
    # business days (MCL 15.235(2)).
    return request_mark_sent(
        records_request=draft,
        sent_at=datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ET),
        method="email",
        actor=alice,
    )


def kinds(records_request):
    return list(RequestEvent.objects.filter(request=records_request).values_list("kind", flat=True))


def test_marking_sent_computes_receipt_due_date_and_freezes_the_letter(sent, alice):
    assert sent.status == Status.SENT
    assert sent.received_on == D(2026, 11, 27)
    assert "MCL 15.235(1)" in sent.receipt_reason and not sent.receipt_estimated
    assert sent.due_on == D(2026, 12, 4)
    assert sent.due_is_statutory
    assert "5 business days after receipt on 2026-11-27 (MCL 15.235(2))" in sent.due_rule
    assert sent.letter_frozen_at is not None
    assert sent.next_followup_on == D(2026, 12, 5)
    assert kinds(sent) == [RequestEventKind.SENT, RequestEventKind.DUE_DATE]
    due_event = RequestEvent.objects.get(request=sent, kind=RequestEventKind.DUE_DATE)
    assert (due_event.due_before, due_event.due_after, due_event.actor) == (None, D(2026, 12, 4), alice)
    sent_event = RequestEvent.objects.get(request=sent, kind=RequestEventKind.SENT)
    assert "Thanksgiving" in sent_event.message or "2026-11-27" in sent_event.message


def test_a_request_sent_after_hours_counts_as_received_the_next_business_day(draft):
    sent = request_mark_sent(
        records_request=draft, sent_at=datetime.datetime(2026, 11, 24, 18, 0, tzinfo=ET), method="portal"
    )
    assert sent.received_on == D(2026, 11, 25)


def test_acknowledgment_clock_is_set_where_the_law_has_one(db):
    LawFactory(
        jurisdiction="NY", response_days=5, day_type=DayType.BUSINESS, ack_days=5, ack_day_type="business"
    )
    draft = RecordsRequestFactory(agency=AgencyFactory(state="NY"))
    sent = request_mark_sent(records_request=draft, sent_at=NOW - datetime.timedelta(hours=1), method="email")
    assert sent.ack_due_on == D(2026, 12, 3)


def test_a_law_without_a_number_gets_a_follow_up_target_not_a_statutory_deadline(db, settings):
    settings.FOIA_DEFAULT_FOLLOWUP_DAYS = 10
    LawFactory(jurisdiction="AZ", response_days=None, day_type=DayType.NONE, response_wording="promptly")
    draft = RecordsRequestFactory(agency=AgencyFactory(state="AZ"))
    sent = request_mark_sent(records_request=draft, sent_at=NOW - datetime.timedelta(hours=1), method="email")
    assert sent.due_on == D(2026, 12, 10)
    assert sent.due_is_statutory is False
    assert sent.due_rule.startswith("no statutory deadline")


def test_a_sent_date_in_the_future_is_refused_and_nothing_changes(draft):
    with pytest.raises(LifecycleError, match="in the future"):
        request_mark_sent(records_request=draft, sent_at=NOW + datetime.timedelta(days=1), method="email")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.due_on is None and kinds(draft) == []


def test_a_jurisdiction_without_law_data_is_refused_and_nothing_changes(db):
    draft = RecordsRequestFactory(agency=AgencyFactory(state="OH"))
    with pytest.raises(LifecycleError, match='No law data for jurisdiction "OH"'):
        request_mark_sent(records_request=draft, sent_at=NOW, method="email")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.letter_frozen_at is None and kinds(draft) == []


def test_marking_sent_twice_is_refused(sent):
    with pytest.raises(LifecycleError, match="already sent"):
        request_mark_sent(records_request=sent, sent_at=NOW, method=SendMethod.EMAIL)


def test_a_closed_day_override_moves_the_due_date(michigan, draft):
    ClosedDay.objects.create(law=michigan, date=D(2026, 12, 1), closed=True, reason="Storm")
    sent = request_mark_sent(records_request=draft, sent_at=NOW - datetime.timedelta(hours=1), method="email")
    assert sent.due_on == D(2026, 12, 7)


def test_a_status_change_is_an_event_with_time_and_person(sent, bob):
    changed = request_transition(
        records_request=sent, to_status=Status.ACKNOWLEDGED, actor=bob, note="Letter rcvd"
    )
    assert changed.status == Status.ACKNOWLEDGED
    assert changed.first_response_at is not None
    event = RequestEvent.objects.filter(request=sent, kind=RequestEventKind.STATUS).get()
    assert (event.from_status, event.to_status, event.actor, event.message) == (
        Status.SENT,
        Status.ACKNOWLEDGED,
        bob,
        "Letter rcvd",
    )
    assert event.created_at is not None


def test_a_disallowed_transition_is_refused_and_nothing_changes(sent):
    request_transition(records_request=sent, to_status=Status.COMPLETED)
    before = kinds(sent)
    with pytest.raises(LifecycleError, match="cannot go from completed to processing"):
        request_transition(records_request=sent, to_status=Status.PROCESSING)
    sent.refresh_from_db()
    assert sent.status == Status.COMPLETED and kinds(sent) == before


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([Status.REJECTED, Status.APPEALED], True),
        ([Status.NO_RECORDS, Status.APPEALED], True),
        ([Status.PARTIAL, Status.APPEALED], True),
        ([Status.PROCESSING, Status.APPEALED], False),  # nothing to appeal yet
        ([Status.COMPLETED, Status.APPEALED], False),  # completed is final
        ([Status.WITHDRAWN, Status.PROCESSING], False),  # withdrawn is final
        ([Status.REJECTED, Status.PROCESSING], False),  # closed reopens only by appeal
        ([Status.FIX_REQUIRED, Status.PROCESSING], True),
        ([Status.PAYMENT_REQUIRED, Status.FIX_REQUIRED, Status.PROCESSING], True),
    ],
)
def test_closed_requests_reopen_only_by_appeal(sent, path, allowed):
    *steps, last = path
    move(sent, *steps)
    if allowed:
        assert move(sent, last).status == last
    else:
        with pytest.raises(LifecycleError, match="cannot go from"):
            move(sent, last)


def test_the_transition_table_covers_every_status_and_drafts_are_sent_only_by_marking_sent(draft):
    assert set(TRANSITIONS) == set(Status.values)
    assert Status.SENT not in allowed_transitions(Status.DRAFT)
    with pytest.raises(LifecycleError, match="Mark sent"):
        request_transition(records_request=draft, to_status=Status.SENT)


def test_an_appeal_reopens_a_rejected_request_with_a_follow_up_target(sent):
    rejected = request_transition(
        records_request=sent, to_status=Status.REJECTED, exemptions="MCL 15.243(1)(b)"
    )
    assert rejected.closed_at is not None and rejected.exemptions_cited == "MCL 15.243(1)(b)"
    appealed = request_transition(records_request=sent, to_status=Status.APPEALED, today=D(2026, 12, 7))
    assert appealed.closed_at is None
    assert appealed.due_on == D(2026, 12, 21)
    assert appealed.due_is_statutory is False


def test_the_clock_pauses_while_the_requester_must_act_and_resumes_with_the_days_left(sent, alice):
    paused = request_transition(
        records_request=sent,
        to_status=Status.PAYMENT_REQUIRED,
        fee_amount=Decimal("25.00"),
        today=D(2026, 11, 30),
    )
    assert (paused.paused_on, paused.paused_days_left, paused.due_on) == (D(2026, 11, 30), 4, None)
    assert paused.fee_amount == Decimal("25.00")
    # Still paused when the agency asks for a fix as well.
    request_transition(records_request=sent, to_status=Status.FIX_REQUIRED, today=D(2026, 12, 10))
    resumed = request_transition(records_request=sent, to_status=Status.PROCESSING, today=D(2026, 12, 22))
    # 4 business days from 12-22 skip Christmas Day; Christmas Eve is not a Michigan legal holiday (435.101).
    assert resumed.due_on == D(2026, 12, 29)
    assert resumed.paused_on is None and resumed.paused_days_left is None
    due_events = RequestEvent.objects.filter(request=sent, kind=RequestEventKind.DUE_DATE).order_by("id")
    assert [(e.due_before, e.due_after) for e in due_events] == [
        (None, D(2026, 12, 4)),
        (D(2026, 12, 4), None),
        (None, D(2026, 12, 29)),
    ]
    assert "Clock paused" in due_events[1].message and "Clock resumed" in due_events[2].message


def test_closing_a_request_stops_follow_ups(sent):
    closed = request_transition(records_request=sent, to_status=Status.NO_RECORDS)
    assert closed.next_followup_on is None and closed.closed_at is not None


def test_an_extension_moves_the_due_date_and_keeps_the_reason(sent, alice):
    extended = request_claim_extension(
        records_request=sent, new_due_on=D(2026, 12, 18), reason="Voluminous records", actor=alice
    )
    assert extended.due_on == D(2026, 12, 18)
    assert extended.next_followup_on == D(2026, 12, 19)
    extension = RequestEvent.objects.get(request=sent, kind=RequestEventKind.EXTENSION)
    assert (extension.due_before, extension.due_after, extension.actor) == (
        D(2026, 12, 4),
        D(2026, 12, 18),
        alice,
    )
    assert "Voluminous records" in extension.message
    latest = RequestEvent.objects.filter(request=sent, kind=RequestEventKind.DUE_DATE).last()
    assert latest.due_after == D(2026, 12, 18) and "Voluminous records" in latest.message


def test_an_extension_beyond_the_laws_limit_keeps_the_statutory_date_mcl_15_235_2_d(michigan, sent):
    extended = request_claim_extension(records_request=sent, new_due_on=D(2027, 2, 1), reason="Backlog")
    # MCL 15.235(2)(d): at most 10 business days after 2026-12-04 -> 2026-12-18; the promise is kept.
    assert extended.due_on == D(2026, 12, 18)
    assert extended.promised_on == D(2027, 2, 1)
    assert extended.next_followup_on == D(2026, 12, 19)
    assert "MCL 15.235(2)(d)" in extended.due_rule
    assert "Beyond what the law allows" in RequestEvent.objects.get(request=sent, kind="extension").message


def test_an_extension_not_after_the_current_due_date_is_refused_and_nothing_changes(sent):
    before = kinds(sent)
    with pytest.raises(LifecycleError, match="not after the current due date 2026-12-04"):
        request_claim_extension(records_request=sent, new_due_on=D(2026, 12, 1), reason="Busy")
    sent.refresh_from_db()
    assert sent.due_on == D(2026, 12, 4) and kinds(sent) == before


def test_an_extension_needs_a_reason(sent):
    with pytest.raises(LifecycleError, match="reason"):
        request_claim_extension(records_request=sent, new_due_on=D(2026, 12, 18), reason="  ")


def test_an_extension_needs_a_running_clock(draft):
    with pytest.raises(LifecycleError, match="running clock"):
        request_claim_extension(records_request=draft, new_due_on=D(2026, 12, 18), reason="Busy")


def test_a_note_is_an_event_and_an_empty_note_is_refused(sent, alice):
    event = request_add_note(records_request=sent, text="Called the clerk; they are on it.", actor=alice)
    assert (event.kind, event.actor, event.message) == ("note", alice, "Called the clerk; they are on it.")
    with pytest.raises(LifecycleError, match="empty"):
        request_add_note(records_request=sent, text=" ")


def test_recomputing_after_a_new_closed_day_moves_due_dates_from_receipt_with_the_reason(michigan, sent, db):
    extended = RecordsRequestFactory(agency=AgencyFactory(state="MI"))
    extended = request_mark_sent(
        records_request=extended, sent_at=NOW - datetime.timedelta(hours=1), method="email"
    )
    request_claim_extension(records_request=extended, new_due_on=D(2026, 12, 18), reason="Backlog")
    ClosedDay.objects.create(law=michigan, date=D(2026, 12, 1), closed=True, reason="Storm")
    assert requests_recompute_due(law=michigan, reason="storm closure added") == 1
    sent.refresh_from_db()
    extended.refresh_from_db()
    assert sent.due_on == D(2026, 12, 7) and extended.due_on == D(2026, 12, 18)
    latest = RequestEvent.objects.filter(request=sent, kind=RequestEventKind.DUE_DATE).last()
    assert (latest.due_before, latest.due_after) == (D(2026, 12, 4), D(2026, 12, 7))
    assert "storm closure added" in latest.message
    assert requests_recompute_due(law=michigan, reason="again") == 0  # nothing moves twice
