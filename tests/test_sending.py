"""Sending: real SMTP on loopback, never twice, staggered per campaign, a checklist for portal/mail/fax."""

import datetime
import smtplib

import pytest
from django.utils import timezone

from foia import campaigns, sending
from foia.letters import pdf_text
from foia.models import Communication, RecordsRequest, Status
from foia.models.communication import DeliveryState

from .conftest import WORKER_DEADLINE, wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory


def _ready_campaign(send_per_hour=3600, agencies=None):
    LawFactory()
    campaign = CampaignFactory(tracking_prefix="RING", slug="ring", send_per_hour=send_per_hour)
    campaign.agencies.add(*(agencies or [AgencyFactory(name="Auburn Hills Police Department")]))
    campaigns.campaign_generate_requests(campaign=campaign)
    for pk in campaigns.campaign_queue_letters(campaign=campaign):
        campaigns.letter_generate(records_request_id=pk)
    return campaign


@pytest.fixture
def campaign(db):
    return _ready_campaign()


def _send_all(campaign):
    plan = sending.campaign_queue_emails(campaign=campaign, now=timezone.now())
    return [
        sending.communication_send(communication_id=c.pk, retry_in=datetime.timedelta(minutes=1))
        for c in plan.queued
    ]


def test_an_email_letter_arrives_with_the_pdf_reply_to_and_tracking_tag(campaign, smtp_server, settings):
    results = _send_all(campaign)

    assert results == [DeliveryState.SENT]
    records_request = campaign.requests.get()
    [received] = smtp_server.messages
    message = received["message"]
    assert received["to"] == [records_request.agency.email]
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Reply-To"] == records_request.reply_address
    assert "[RING-0001]" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Michigan Freedom of Information Act" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert "RING-0001" in pdf_text(attachment.get_content())
    communication = Communication.objects.get(request=records_request)
    assert communication.message_id == message["Message-ID"].strip()
    assert communication.delivery_state == DeliveryState.SENT
    assert communication.idempotency_key == f"send:{records_request.pk}"
    records_request.refresh_from_db()
    assert records_request.status == Status.SENT
    assert records_request.letter_frozen_at is not None
    assert records_request.due_on is not None


def test_a_duplicate_send_sends_once(campaign, smtp_server):
    plan = sending.campaign_queue_emails(campaign=campaign)
    pk = plan.queued[0].pk

    first = sending.communication_send(communication_id=pk, retry_in=datetime.timedelta(minutes=1))
    second = sending.communication_send(communication_id=pk, retry_in=datetime.timedelta(minutes=1))

    assert (first, second) == (DeliveryState.SENT, "skipped")
    assert len(smtp_server.messages) == 1


def test_queuing_twice_never_creates_a_second_send(campaign):
    first = sending.campaign_queue_emails(campaign=campaign)
    second = sending.campaign_queue_emails(campaign=campaign)

    assert len(first.queued) == 1
    assert second.queued == [] and "already queued" in second.skipped[0]
    assert Communication.objects.count() == 1


