"""The outbound pipeline on real worker processes, a real broker and a real SMTP server on loopback."""

import datetime

from django.utils import timezone

from foia.models import Communication, RecordsRequest, Reminder, ReminderState, Status
from foia.models.communication import DeliveryState
from foia.outbound import SEND_TASK, outbound_recover_stale
from foia.queue import task_enqueue
from foia.reminders import reminder_send, reminders_scan

from .conftest import WORKER_DEADLINE, wait_until
from .test_outbound import overdue_request, ready_letter


def test_a_follow_up_refused_with_451_is_retried_by_the_worker_and_arrives_once(start_worker, smtp_server):
    rr = overdue_request()
    smtp_server.replies = ["451 4.3.0 Greylisted, try again later"]
    start_worker(EMAIL_URL=smtp_server.url, FOIA_SEND_RETRY_SECONDS=1)

    reminders_scan(now=timezone.now())
    reminder = Reminder.objects.get(kind="followup")
    assert reminder_send(reminder_id=reminder.pk) == ReminderState.QUEUED  # enqueues on commit

    # SENT is recorded first and the request's bookkeeping (followups_sent) right after, so wait for both.
    wait_until(
        lambda: (
            Communication.objects.filter(request=rr, delivery_state=DeliveryState.SENT).exists()
            and RecordsRequest.objects.filter(pk=rr.pk, followups_sent=1).exists()
        ),
        WORKER_DEADLINE,
        message="the follow-up sent on its second attempt and counted",
    )
    communication = Communication.objects.get(request=rr)
    assert communication.attempts == 2 and "451" not in communication.delivery_error
    assert [m["to"] for m in smtp_server.messages] == [[rr.agency.email]]
    assert smtp_server.data_started == 2
    rr.refresh_from_db()
    assert rr.followups_sent == 1


def test_a_worker_killed_mid_send_leaves_the_letter_probably_sent_and_it_is_never_sent_again(
    start_worker, smtp_server
):
    pending = ready_letter()  # committed: the worker is another process
    smtp_server.answer_after = 120  # the server holds the DATA answer: the worker is mid-send
    worker = start_worker(EMAIL_URL=smtp_server.url)
    task_enqueue(SEND_TASK, pending.pk)
    wait_until(
        lambda: smtp_server.data_started == 1, WORKER_DEADLINE, message="the worker to hand the message over"
    )

    worker.kill()  # SIGKILL to the whole worker, mid-send

    assert Communication.objects.get(pk=pending.pk).delivery_state == DeliveryState.SENDING
    later = timezone.now() + datetime.timedelta(hours=1)
    assert outbound_recover_stale(now=later) == [pending.pk]
    rr = RecordsRequest.objects.get(pk=pending.request_id)
    assert rr.status == Status.SENT and rr.due_on is not None  # the clock runs from the attempt
    communication = Communication.objects.get(pk=pending.pk)
    assert (communication.delivery_state, communication.attempts) == (DeliveryState.UNKNOWN, 1)

    second = start_worker(EMAIL_URL=smtp_server.url)
    task_enqueue(SEND_TASK, pending.pk)  # as a redelivery of the killed worker's message would
    wait_until(
        lambda: "'skipped'" in second.log(), WORKER_DEADLINE, message="the redelivered task to find it done"
    )
    assert smtp_server.data_started == 1
    assert Communication.objects.get(pk=pending.pk).delivery_state == DeliveryState.UNKNOWN
