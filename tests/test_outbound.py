"""One outbound pipeline for letters and follow-ups, against a real SMTP server on loopback: 4xx retried,
5xx failed for good, an unknown outcome is "probably sent" and never sent again."""

import datetime
import smtplib

import pytest
from django.utils import timezone

from foia import campaigns, sending
from foia.models import (
    Communication,
    FollowupMode,
    RecordsRequest,
    Reminder,
    ReminderState,
    RequestEvent,
    Status,
)
from foia.models.communication import DeliveryState
from foia.outbound import header_clean, outbound_recover_stale, outbound_send
from foia.reminders import reminder_send, reminders_scan

from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory

RETRY = datetime.timedelta(minutes=1)


@pytest.fixture
def letter(db):
    return ready_letter()


def ready_letter():
    """A campaign with one ready email letter, queued: the pending Communication."""
    LawFactory()
    campaign = CampaignFactory(tracking_prefix="RING", slug="ring", send_per_hour=3600)
    campaign.agencies.add(AgencyFactory(name="Auburn Hills Police Department"))
    campaigns.campaign_generate_requests(campaign=campaign)
    for pk in campaigns.campaign_queue_letters(campaign=campaign, enqueue=False):
        campaigns.letter_generate(records_request_id=pk)
    return sending.campaign_queue_emails(campaign=campaign).queued[0]


def overdue_request(**fields):
    LawFactory(jurisdiction="MI")
    campaign = CampaignFactory(followup_mode=FollowupMode.SEND, followup_every_days=7, followup_max=3)
    due = timezone.localdate() - datetime.timedelta(days=5)
    defaults = {
        "campaign": campaign,
        "agency": AgencyFactory(state="MI"),
        "status": Status.SENT,
        "sent_at": timezone.now() - datetime.timedelta(days=20),
        "due_on": due,
        "next_followup_on": due + datetime.timedelta(days=1),
        "letter_subject": "Public records request: Ring partnership",
        "letter_body": "Please send the Ring contracts.",
    }
    return RecordsRequestFactory(**(defaults | fields))


@pytest.fixture
def followup(db):
    """An overdue request whose follow-up 1 the reminder has handed to the pipeline: the pending row."""
    overdue_request()
    reminders_scan(now=timezone.now())
    reminder = Reminder.objects.get(kind="followup")
    assert reminder_send(reminder_id=reminder.pk) == ReminderState.QUEUED
    return Communication.objects.get(idempotency_key=reminder.key)


@pytest.mark.parametrize("kind", ["letter", "followup"])
def test_a_451_is_retried_and_the_next_attempt_goes_out_once(kind, request, smtp_server):
    communication = request.getfixturevalue(kind)
    smtp_server.replies = ["451 4.3.0 Mailbox busy, try again later"]

    with pytest.raises(smtplib.SMTPDataError):
        outbound_send(communication_id=communication.pk, retry_in=RETRY)
    communication.refresh_from_db()
    assert communication.delivery_state == DeliveryState.PENDING
    assert "451" in communication.delivery_error and communication.attempts == 1
    assert communication.scheduled_for > timezone.now()
    assert smtp_server.messages == []

    assert outbound_send(communication_id=communication.pk, retry_in=RETRY) == DeliveryState.SENT

    communication.refresh_from_db()
    assert (communication.delivery_state, communication.attempts) == (DeliveryState.SENT, 2)
    [received] = smtp_server.messages
    message = received["message"]
    assert message["Message-ID"].strip() == communication.message_id
    assert message["X-FOIA-Tracking"] == communication.request.tracking_number
    assert message["Reply-To"] == communication.request.reply_address


def test_a_sent_letter_marks_its_request_sent_and_a_sent_follow_up_counts(letter, followup, smtp_server):
    assert outbound_send(communication_id=letter.pk, retry_in=RETRY) == DeliveryState.SENT
    assert outbound_send(communication_id=followup.pk, retry_in=RETRY) == DeliveryState.SENT

    assert RecordsRequest.objects.get(pk=letter.request_id).status == Status.SENT
    rr = RecordsRequest.objects.get(pk=followup.request_id)
    assert rr.followups_sent == 1
    assert Reminder.objects.get(key=followup.idempotency_key).state == ReminderState.SENT


def test_a_follow_up_threads_under_the_letter_it_follows(letter, smtp_server):
    assert outbound_send(communication_id=letter.pk, retry_in=RETRY) == DeliveryState.SENT
    rr = RecordsRequest.objects.get(pk=letter.request_id)
    RecordsRequest.objects.filter(pk=rr.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=3),
        next_followup_on=timezone.localdate(),
        campaign=CampaignFactory(followup_mode=FollowupMode.SEND),
    )
    reminders_scan(now=timezone.now())
    reminder_send(reminder_id=Reminder.objects.get(kind="followup").pk)
    pending = Communication.objects.get(idempotency_key__startswith="followup:")

    outbound_send(communication_id=pending.pk, retry_in=RETRY)

    followup_message = smtp_server.messages[-1]["message"]
    assert followup_message["In-Reply-To"].strip() == letter.message_id
    assert followup_message["References"].strip() == letter.message_id


