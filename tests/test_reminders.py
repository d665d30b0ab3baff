"""Digests to reporters and follow-ups to agencies: rows first, one claim, one message."""

import datetime
import smtplib
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from foia.models import (
    Communication,
    FollowupMode,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestEvent,
    Status,
)
from foia.models.communication import DeliveryState
from foia.outbound import outbound_recover_stale, outbound_send
from foia.reminders import MAX_ATTEMPTS, digest_compose, reminder_send, reminders_scan

from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory, UserFactory

D = datetime.date
ET = ZoneInfo("America/New_York")
TODAY = D(2026, 12, 10)
MORNING = datetime.datetime(2026, 12, 10, 8, 0, tzinfo=ET)


@pytest.fixture(autouse=True)
def _reminder_settings(settings):
    settings.FOIA_DIGEST_HOUR = 7
    settings.FOIA_DIGEST_DUE_SOON_DAYS = 3
    settings.FOIA_FOLLOWUPS_PER_SCAN = 50
    settings.FOIA_REMINDER_CLAIM_TIMEOUT = 600


@pytest.fixture
def michigan(db):
    return LawFactory(jurisdiction="MI", citation="MCL 15.231 et seq.")


@pytest.fixture
def campaign(erin):
    return CampaignFactory(owner=erin, followup_mode=FollowupMode.SEND, followup_every_days=7, followup_max=2)


def open_request(campaign, owner=None, *, due_on, status=Status.SENT, agency=None, **fields):
    return RecordsRequestFactory(
        campaign=campaign,
        agency=agency or AgencyFactory(state="MI"),
        owner=owner,
        status=status,
        sent_at=datetime.datetime(2026, 11, 20, 10, 0, tzinfo=ET),
        received_on=D(2026, 11, 20),
        due_on=due_on,
        next_followup_on=due_on + datetime.timedelta(days=1) if due_on else None,
        letter_subject="Public records request: Ring partnership",
        letter_body="Under the Michigan FOIA I request:\n\n1. Contracts with Ring LLC",
        **fields,
    )


def send_all(ids):
    """Claim and deliver each reminder row, then send the follow-up emails they handed to the pipeline."""
    results = [reminder_send(reminder_id=pk) for pk in ids]
    deliver_outbound()
    return results


def deliver_outbound():
    pending = Communication.objects.filter(direction="out", delivery_state=DeliveryState.PENDING)
    return [outbound_send(communication_id=pk, retry_in=None) for pk in pending.values_list("pk", flat=True)]


def test_one_digest_per_person_per_day_only_for_people_with_something_to_report(
    michigan, campaign, alice, bob
):
    carol = UserFactory(username="carol", digest_enabled=False)
    for due in (D(2026, 12, 1), D(2026, 12, 10), D(2026, 12, 12)):
        open_request(campaign, alice, due_on=due)
    open_request(campaign, bob, due_on=D(2027, 1, 30))  # far off: nothing to report
    open_request(campaign, carol, due_on=D(2026, 12, 1))  # digests off
    reminders_scan(now=MORNING)
    reminders_scan(now=MORNING + datetime.timedelta(minutes=15))
    digests = Reminder.objects.filter(kind=ReminderKind.DIGEST)
    assert [(r.key, r.user) for r in digests] == [(f"digest:{alice.pk}:2026-12-10", alice)]


def test_no_digest_before_the_digest_hour(michigan, campaign, alice):
    open_request(campaign, alice, due_on=D(2026, 12, 1))
    reminders_scan(now=datetime.datetime(2026, 12, 10, 6, 59, tzinfo=ET))
    assert not Reminder.objects.filter(kind=ReminderKind.DIGEST).exists()


def test_unowned_requests_go_to_the_campaign_owner(michigan, campaign, erin):
    open_request(campaign, None, due_on=D(2026, 12, 1))
    reminders_scan(now=MORNING)
    assert Reminder.objects.get(kind=ReminderKind.DIGEST).user == erin


