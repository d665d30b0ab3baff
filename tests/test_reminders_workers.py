"""Reminders against real worker processes, a real broker and a real SMTP server: never twice, never lost."""

import collections
import datetime
import threading

from django.db import connection
from django.utils import timezone

from foia.models import FollowupMode, Reminder, ReminderState, Status
from foia.reminders import reminders_scan
from foia.tasks.reminders import scan, send_reminder

from .conftest import WORKER_DEADLINE, wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory, UserFactory


def overdue_request(campaign, owner, days_late=5):
    due = timezone.localdate() - datetime.timedelta(days=days_late)
    return RecordsRequestFactory(
        campaign=campaign,
        agency=AgencyFactory(state="MI"),
        owner=owner,
        status=Status.SENT,
        sent_at=timezone.now() - datetime.timedelta(days=20),
        due_on=due,
        next_followup_on=due + datetime.timedelta(days=1),
        letter_body="Please send the Ring contracts.",
    )


def per_recipient(smtp_server):
    return collections.Counter(rcpt for message in smtp_server.messages for rcpt in message["to"])


def all_done():
    return not Reminder.objects.exclude(state__in=[ReminderState.SENT, ReminderState.SKIPPED]).exists()


def test_two_scans_and_two_workers_at_once_send_exactly_one_email_per_reminder(
    start_worker, smtp_server, settings
):
    settings.FOIA_DIGEST_HOUR = 0  # the scan runs in this process; the digest is due at any hour
    alice = UserFactory(username="alice", email="alice@newsroom.example")
    bob = UserFactory(username="bob", email="bob@newsroom.example")
    LawFactory(jurisdiction="MI")
    campaign = CampaignFactory(owner=alice, followup_mode=FollowupMode.SEND)
    requests = [
        overdue_request(campaign, alice),
        overdue_request(campaign, bob),
        overdue_request(campaign, None),
    ]
    start_worker(EMAIL_URL=smtp_server.url)
    start_worker(EMAIL_URL=smtp_server.url)
    now = timezone.now().isoformat()
    barrier = threading.Barrier(2)

    def beat():
        barrier.wait()
        try:
            scan(now=now)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for reminder_id in Reminder.objects.values_list("id", flat=True):  # a redelivered message, too
        send_reminder.delay(reminder_id)
    wait_until(
        lambda: Reminder.objects.count() == 5 and all_done(),
        timeout=WORKER_DEADLINE,
        message="every reminder sent",
    )
    counts = per_recipient(smtp_server)
    expected = {alice.email: 1, bob.email: 1} | {rr.agency.email: 1 for rr in requests}
    assert counts == expected
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SENT}


def test_a_worker_killed_between_claim_and_send_is_recovered_by_the_next_scan(
    start_worker, smtp_server, settings
):
    settings.FOIA_DIGEST_HOUR = 0
    settings.FOIA_REMINDER_CLAIM_TIMEOUT = 600
    alice = UserFactory(username="alice", email="alice@newsroom.example")
    LawFactory(jurisdiction="MI")
    campaign = CampaignFactory(owner=alice, followup_mode=FollowupMode.OFF)
    overdue_request(campaign, alice)
    now = timezone.now()
    reminders_scan(now=now)  # rows written; the enqueued messages are lost with the worker
    # The killed worker had claimed the digest 11 minutes ago and never sent it.
    Reminder.objects.update(state=ReminderState.CLAIMED, claimed_at=now - datetime.timedelta(minutes=11))
    worker = start_worker(EMAIL_URL=smtp_server.url)
    assert scan(now=now.isoformat())["requeued"] == 1
    wait_until(all_done, WORKER_DEADLINE, message=lambda: f"the recovered digest to be sent\n{worker.log()}")
    assert per_recipient(smtp_server) == {alice.email: 1}
    assert Reminder.objects.get().attempts == 1  # the recovered claim was counted once, by the live worker
