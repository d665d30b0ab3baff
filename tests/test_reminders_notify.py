"""Telling a reporter that a reply arrived: a reminder row written with the message, claimed, retried."""

import pytest
from django.utils import timezone

from foia.mail import mail_ingest
from foia.models import Reminder, ReminderKind, ReminderState
from foia.reminders import reminder_send, reminders_scan

from .factories import AgencyFactory, RecordsRequestFactory, eml_bytes


@pytest.fixture
def records_request(db, alice):
    agency = AgencyFactory(name="Auburn Hills PD\r\nBcc: evil@example.com\n")  # as an import could leave it
    return RecordsRequestFactory(tracking_number="RING-0042", agency=agency, owner=alice)


def test_a_reply_writes_one_notification_row_for_the_owner_with_the_message(
    records_request, alice, django_capture_on_commit_callbacks, sent_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        raw = eml_bytes(subject="Re: [RING-0042] records", message_id="<reply-1@springfield.example>")
        communication = mail_ingest(raw=raw).communication
        mail_ingest(raw=raw)  # the same message again

    reminder = Reminder.objects.get(kind=ReminderKind.REPLY)
    assert (reminder.key, reminder.user, reminder.state) == (f"reply:{communication.pk}", alice, "pending")
    assert sent_tasks == [("foia.tasks.reminders.send_reminder", (reminder.pk,))]


def test_a_notification_survives_smtp_being_down_and_goes_out_once_it_is_back(
    records_request, alice, settings, smtp_server
):
    mail_ingest(raw=eml_bytes(subject="Re: [RING-0042] records"))
    reminder = Reminder.objects.get(kind=ReminderKind.REPLY)
    settings.EMAIL_PORT = 9  # nothing listens there: the mail server is down

    assert reminder_send(reminder_id=reminder.pk).startswith("error")

    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (ReminderState.PENDING, 1)
    assert reminder.error
    settings.EMAIL_PORT = smtp_server.port  # back up; the next scan queues the row again
    later = timezone.now() + timezone.timedelta(seconds=settings.FOIA_REMINDER_CLAIM_TIMEOUT + 1)
    assert reminder.pk in reminders_scan(now=later).to_send
    assert reminder_send(reminder_id=reminder.pk) == ReminderState.SENT
    assert reminder_send(reminder_id=reminder.pk) == "not claimed"
    assert [m["to"] for m in smtp_server.messages] == [[alice.email]]


def test_an_agency_name_with_a_line_break_reaches_the_subject_on_one_line(
    records_request, alice, smtp_server
):
    mail_ingest(raw=eml_bytes(subject="Re: [RING-0042] records"))
    reminder = Reminder.objects.get(kind=ReminderKind.REPLY)

    assert reminder_send(reminder_id=reminder.pk) == ReminderState.SENT

    [received] = smtp_server.messages
    assert received["to"] == [alice.email]  # no Bcc smuggled in
    subject = received["message"]["Subject"]
    assert subject == "Reply received: RING-0042 Auburn Hills PD Bcc: evil@example.com"
