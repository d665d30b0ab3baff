"""One request from a denial or a missed deadline to a filed appeal: drafting, the letter, filing, sending."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from foia.appeals.lifecycle import appeal_queue_email, appeal_record_filed, appeal_transition
from foia.appeals.models import Appeal, AppealBasis, AppealKind, AppealStatus
from foia.appeals.services import (
    AppealError,
    appeal_draft,
    appeal_edit,
    appeal_mark_reviewed,
    appeal_source,
    request_appeal_window,
)
from foia.letters import LetterError
from foia.models import RequestEvent, RequestEventKind, Status
from foia.models.communication import DeliveryState
from foia.outbound import outbound_send

from .factories import AgencyFactory, LawFactory, RecordsRequestFactory

TODAY = datetime.date(2026, 3, 20)


def _request(state="PA", status=Status.SENT, due_on=datetime.date(2026, 3, 16), exemptions="", **extra):
    LawFactory(
        jurisdiction=state,
        jurisdiction_name=state,
        law_name=f"{state} Right-to-Know Law",
        citation=f"{state} law",
    )
    agency = AgencyFactory(state=state, name=f"{state} State Police", address="1 Main St")
    sent_at = timezone.make_aware(datetime.datetime(2026, 3, 6, 10, 0))
    rr = RecordsRequestFactory(
        agency=agency,
        status=status,
        sent_at=sent_at,
        received_on=datetime.date(2026, 3, 6),
        due_on=due_on,
        due_rule="5 business days after receipt on 2026-03-06",
        exemptions_cited=exemptions,
        letter_body="Please send the records.",
        **extra,
    )
    return rr


def _decided(rr, status, on):
    RequestEvent.objects.create(request=rr, kind=RequestEventKind.STATUS, to_status=status)
    RequestEvent.objects.filter(request=rr, to_status=status).update(
        created_at=timezone.make_aware(datetime.datetime.combine(on, datetime.time(12)))
    )


def test_a_deemed_denial_in_pennsylvania_gets_the_office_of_open_records_and_15_business_days(db, alice):
    rr = _request()
    appeal = appeal_draft(records_request=rr, actor=alice, today=TODAY)
    assert appeal.basis == AppealBasis.DEEMED and appeal.decided_on == datetime.date(2026, 3, 16)
    assert appeal.body == "Office of Open Records"
    assert appeal.window_closes_on == datetime.date(2026, 4, 6)  # 15 business days after 03-16
    assert not appeal.is_late
    assert "deemed denial" in appeal.letter
    assert "The law required an answer by March 16, 2026" in appeal.letter
    assert rr.tracking_number in appeal.letter and rr.tracking_number in appeal.subject
    assert "PA law" in appeal.letter  # the statute
    assert "Contracts and MOUs with Ring LLC or Amazon" in appeal.letter  # records still outstanding
    event = RequestEvent.objects.get(request=rr, kind=RequestEventKind.APPEAL)
    assert "window closes 2026-04-06" in event.message


def test_each_exemption_the_agency_cited_gets_room_to_argue_it(db):
    rr = _request(
        status=Status.REJECTED, exemptions="65 P.S. 67.708(b)(16) criminal investigation; personal security"
    )
    _decided(rr, Status.REJECTED, datetime.date(2026, 3, 18))
    appeal = appeal_draft(records_request=rr, today=TODAY)
    assert appeal.basis == AppealBasis.REJECTED and appeal.decided_on == datetime.date(2026, 3, 18)
    assert (
        "1. 65 P.S. 67.708(b)(16) criminal investigation\n   Why it does not apply here: [argue"
        in appeal.letter
    )
    assert "2. personal security\n   Why it does not apply here:" in appeal.letter


def test_a_rejection_without_exemptions_makes_the_letter_ask_for_them_and_blocks_review(db, alice):
    rr = _request(status=Status.REJECTED)
    _decided(rr, Status.REJECTED, datetime.date(2026, 3, 18))
    appeal = appeal_draft(records_request=rr, today=TODAY)
    assert "[Enter the exemptions the agency cited.]" in appeal.letter
    assert "required to name each exemption" in appeal.letter
    with pytest.raises(AppealError, match="Enter the exemptions"):
        appeal_mark_reviewed(appeal=appeal, actor=alice)
    appeal_edit(
        appeal=appeal, template_source=appeal_source(appeal), exemptions="§ 67.708(b)(17)", to_address=""
    )
    assert "1. § 67.708(b)(17)" in appeal.letter
    assert appeal_mark_reviewed(appeal=appeal, actor=alice).is_reviewed


def test_an_appeal_after_the_window_is_drafted_but_flagged_late_with_the_day_it_closed(db):
    rr = _request(status=Status.REJECTED, exemptions="x")
    _decided(rr, Status.REJECTED, datetime.date(2026, 2, 2))
    appeal = appeal_draft(records_request=rr, today=TODAY)
    assert appeal.is_late
    assert appeal.window_closes_on == datetime.date(2026, 2, 24)  # 15 business days, Presidents' Day skipped
    assert (
        "LATE: the window closed on 2026-02-24"
        in RequestEvent.objects.get(kind=RequestEventKind.APPEAL).message
    )


def test_a_court_only_state_gets_a_demand_letter_and_a_litigation_checklist(db, alice_client, alice):
    rr = _request(state="CA", owner=alice)
    page = alice_client.get(reverse("appeal-start", args=[rr.pk]))
    assert "has no administrative appeal: the only path is court" in page.content.decode()
    response = alice_client.post(reverse("appeal-start", args=[rr.pk]), {})
    appeal = Appeal.objects.get(request=rr)
    assert response.url == reverse("appeal-detail", args=[rr.pk, appeal.pk])
    assert appeal.kind == AppealKind.DEMAND and appeal.window_closes_on is None
    assert "provides no administrative appeal" in appeal.letter
    detail = alice_client.get(response.url).content.decode()
    assert "litigation checklist" in detail and "Superior court" in detail
    with pytest.raises(AppealError, match="not filed as an appeal"):
        appeal_record_filed(appeal=appeal, filed_at=timezone.now(), via="mail")


def test_a_request_never_denied_and_not_past_its_deadline_is_refused_with_the_reason(db, alice_client, alice):
    rr = _request(status=Status.ACKNOWLEDGED, due_on=datetime.date(2030, 1, 10), owner=alice)
    with pytest.raises(
        AppealError, match="never denied and is not past its deadline .acknowledged, due 2030-01-10"
    ):
        appeal_draft(records_request=rr, today=TODAY)
    page = alice_client.get(reverse("appeal-start", args=[rr.pk])).content.decode()
    assert "never denied and is not past its deadline" in page
    alice_client.post(reverse("appeal-start", args=[rr.pk]), {})
    assert not Appeal.objects.exists()


def test_missing_a_target_where_the_law_sets_no_days_is_not_a_denial(db):
    rr = _request(due_is_statutory=False)
    with pytest.raises(AppealError, match="sets no number of days"):
        appeal_draft(records_request=rr, today=TODAY)


def test_never_two_appeals_for_the_same_decision(db):
    rr = _request()
    appeal = appeal_draft(records_request=rr, today=TODAY)
    with pytest.raises(AppealError, match="already has an appeal"):
        appeal_draft(records_request=rr, today=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            request=rr,
            basis="deemed",
            decided_on=appeal.decided_on,
            jurisdiction="PA",
            route="state_body",
            body="x",
        )
    assert Appeal.objects.count() == 1


def test_an_edited_template_with_an_unknown_variable_is_refused_with_its_line(db):
    appeal = appeal_draft(records_request=_request(), today=TODAY)
    before = appeal.letter
    with pytest.raises(LetterError, match=r"Appeal template, line 2: unknown variable \"appeal.judge\""):
        appeal_edit(
            appeal=appeal, template_source="Dear body,\n{{ appeal.judge }}\n", exemptions="", to_address=""
        )
    appeal.refresh_from_db()
    assert appeal.letter == before and appeal.template_source == ""


def test_filing_sets_the_bodys_decision_deadline_and_the_request_waits_on_it(db, alice):
    rr = _request(status=Status.REJECTED, exemptions="x")
    _decided(rr, Status.REJECTED, datetime.date(2026, 3, 18))
    appeal = appeal_draft(records_request=rr, today=TODAY)
    filed_at = timezone.make_aware(datetime.datetime(2026, 3, 20, 10, 0))
    appeal = appeal_record_filed(
        appeal=appeal, filed_at=filed_at, via="portal", reference="OOR-1", actor=alice
    )
    assert appeal.status == AppealStatus.FILED and appeal.received_on == datetime.date(2026, 3, 20)
    assert appeal.decision_due_on == datetime.date(2026, 4, 20)  # 30 calendar days; 04-19 is a Sunday
    rr.refresh_from_db()
    assert rr.status == Status.APPEALED
    assert rr.due_on == datetime.date(2026, 4, 20) and rr.next_followup_on is None
    assert appeal.next_followup_on == datetime.date(2026, 4, 21)


def test_appeal_transitions_are_guarded(db):
    appeal = appeal_draft(records_request=_request(), today=TODAY)
    with pytest.raises(AppealError, match="Cannot go from drafted to granted"):
        appeal_transition(appeal=appeal, to_status=AppealStatus.GRANTED)
    appeal = appeal_record_filed(appeal=appeal, filed_at=timezone.now(), via="mail")
    appeal = appeal_transition(appeal=appeal, to_status=AppealStatus.ACKNOWLEDGED)
    appeal = appeal_transition(appeal=appeal, to_status=AppealStatus.DENIED, on=datetime.date(2026, 4, 1))
    assert appeal.outcome_on == datetime.date(2026, 4, 1) and appeal.next_followup_on is None
    appeal = appeal_transition(appeal=appeal, to_status=AppealStatus.LITIGATION)
    with pytest.raises(AppealError, match="allowed: nothing"):
        appeal_transition(appeal=appeal, to_status=AppealStatus.GRANTED)


def test_the_appeal_is_emailed_once_through_the_outbound_pipeline_with_its_pdf(db, alice, smtp_server):
    rr = _request(state="NY")
    appeal = appeal_draft(records_request=rr, actor=alice, today=TODAY)
    assert appeal.to_address == rr.agency.email  # New York: the agency's appeals officer
    with pytest.raises(AppealError, match="not reviewed yet"):
        appeal_queue_email(appeal=appeal)
    appeal_mark_reviewed(appeal=appeal, actor=alice)
    comm_id = appeal_queue_email(appeal=appeal, actor=alice)
    with pytest.raises(AppealError, match="already queued"):
        appeal_queue_email(appeal=appeal, actor=alice)
    assert outbound_send(communication_id=comm_id, retry_in=None) == DeliveryState.SENT
    assert outbound_send(communication_id=comm_id, retry_in=None) == "skipped"
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]["message"]
    assert smtp_server.messages[0]["to"] == [rr.agency.email]
    assert message["X-FOIA-Tracking"] == rr.tracking_number
    assert [part.get_filename() for part in message.iter_attachments()] == [
        f"{rr.tracking_number}-appeal.pdf"
    ]
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.FILED and appeal.filed_via == "email"
    assert appeal.decision_due_on is not None


def test_the_window_is_on_the_request_page(db, alice_client, alice):
    rr = _request(owner=alice)
    note = request_appeal_window(rr, today=datetime.date(2026, 4, 3))
    assert note.text == "appeal window closes in 3 days (2026-04-06)"
    page = alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()
    assert "appeal window closed 2026-04-06" in page  # today (the real clock) is long after


def test_a_viewer_cannot_draft_or_send(db, victor_client):
    rr = _request()
    assert victor_client.post(reverse("appeal-start", args=[rr.pk]), {}).status_code == 403
    assert not Appeal.objects.exists()


def test_the_digest_says_the_appeal_window_closes_in_3_days(db, alice):
    from django.template.loader import render_to_string

    from foia.reminders import digest_compose, digest_recipient_ids

    rr = _request(status=Status.REJECTED, exemptions="x", owner=alice)
    _decided(rr, Status.REJECTED, datetime.date(2026, 3, 9))  # PA: closes 2026-03-30
    today = datetime.date(2026, 3, 27)
    assert alice.pk in digest_recipient_ids(today)
    digest = digest_compose(user=alice, today=today)
    assert [r.pk for r in digest.appeal_windows] == [rr.pk]
    assert "1 appeal windows closing" in digest.summary
    text = render_to_string(
        "emails/digest-body.txt", {"user": alice, "digest": digest, "site_url": "http://x"}
    )
    assert f"{rr.tracking_number} PA State Police (PA): appeal window closes in 3 days (2026-03-30)" in text
    appeal_draft(records_request=rr, today=today)
    assert digest_compose(user=alice, today=today).appeal_windows == []  # appealed: no more warning


def test_the_overdue_page_and_csv_show_the_appeal_window_of_a_deemed_denial(db, alice_client, alice):
    import csv
    import io

    rr = _request(owner=alice, due_on=timezone.localdate() - datetime.timedelta(days=2))
    page = alice_client.get(reverse("request-overdue")).content.decode()
    window = request_appeal_window(rr, today=timezone.localdate())
    assert window.text in page
    rows = list(
        csv.reader(
            io.StringIO(alice_client.get(reverse("request-overdue"), {"format": "csv"}).content.decode())
        )
    )
    assert rows[0][-1] == "appeal_window_closes_on" and rows[1][-1] == window.closes_on.isoformat()


def test_the_bodys_decision_moves_an_appealed_request_on(db, alice):
    rr = _request(status=Status.REJECTED, exemptions="§ 67.708(b)(16)")
    _decided(rr, Status.REJECTED, datetime.date(2026, 3, 18))
    appeal = appeal_record_filed(
        appeal=appeal_draft(records_request=rr, today=TODAY), filed_at=timezone.now(), via="mail"
    )
    rr.refresh_from_db()
    assert rr.status == Status.APPEALED
    appeal_transition(appeal=appeal, to_status=AppealStatus.DENIED, actor=alice)
    rr.refresh_from_db()
    assert rr.status == Status.REJECTED and rr.exemptions_cited == "§ 67.708(b)(16)"
    # The upheld denial is a new decision: it may be appealed again (to court, or a second-level body).
    assert appeal_draft(records_request=rr, today=timezone.localdate()).decided_on == timezone.localdate()


@pytest.mark.parametrize("status", [Status.SENT, Status.ACKNOWLEDGED, Status.PROCESSING])
def test_filing_the_appeal_of_a_deemed_denial_moves_the_request_to_appealed(db, alice, status):
    rr = _request(status=status)  # silent past its statutory due date (2026-03-16)
    appeal = appeal_draft(records_request=rr, actor=alice, today=TODAY)
    assert appeal.basis == AppealBasis.DEEMED
    appeal_record_filed(
        appeal=appeal,
        filed_at=timezone.make_aware(datetime.datetime(2026, 3, 20, 10)),
        via="portal",
        actor=alice,
    )
    rr.refresh_from_db()
    assert rr.status == Status.APPEALED and rr.closed_at is None
    event = RequestEvent.objects.get(request=rr, kind=RequestEventKind.STATUS, to_status=Status.APPEALED)
    assert (event.from_status, event.actor, event.message) == (status, alice, "Appeal filed.")
    assert rr.due_on == appeal.__class__.objects.get(pk=appeal.pk).decision_due_on  # waits on the body
    # The body's decision moves it on as for an explicit denial.
    appeal_transition(appeal=appeal, to_status=AppealStatus.GRANTED, actor=alice)
    rr.refresh_from_db()
    assert rr.status == Status.PROCESSING


def test_the_lifecycle_lets_an_open_request_be_appealed_only_past_its_statutory_deadline(db):
    from foia.lifecycle import LifecycleError, request_transition

    not_late = _request(due_on=datetime.date(2030, 1, 10))
    with pytest.raises(LifecycleError, match="cannot go from sent to appealed"):
        request_transition(records_request=not_late, to_status=Status.APPEALED, today=TODAY)
    target_only = _request(state="MI", due_is_statutory=False)  # a newsroom target, not the law's deadline
    with pytest.raises(LifecycleError, match="cannot go from sent to appealed"):
        request_transition(records_request=target_only, to_status=Status.APPEALED, today=TODAY)
    late = _request(state="NY")
    assert (
        request_transition(records_request=late, to_status=Status.APPEALED, today=TODAY).status == "appealed"
    )


def test_a_state_body_with_a_public_email_gets_the_appeal_addressed_to_it(db, alice):
    appeal = appeal_draft(records_request=_request(), actor=alice, today=TODAY)  # Pennsylvania
    assert appeal.to_address == "openrecords@pa.gov"
    assert "Commonwealth Keystone Building" in appeal.letter.split("Re:")[0]  # the body's address on top


def test_a_state_body_whose_email_is_unknown_is_filed_by_mail_or_portal(db, alice):
    rr = _request(state="IL")
    appeal = appeal_mark_reviewed(appeal=appeal_draft(records_request=rr, today=TODAY), actor=alice)
    assert appeal.to_address == ""
    assert "500 S. Second Street, Springfield, IL" in appeal.letter
    with pytest.raises(AppealError, match="no email address for Attorney General's Public Access Counselor"):
        appeal_queue_email(appeal=appeal)