@pytest.mark.parametrize("kind", ["letter", "followup"])
def test_a_550_fails_for_good_without_a_retry(kind, request, smtp_server):
    communication = request.getfixturevalue(kind)
    smtp_server.replies = ["550 5.1.1 No such mailbox"]

    assert outbound_send(communication_id=communication.pk, retry_in=RETRY) == DeliveryState.FAILED

    communication.refresh_from_db()
    assert communication.delivery_state == DeliveryState.FAILED and "550" in communication.delivery_error
    assert outbound_send(communication_id=communication.pk, retry_in=RETRY) == "skipped"
    assert smtp_server.messages == []
    rr = RecordsRequest.objects.get(pk=communication.request_id)
    if kind == "letter":
        assert rr.status == Status.DRAFT  # a person retries, or sends it another way
    else:
        assert rr.followups_sent == 0  # not counted; the next one is planned as usual
        assert rr.next_followup_on > timezone.localdate()
        assert Reminder.objects.get(key=communication.idempotency_key).state == ReminderState.FAILED
        event = RequestEvent.objects.get(request=rr, kind="followup")
        assert "could not be emailed" in event.message and "550" in event.message


def test_a_4xx_on_the_last_try_fails_instead_of_waiting_forever(followup, smtp_server):
    smtp_server.replies = ["421 4.7.0 Too many connections"]
    assert outbound_send(communication_id=followup.pk, retry_in=None) == DeliveryState.FAILED


def test_a_timeout_after_data_is_probably_sent_counts_for_the_clock_and_is_never_sent_again(
    letter, smtp_server, settings
):
    settings.EMAIL_TIMEOUT = 1
    smtp_server.answer_after = 3  # the server has the message but answers after the client gave up
    before = timezone.now()

    assert outbound_send(communication_id=letter.pk, retry_in=RETRY) == DeliveryState.UNKNOWN

    letter.refresh_from_db()
    assert letter.get_delivery_state_display() == "Probably sent — please confirm"
    assert letter.attempts == 1
    rr = RecordsRequest.objects.get(pk=letter.request_id)
    assert rr.status == Status.SENT and rr.due_on is not None  # the clock runs from the attempt
    assert before <= rr.sent_at <= timezone.now()
    assert "please confirm" in RequestEvent.objects.filter(request=rr, kind="sent").last().message
    assert outbound_send(communication_id=letter.pk, retry_in=RETRY) == "skipped"
    assert sending.sends_release_due(now=timezone.now() + datetime.timedelta(hours=1)) == []
    assert smtp_server.data_started == 1  # handed over once, never again


def test_a_person_confirms_a_probably_sent_email(letter, alice):
    from foia.outbound import outbound_confirm

    Communication.objects.filter(pk=letter.pk).update(delivery_state=DeliveryState.UNKNOWN)

    assert outbound_confirm(communication=letter, actor=alice)
    assert not outbound_confirm(communication=letter, actor=alice)
    assert Communication.objects.get(pk=letter.pk).delivery_state == DeliveryState.SENT


def test_a_letter_left_sending_by_a_dead_worker_becomes_probably_sent_only_after_the_timeout(letter):
    claimed_at = timezone.now()
    Communication.objects.filter(pk=letter.pk).update(
        delivery_state=DeliveryState.SENDING, occurred_at=claimed_at
    )

    assert outbound_recover_stale(now=claimed_at + datetime.timedelta(seconds=30)) == []
    assert outbound_recover_stale(now=claimed_at + datetime.timedelta(hours=1)) == [letter.pk]

    rr = RecordsRequest.objects.get(pk=letter.request_id)
    assert rr.status == Status.SENT and rr.sent_at == claimed_at
    assert Communication.objects.get(pk=letter.pk).delivery_state == DeliveryState.UNKNOWN


def test_header_values_lose_line_breaks_and_nuls():
    assert header_clean("Auburn PD\r\nBcc: evil@example.com\x00 x") == "Auburn PD Bcc: evil@example.com x"


def test_a_follow_up_whose_subject_carries_line_breaks_goes_out_on_one_line(db, smtp_server):
    overdue_request(letter_subject="Records\r\nBcc: evil@example.com\n please")
    reminders_scan(now=timezone.now())
    reminder_send(reminder_id=Reminder.objects.get(kind="followup").pk)
    pending = Communication.objects.get(idempotency_key__startswith="followup:")

    assert outbound_send(communication_id=pending.pk, retry_in=RETRY) == DeliveryState.SENT

    [received] = smtp_server.messages
    assert received["to"] == [pending.to_address]
    assert "\n" not in received["message"]["Subject"] and "Bcc: evil" in received["message"]["Subject"]


def test_the_request_page_asks_to_confirm_a_probably_sent_letter_and_a_reporter_confirms_it(
    letter, alice, client
):
    from django.urls import reverse

    RecordsRequest.objects.filter(pk=letter.request_id).update(owner=alice)
    Communication.objects.filter(pk=letter.pk).update(delivery_state=DeliveryState.SENDING)
    outbound_recover_stale(now=timezone.now() + datetime.timedelta(hours=1))
    client.force_login(alice)

    page = client.get(reverse("request-detail", args=[letter.request_id])).content.decode()
    assert "Probably sent — please confirm" in page and "confirm sent" in page
    client.post(reverse("letter-confirm-sent", args=[letter.request_id]))

    assert Communication.objects.get(pk=letter.pk).delivery_state == DeliveryState.SENT
    assert RecordsRequest.objects.get(pk=letter.request_id).status == Status.SENT


def test_a_follow_up_waiting_for_a_retry_is_dropped_when_its_request_closes(followup, smtp_server):
    smtp_server.replies = ["451 4.3.0 Try again later"]
    with pytest.raises(smtplib.SMTPDataError):
        outbound_send(communication_id=followup.pk, retry_in=RETRY)
    RecordsRequest.objects.filter(pk=followup.request_id).update(status=Status.COMPLETED)

    assert outbound_send(communication_id=followup.pk, retry_in=RETRY) == DeliveryState.FAILED

    assert "Not sent: request is completed" in Communication.objects.get(pk=followup.pk).delivery_error
    assert Reminder.objects.get(key=followup.idempotency_key).state == ReminderState.SKIPPED
    assert smtp_server.messages == []