def test_the_digest_is_one_email_with_every_section_most_overdue_first(michigan, campaign, alice):
    open_request(campaign, alice, due_on=D(2026, 12, 8), tracking_number="LATE-2")
    open_request(campaign, alice, due_on=D(2026, 12, 1), tracking_number="LATE-9")
    open_request(campaign, alice, due_on=D(2026, 12, 10), tracking_number="TODAY-1")
    open_request(campaign, alice, due_on=D(2026, 12, 12), tracking_number="SOON-1")
    open_request(campaign, alice, due_on=None, status=Status.PAYMENT_REQUIRED, tracking_number="FEE-1")
    send_all(reminders_scan(now=MORNING).to_send)
    digests = [m for m in mail.outbox if m.to == [alice.email]]
    assert len(digests) == 1
    body = digests[0].body
    assert body.index("LATE-9") < body.index("LATE-2") < body.index("DUE TODAY") < body.index("TODAY-1")
    assert "9 days overdue" in body and "2 days overdue" in body
    assert "SOON-1" in body and "in 2 days" in body
    assert "WAITING ON YOU" in body and "FEE-1" in body
    assert digests[0].subject.endswith(": 2 overdue, 1 due today, 1 due soon, 1 waiting on you")
    assert digests[0].alternatives[0][1] == "text/html"


def test_digest_compose_sorts_people_requests_into_sections(michigan, campaign, alice):
    open_request(campaign, alice, due_on=D(2026, 12, 11))
    open_request(campaign, alice, due_on=None, status=Status.FIX_REQUIRED)
    digest = digest_compose(user=alice, today=TODAY)
    assert (len(digest.due_soon), len(digest.awaiting), len(digest.overdue)) == (1, 1, 0)


def test_a_digest_with_nothing_left_to_report_is_skipped(michigan, campaign, alice):
    rr = open_request(campaign, alice, due_on=D(2026, 12, 1))
    ids = reminders_scan(now=MORNING).to_send
    rr.status = Status.COMPLETED
    rr.save()
    assert send_all(ids) == [ReminderState.SKIPPED, ReminderState.SKIPPED]  # digest and follow-up
    assert mail.outbox == []


def test_the_scan_makes_the_same_number_of_queries_for_5_or_60_requests(michigan, campaign, alice, bob):
    def count_for(n):
        Reminder.objects.all().delete()
        for _ in range(n):
            open_request(campaign, alice, due_on=D(2026, 12, 1))
            open_request(campaign, bob, due_on=D(2026, 12, 11))
        with CaptureQueriesContext(connection) as queries:
            reminders_scan(now=MORNING)
        return len(queries)

    # digest recipients, digest rows, follow-up candidates, follow-up rows, appeals past their decision
    # deadline (foia.appeals.followups), stale claims, pending, queued_at
    assert count_for(5) == count_for(55) == 8


def test_a_follow_up_cites_the_statute_date_and_tracking_number_and_quotes_only_the_request(
    michigan, campaign, alice
):
    rr = open_request(
        campaign, alice, due_on=D(2026, 12, 3), tracking_number="RING-0042", sent_reference="P-77"
    )
    Communication.objects.create(
        request=rr, direction="in", channel="email", body="THREAD REPLY TEXT", occurred_at=MORNING
    )
    reminders_scan(now=MORNING)
    followup = Reminder.objects.get(kind=ReminderKind.FOLLOWUP)
    assert followup.key == f"followup:{rr.pk}:1:2026-12-04"
    assert reminder_send(reminder_id=followup.pk) == ReminderState.QUEUED  # handed to foia.outbound
    assert deliver_outbound() == [DeliveryState.SENT]
    assert Reminder.objects.get(pk=followup.pk).state == ReminderState.SENT
    [message] = [m for m in mail.outbox if m.to == [rr.agency.email]]
    assert "[RING-0042]" in message.subject
    assert message.reply_to == [rr.reply_address]
    assert "Michigan Freedom of Information Act (MCL 15.231 et seq.)" in message.body
    assert "November 20, 2026" in message.body and "RING-0042" in message.body and "P-77" in message.body
    assert "due on December 3, 2026, 7 days ago" in message.body
    assert "> 1. Contracts with Ring LLC" in message.body
    assert "THREAD REPLY TEXT" not in message.body
    rr.refresh_from_db()
    assert (rr.followups_sent, rr.next_followup_on) == (1, D(2026, 12, 17))
    comm = Communication.objects.get(idempotency_key=followup.key)
    assert comm.delivery_state == DeliveryState.SENT and comm.direction == "out"
    assert RequestEvent.objects.filter(request=rr, kind="followup").count() == 1