def test_an_smtp_failure_goes_back_to_pending_with_its_error_and_retries(campaign, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    pk = sending.campaign_queue_emails(campaign=campaign).queued[0].pk

    with pytest.raises(OSError):
        sending.communication_send(communication_id=pk, retry_in=datetime.timedelta(minutes=2))

    communication = Communication.objects.get(pk=pk)
    assert communication.delivery_state == DeliveryState.PENDING
    assert "Connection refused" in communication.delivery_error or communication.delivery_error
    assert communication.scheduled_for > timezone.now() + datetime.timedelta(minutes=1)
    # With no retries left it is marked failed instead.
    assert sending.communication_send(communication_id=pk, retry_in=None) == DeliveryState.FAILED
    assert RecordsRequest.objects.get().status == Status.DRAFT


def test_an_email_sent_whose_request_was_not_marked_is_repaired_by_the_scan(
    campaign, smtp_server, monkeypatch
):
    pk = sending.campaign_queue_emails(campaign=campaign).queued[0].pk

    def locked(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(sending, "_mark_sent", locked)
    assert sending.communication_send(communication_id=pk, retry_in=None) == DeliveryState.SENT
    assert RecordsRequest.objects.get().status == Status.DRAFT
    monkeypatch.undo()

    assert sending.sends_repair_unmarked() == 1
    assert RecordsRequest.objects.get().status == Status.SENT
    assert len(smtp_server.messages) == 1


def test_a_failed_email_can_be_retried_or_recorded_as_sent_another_way(
    campaign, alice, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(sending, "_enqueue", lambda items: queued.extend(items))
    records_request = campaign.requests.get()
    pk = sending.campaign_queue_emails(campaign=campaign).queued[0].pk
    Communication.objects.filter(pk=pk).update(delivery_state=DeliveryState.FAILED, delivery_error="550 no")
    with pytest.raises(sending.SendError, match="queued"):
        Communication.objects.filter(pk=pk).update(delivery_state=DeliveryState.PENDING)
        sending.request_record_manual_send(
            records_request=records_request, sent_at=timezone.now(), method="mail", actor=alice
        )
    Communication.objects.filter(pk=pk).update(delivery_state=DeliveryState.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        assert sending.request_retry_email(records_request=records_request)
    assert queued == [(pk, 0)]
    assert Communication.objects.get(pk=pk).delivery_state == DeliveryState.PENDING

    Communication.objects.filter(pk=pk).update(delivery_state=DeliveryState.FAILED)
    sending.request_record_manual_send(
        records_request=records_request, sent_at=timezone.now(), method="mail", reference="CM-1", actor=alice
    )
    assert Communication.objects.filter(request=records_request).count() == 2  # the failed try stays
    records_request.refresh_from_db()
    assert records_request.status == Status.SENT


def test_a_permanent_smtp_refusal_is_not_retried():
    assert sending._permanent(smtplib.SMTPRecipientsRefused({"x@y": (550, b"no such user")}))
    assert not sending._permanent(smtplib.SMTPServerDisconnected("bye"))


def test_sending_is_staggered_by_send_per_hour(db):
    agencies = [AgencyFactory() for _ in range(4)]
    campaign = _ready_campaign(send_per_hour=12, agencies=agencies)  # one every 5 minutes
    now = timezone.now()

    plan = sending.campaign_queue_emails(campaign=campaign, now=now)

    times = [c.scheduled_for for c in plan.queued]
    assert times == [now + datetime.timedelta(minutes=5 * i) for i in range(4)]
    # The beat scan releases only those whose time has passed (plus a grace period for queued tasks).
    assert sending.sends_release_due(now=now + datetime.timedelta(minutes=8)) == [
        plan.queued[0].pk,
        plan.queued[1].pk,
    ]
    assert sending.sends_release_due(now=now + datetime.timedelta(minutes=8)) == []


def test_letters_without_a_pdf_or_without_email_are_not_queued(db):
    LawFactory()
    campaign = CampaignFactory()
    campaign.agencies.add(
        AgencyFactory(name="Portal PD", email="", portal_url="https://portal.example/records")
    )
    campaign.agencies.add(AgencyFactory(name="No PDF PD"))
    campaigns.campaign_generate_requests(campaign=campaign)

    plan = sending.campaign_queue_emails(campaign=campaign)

    assert plan.queued == []
    assert any("Portal PD has no email address" in s for s in plan.skipped)
    assert any("generate the letter's PDF first" in s for s in plan.skipped)


def test_a_portal_submission_is_recorded_on_the_timeline_and_marks_the_request_sent(db, alice):
    LawFactory()
    campaign = CampaignFactory()
    campaign.agencies.add(
        AgencyFactory(name="Portal PD", email="", portal_url="https://portal.example/records")
    )
    campaigns.campaign_generate_requests(campaign=campaign)
    [records_request] = sending.campaign_checklist(campaign=campaign)
    assert sending.request_send_method(records_request) == "portal"

    communication = sending.request_record_manual_send(
        records_request=records_request,
        sent_at=timezone.now() - datetime.timedelta(hours=1),
        method="portal",
        reference="NR-2026-118",
        actor=alice,
    )

    assert communication.channel == "portal" and communication.direction == "out"
    records_request.refresh_from_db()
    assert records_request.status == Status.SENT
    assert records_request.sent_reference == "NR-2026-118"
    assert list(sending.campaign_checklist(campaign=campaign)) == []
    with pytest.raises(sending.SendError, match="already sent"):
        sending.request_record_manual_send(
            records_request=records_request, sent_at=timezone.now(), method="mail", actor=alice
        )


def _finished_sends(worker) -> int:
    """How many send tasks (send_message, or the older send_email) the worker has finished."""
    ends = (" succeeded in ", " raised ")
    tasks = ("send_email[", "send_message[")
    lines = worker.log().splitlines()
    return sum(any(t in line for t in tasks) and any(e in line for e in ends) for line in lines)


def test_a_real_worker_sends_each_email_once_even_when_the_task_is_queued_twice(start_worker, smtp_server):
    campaign = _ready_campaign(agencies=[AgencyFactory(), AgencyFactory()])
    worker = start_worker(concurrency=2, EMAIL_URL=smtp_server.url)
    from foia.tasks.letters import send_email

    plan = sending.campaign_queue_emails(campaign=campaign)  # enqueues on commit (autocommit here)
    for communication in plan.queued:
        send_email.delay(communication.pk)  # a duplicate, as a redelivery would be

    try:
        wait_until(
            lambda: RecordsRequest.objects.filter(status=Status.SENT).count() == 2,
            WORKER_DEADLINE,
            message="both requests sent",
        )
    except AssertionError:
        print(worker.log()[-6000:])
        raise
    wait_until(lambda: len(smtp_server.messages) >= 2, 10, message="two messages")
    # A positive wait, not a sleep: all four send tasks (two queued, two duplicates) have finished.
    wait_until(lambda: _finished_sends(worker) >= 4, WORKER_DEADLINE, message="all four send tasks finished")
    assert len(smtp_server.messages) == 2
    assert sorted(m["message"]["Subject"][-11:] for m in smtp_server.messages) == [
        "[RING-0001]",
        "[RING-0002]",
    ]
