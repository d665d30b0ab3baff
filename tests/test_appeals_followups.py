"""The appeal's own clock drives follow-ups to the body exactly once, through the reminder rows and caps."""

import datetime

from django.utils import timezone

from foia.appeals.lifecycle import appeal_record_filed, appeal_transition
from foia.appeals.models import AppealStatus
from foia.appeals.services import appeal_draft
from foia.models import Communication, FollowupMode, Reminder, ReminderKind, ReminderState, Status
from foia.models.communication import DeliveryState
from foia.outbound import outbound_send
from foia.reminders import reminder_send, reminders_scan

from .test_appeals import TODAY, _request


def _filed(mode=FollowupMode.SEND, followup_max=2):
    rr = _request(state="NY")
    rr.campaign.followup_mode, rr.campaign.followup_max, rr.campaign.followup_every_days = (
        mode,
        followup_max,
        7,
    )
    rr.campaign.save()
    appeal = appeal_draft(records_request=rr, today=TODAY)
    filed_at = timezone.make_aware(datetime.datetime(2026, 3, 20, 10, 0))
    return appeal_record_filed(
        appeal=appeal, filed_at=filed_at, via="mail", received_on=datetime.date(2026, 3, 20)
    )


def _scan(day: datetime.date):
    return reminders_scan(now=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))))


def test_a_body_past_its_decision_deadline_gets_one_follow_up_email(db, smtp_server):
    appeal = _filed()
    assert appeal.decision_due_on == datetime.date(2026, 4, 3)  # 10 business days (NY § 89(4)(a))
    assert _scan(datetime.date(2026, 4, 3)).followups_created == 0  # not past yet
    result = _scan(datetime.date(2026, 4, 4))
    assert result.followups_created == 1
    row = Reminder.objects.get(kind=ReminderKind.APPEAL_FOLLOWUP)
    assert row.key == f"appealfu:{appeal.request_id}:{appeal.pk}:1:2026-04-04"
    _scan(datetime.date(2026, 4, 4))
    assert Reminder.objects.filter(kind=ReminderKind.APPEAL_FOLLOWUP).count() == 1  # the same key: one row
    assert reminder_send(reminder_id=row.pk) == ReminderState.QUEUED
    assert reminder_send(reminder_id=row.pk) == "not claimed"
    comm = Communication.objects.get(idempotency_key=row.key)
    assert comm.to_address == appeal.to_address
    assert outbound_send(communication_id=comm.pk, retry_in=None) == DeliveryState.SENT
    assert len(smtp_server.messages) == 1
    assert (
        "required a decision by April 3, 2026" in smtp_server.messages[0]["message"].get_body().get_content()
    )
    appeal.refresh_from_db()
    assert appeal.followups_sent == 1 and appeal.next_followup_on == datetime.date(2026, 4, 11)
    row.refresh_from_db()
    assert row.state == ReminderState.SENT


def test_follow_ups_stop_at_the_campaign_cap_and_when_the_body_decides(db):
    appeal = _filed(mode=FollowupMode.DRAFT, followup_max=1)
    _scan(datetime.date(2026, 4, 4))
    row = Reminder.objects.get(kind=ReminderKind.APPEAL_FOLLOWUP)
    assert reminder_send(reminder_id=row.pk) == ReminderState.DRAFTED
    assert Communication.objects.get(idempotency_key=row.key).delivery_state == DeliveryState.DRAFT
    _scan(datetime.date(2026, 4, 20))
    assert Reminder.objects.filter(kind=ReminderKind.APPEAL_FOLLOWUP).count() == 1  # cap of 1 reached
    appeal.refresh_from_db()
    appeal_transition(appeal=appeal, to_status=AppealStatus.GRANTED)
    appeal.refresh_from_db()
    assert appeal.next_followup_on is None


def test_a_decided_appeal_skips_a_row_already_written(db):
    appeal = _filed(mode=FollowupMode.DRAFT)
    _scan(datetime.date(2026, 4, 4))
    appeal_transition(appeal=appeal, to_status=AppealStatus.DENIED)
    row = Reminder.objects.get(kind=ReminderKind.APPEAL_FOLLOWUP)
    assert reminder_send(reminder_id=row.pk) == ReminderState.SKIPPED
    assert not Communication.objects.filter(idempotency_key=row.key).exists()
    appeal.request.refresh_from_db()  # the deemed denial was appealed; the body upheld it: rejected now
    assert appeal.request.status == Status.REJECTED


def test_follow_ups_turned_off_for_the_request_stop_the_appeal_follow_ups_too(db):
    appeal = _filed(mode=FollowupMode.SEND)
    _scan(datetime.date(2026, 4, 4))
    row = Reminder.objects.get(kind=ReminderKind.APPEAL_FOLLOWUP)
    rr = appeal.request
    rr.followup_mode = FollowupMode.OFF  # the request's own mode wins over the campaign's, as for agencies
    rr.save(update_fields=["followup_mode"])
    assert reminder_send(reminder_id=row.pk) == ReminderState.SKIPPED
    row.refresh_from_db()
    assert row.error == "follow-ups are off for this request"
    appeal.refresh_from_db()
    assert appeal.followups_sent == 0 and appeal.next_followup_on == datetime.date(2026, 4, 11)  # next look
    assert _scan(datetime.date(2026, 4, 12)).followups_created == 0
    assert not Communication.objects.exists()


def test_an_appeal_follow_up_goes_out_exactly_once_with_two_workers_and_a_redelivered_task(
    start_worker, smtp_server
):
    from foia.tasks.reminders import send_reminder

    from .conftest import WORKER_DEADLINE, wait_until

    appeal = _filed(mode=FollowupMode.SEND)
    _scan(datetime.date(2026, 4, 4))
    row = Reminder.objects.get(kind=ReminderKind.APPEAL_FOLLOWUP)
    start_worker(EMAIL_URL=smtp_server.url)
    start_worker(EMAIL_URL=smtp_server.url)
    send_reminder.delay(row.pk)
    send_reminder.delay(row.pk)  # a redelivered message
    wait_until(
        lambda: Reminder.objects.get(pk=row.pk).state == ReminderState.SENT,
        timeout=WORKER_DEADLINE,
        message="the appeal follow-up sent",
    )
    assert [message["to"] for message in smtp_server.messages] == [[appeal.to_address]]
    appeal.refresh_from_db()
    assert appeal.followups_sent == 1 and appeal.next_followup_on == datetime.date(2026, 4, 11)
    assert _scan(datetime.date(2026, 4, 5)).followups_created == 0  # not again before the next date