def test_follow_ups_repeat_every_m_days_up_to_the_cap(michigan, campaign):
    rr = open_request(campaign, None, due_on=D(2026, 12, 3))
    day = datetime.datetime(2026, 12, 4, 8, 0, tzinfo=ET)
    for _ in range(30):
        send_all(reminders_scan(now=day).to_send)
        day += datetime.timedelta(days=1)
    sent = [m for m in mail.outbox if m.to == [rr.agency.email]]
    assert [m.subject.split(":")[0] for m in sent] == ["Follow-up", "Follow-up 2"]
    rr.refresh_from_db()
    assert rr.followups_sent == 2
    assert sorted(Reminder.objects.filter(kind="followup").values_list("for_date", flat=True)) == [
        D(2026, 12, 4),
        D(2026, 12, 11),
    ]


def test_draft_mode_writes_a_draft_for_review_and_sends_nothing_to_the_agency(michigan, campaign, alice):
    campaign.followup_mode = FollowupMode.DRAFT
    campaign.save()
    rr = open_request(campaign, alice, due_on=D(2026, 12, 3))
    send_all(reminders_scan(now=MORNING).to_send)
    assert [m.to for m in mail.outbox] == [[alice.email]]  # only the digest
    draft = Communication.objects.get(request=rr)
    assert draft.delivery_state == DeliveryState.DRAFT and "Follow-up" in draft.subject
    assert Reminder.objects.get(kind="followup").state == ReminderState.DRAFTED


def test_follow_ups_off_writes_no_rows(michigan, campaign, alice):
    campaign.followup_mode = FollowupMode.OFF
    campaign.save()
    open_request(campaign, alice, due_on=D(2026, 12, 3))
    reminders_scan(now=MORNING)
    assert not Reminder.objects.filter(kind="followup").exists()


def test_an_agency_without_email_gets_a_draft_and_the_reporter_is_told_to_follow_up_by_portal(
    michigan, campaign, alice
):
    agency = AgencyFactory(state="MI", email="", portal_url="https://records.example/portal")
    rr = open_request(campaign, alice, due_on=D(2026, 12, 3), agency=agency)
    ids = reminders_scan(now=MORNING).to_send
    followup = Reminder.objects.get(kind="followup")
    assert reminder_send(reminder_id=followup.pk) == ReminderState.DRAFTED
    assert Communication.objects.get(request=rr).channel == "portal"
    send_all([pk for pk in ids if pk != followup.pk])
    [digest] = mail.outbox
    assert (
        "FOLLOW-UPS TO SEND BY HAND" in digest.body
        and "by portal https://records.example/portal" in digest.body
    )


def test_a_follow_up_stops_when_the_request_closes_before_it_is_sent(michigan, campaign):
    rr = open_request(campaign, None, due_on=D(2026, 12, 3))
    reminders_scan(now=MORNING)
    rr.status = Status.WITHDRAWN
    rr.save()
    followup = Reminder.objects.get(kind="followup")
    assert reminder_send(reminder_id=followup.pk) == ReminderState.SKIPPED
    assert not Communication.objects.exists()


def test_follow_ups_are_throttled_per_scan(michigan, campaign, settings):
    settings.FOIA_FOLLOWUPS_PER_SCAN = 2
    for _ in range(5):
        open_request(campaign, None, due_on=D(2026, 12, 3))
    reminders_scan(now=MORNING)
    assert Reminder.objects.filter(kind="followup").count() == 2
    reminders_scan(now=MORNING + datetime.timedelta(minutes=15))  # the first two are not sent yet: still two
    assert Reminder.objects.filter(kind="followup").count() == 2
    send_all(Reminder.objects.filter(kind="followup").values_list("pk", flat=True))
    reminders_scan(now=MORNING + datetime.timedelta(minutes=30))
    assert Reminder.objects.filter(kind="followup").count() == 4


