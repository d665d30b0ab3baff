"""Issue 11, second part: the clock in the API, --acknowledged on a one-clock law, late acknowledgments, and
receipt-date errors named by field. Each test names the statute where one decides the dates."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token

from foia.lifecycle import LifecycleError, request_mark_sent, request_record_receipt, request_transition
from foia.models import RequestEvent, RequestEventKind, Status

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory

D = datetime.date
ET = ZoneInfo("America/New_York")


@pytest.fixture
def laws(db):
    call_command("load_laws", stdout=io.StringIO())


def _sent(state: str, sent_at: datetime.datetime, method: str = "email", owner=None, **kwargs):
    rr = RecordsRequestFactory(
        agency=AgencyFactory(state=state),
        campaign=CampaignFactory(followup_mode="draft"),
        letter_body="Please send records.",
        owner=owner,
    )
    with time_machine.travel(sent_at + datetime.timedelta(hours=1), tick=False):
        return request_mark_sent(records_request=rr, sent_at=sent_at, method=method, **kwargs)


def deadline(*args: str) -> tuple[list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("deadline", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


# --- The API shows the clock ------------------------------------------------------------------------------


def test_the_api_shows_receipt_acknowledgment_and_promised_dates(laws, alice, client):
    rr = _sent("NY", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), method="mail", owner=alice)
    rr = request_transition(records_request=rr, to_status=Status.ACKNOWLEDGED, today=D(2026, 3, 13))
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=alice).key}"}
    body = client.get(f"/api/requests/{rr.pk}/", **headers).json()
    # Mail: received on our estimate (3 business days after posting) until a person enters the date.
    assert (body["received_on"], body["receipt_estimated"]) == ("2026-03-12", True)
    assert body["receipt_reason"] == rr.receipt_reason and "estimated" in body["receipt_reason"]
    # POL § 89(3)(a): acknowledge within 5 business days of receipt.
    assert (body["ack_due_on"], body["acknowledged_on"]) == ("2026-03-19", "2026-03-13")
    assert body["promised_on"] is None
    listed = client.get("/api/requests/", **headers).json()["results"][0]
    assert {"received_on", "receipt_estimated", "receipt_reason", "acknowledged_on", "promised_on"} <= set(
        listed
    )


# --- `deadline --acknowledged` on a law with one clock ----------------------------------------------------


def test_acknowledged_on_a_one_clock_law_changes_nothing_and_says_so_on_stderr(laws):
    # Tex. Gov't Code § 552.221(d): one clock of 10 business days from receipt, no acknowledgment stage.
    plain, quiet = deadline("TX", "2026-03-09")
    lines, notes = deadline("TX", "2026-03-09", "--acknowledged", "2026-03-10")
    assert lines == plain and quiet == ""
    assert lines[0] == "2026-03-23" and lines[2] == "acknowledge by: none"
    assert (
        notes.strip()
        == "note: TX has one clock (no acknowledgment deadline): --acknowledged 2026-03-10 changes no date."
    )


def test_acknowledged_where_the_response_runs_from_receipt_is_noted_and_the_date_stays(laws):
    # Md. Code, Gen. Prov. § 4-203: 30 days from receipt whatever the date of the 10-working-day notice.
    plain, _ = deadline("MD", "2026-03-09")
    lines, notes = deadline("MD", "2026-03-09", "--acknowledged", "2026-03-11")
    assert lines[0] == plain[0]
    assert "MD counts the response from receipt, not from the acknowledgment" in notes


def test_a_late_acknowledgment_still_starts_the_new_york_clock_and_is_noted(laws):
    # POL § 89(3)(a): 5 business days to acknowledge (due Mon 03-16), then 20 business days from the
    # acknowledgment itself — Thu 03-19, 3 business days late — so 2026-04-16.
    lines, notes = deadline("NY", "2026-03-09", "--acknowledged", "2026-03-19")
    assert lines[0] == "2026-04-16"
    assert lines[2].startswith("acknowledge by: 2026-03-16")
    assert "note: acknowledged 3 business days late (acknowledgment was due 2026-03-16)." in notes


# --- A late acknowledgment on the request page and timeline -----------------------------------------------


def test_a_late_acknowledgment_is_flagged_on_the_page_and_timeline_but_still_counts(
    laws, alice, alice_client
):
    rr = _sent("NY", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), owner=alice)
    assert (rr.received_on, rr.ack_due_on) == (D(2026, 3, 9), D(2026, 3, 16))
    rr = request_transition(records_request=rr, to_status=Status.ACKNOWLEDGED, today=D(2026, 3, 19))
    assert rr.due_on == D(2026, 4, 16)  # 20 business days from the actual acknowledgment, POL § 89(3)(a)
    note = RequestEvent.objects.get(request=rr, kind=RequestEventKind.NOTE)
    assert note.message.startswith("Acknowledged 3 business days late (acknowledgment was due 2026-03-16")
    assert "still counted from the actual acknowledgment" in note.message
    page = alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()
    assert "acknowledged 3 business days late" in page


def test_an_acknowledgment_on_its_last_day_is_not_flagged(laws, alice, alice_client):
    rr = _sent("NY", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), owner=alice)
    rr = request_transition(records_request=rr, to_status=Status.ACKNOWLEDGED, today=D(2026, 3, 16))
    assert not RequestEvent.objects.filter(request=rr, kind=RequestEventKind.NOTE).exists()
    assert " late" not in alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()


def test_a_late_notice_where_the_response_runs_from_receipt_is_flagged_without_moving_the_date(laws):
    # Md. Code, Gen. Prov. § 4-203(b): notice within 10 working days; the 30 days still run from receipt.
    rr = _sent("MD", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET))
    due = rr.due_on
    rr = request_transition(records_request=rr, to_status=Status.ACKNOWLEDGED, today=D(2026, 3, 25))
    note = RequestEvent.objects.get(request=rr, kind=RequestEventKind.NOTE)
    assert note.message == "Acknowledged 2 business days late (acknowledgment was due 2026-03-23)."
    assert rr.due_on == due


# --- Receipt-date errors name their field -----------------------------------------------------------------


def test_a_receipt_date_in_the_future_is_refused_naming_received_on(laws):
    rr = _sent("MI", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), method="mail")
    at = datetime.datetime(2026, 3, 13, 12, 0, tzinfo=ET)
    with time_machine.travel(at, tick=False), pytest.raises(LifecycleError) as error:
        request_record_receipt(records_request=rr, received_on=D(2026, 3, 20))
    assert error.value.by_field() == {
        "received_on": ["2026-03-20 is in the future; give the day the agency received it."]
    }
    rr.refresh_from_db()
    assert rr.receipt_estimated and rr.received_on == D(2026, 3, 12)  # nothing changed


def test_a_receipt_date_before_sending_or_not_a_date_is_refused_naming_received_on(laws):
    rr = _sent("MI", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), method="mail")
    with pytest.raises(LifecycleError) as before:
        request_record_receipt(records_request=rr, received_on=D(2026, 3, 1))
    assert before.value.by_field() == {"received_on": ["2026-03-01 is before it was sent (2026-03-09)."]}
    with pytest.raises(LifecycleError) as typo:
        request_record_receipt(records_request=rr, received_on="03/12/2026")
    assert list(typo.value.by_field()) == ["received_on"]


def test_marking_sent_with_a_receipt_date_before_sending_names_received_on(laws):
    rr = RecordsRequestFactory(agency=AgencyFactory(state="MI"), letter_body="x")
    sent_at = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET)
    later = sent_at + datetime.timedelta(hours=1)
    with time_machine.travel(later, tick=False), pytest.raises(LifecycleError) as error:
        request_mark_sent(records_request=rr, sent_at=sent_at, method="mail", received_on=D(2026, 3, 2))
    assert list(error.value.by_field()) == ["received_on"]
    rr.refresh_from_db()
    assert rr.status == Status.DRAFT


def test_the_receipt_form_shows_the_field_named_error(laws, alice, alice_client):
    rr = _sent("MI", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), method="mail", owner=alice)
    with time_machine.travel(datetime.datetime(2026, 3, 13, 12, 0, tzinfo=ET), tick=False):
        response = alice_client.post(
            reverse("request-receipt", args=[rr.pk]), {"received_on": "2026-03-20"}, follow=True
        )
    assert "received_on: 2026-03-20 is in the future" in response.content.decode()