def test_a_claimed_row_is_not_sent_twice(michigan, campaign, alice):
    open_request(campaign, alice, due_on=D(2026, 12, 11))
    [digest_id] = reminders_scan(now=MORNING).to_send
    assert reminder_send(reminder_id=digest_id) == ReminderState.SENT
    assert reminder_send(reminder_id=digest_id) == "not claimed"
    assert len(mail.outbox) == 1


def test_a_stale_claim_is_queued_again_by_the_next_scan_and_a_fresh_one_is_not(
    michigan, campaign, alice, bob
):
    open_request(campaign, alice, due_on=D(2026, 12, 11))
    open_request(campaign, bob, due_on=D(2026, 12, 11))
    reminders_scan(now=MORNING)
    stale, fresh = Reminder.objects.order_by("id")
    Reminder.objects.filter(pk=stale.pk).update(
        state="claimed", claimed_at=MORNING - datetime.timedelta(minutes=11)
    )
    Reminder.objects.filter(pk=fresh.pk).update(
        state="claimed", claimed_at=MORNING - datetime.timedelta(minutes=1)
    )
    result = reminders_scan(now=MORNING)
    assert (result.requeued, result.to_send) == (1, [stale.pk])
    send_all(result.to_send)
    assert [m.to for m in mail.outbox] == [[alice.email]]


def test_a_row_already_queued_is_not_queued_again_until_the_claim_timeout(michigan, campaign, alice):
    open_request(campaign, alice, due_on=D(2026, 12, 11))
    assert len(reminders_scan(now=MORNING).to_send) == 1
    assert reminders_scan(now=MORNING + datetime.timedelta(minutes=5)).to_send == []
    assert len(reminders_scan(now=MORNING + datetime.timedelta(minutes=11)).to_send) == 1


def test_a_failed_send_is_retried_then_marked_failed(michigan, campaign, alice, monkeypatch):
    open_request(campaign, alice, due_on=D(2026, 12, 11))
    [digest_id] = reminders_scan(now=MORNING).to_send

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert reminder_send(reminder_id=digest_id).startswith("error")
        row = Reminder.objects.get(pk=digest_id)
        assert row.attempts == attempt and "went away" in row.error
    assert row.state == ReminderState.FAILED


def test_a_follow_up_whose_worker_died_while_sending_is_probably_sent_and_never_sent_again(
    michigan, campaign
):
    """At most once to agencies: the row left "sending" counts as sent, for a person to confirm."""
    rr = open_request(campaign, None, due_on=D(2026, 12, 3))
    reminders_scan(now=MORNING)
    followup = Reminder.objects.get(kind="followup")
    assert reminder_send(reminder_id=followup.pk) == ReminderState.QUEUED
    comm = Communication.objects.get(idempotency_key=followup.key)
    crashed_at = timezone.now() - datetime.timedelta(hours=1)  # claimed, then the worker was killed
    Communication.objects.filter(pk=comm.pk).update(
        delivery_state=DeliveryState.SENDING, occurred_at=crashed_at
    )

    assert outbound_recover_stale(now=timezone.now()) == [comm.pk]
    assert outbound_send(communication_id=comm.pk, retry_in=None) == "skipped"  # a redelivered task
    assert Reminder.objects.filter(pk=followup.pk).update(state="pending") == 1  # a redelivered reminder
    assert reminder_send(reminder_id=followup.pk) == ReminderState.QUEUED
    deliver_outbound()

    assert mail.outbox == []
    comm.refresh_from_db()
    assert comm.delivery_state == DeliveryState.UNKNOWN and comm.get_delivery_state_display().startswith(
        "Probably sent"
    )
    rr.refresh_from_db()
    assert rr.followups_sent == 1
    assert "please confirm" in RequestEvent.objects.get(request=rr, kind="followup").message


def test_beat_runs_the_scan_every_15_minutes_and_the_tasks_are_registered():
    from foia.celery import app

    entry = app.conf.beat_schedule["reminders-scan"]
    assert entry["task"] == "foia.tasks.reminders.scan"
    assert entry["schedule"].minute == {0, 15, 30, 45}
    app.loader.import_default_modules()
    assert {"foia.tasks.reminders.scan", "foia.tasks.reminders.send_reminder"} <= set(app.tasks)
