"""Bulk actions on a filtered set of requests (foia.bulk): preview counts, lifecycle rules, roles, runs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from foia.bulk import (
    BulkSelectionChanged,
    bulk_preview,
    bulk_recover_stale,
    bulk_run_process,
    bulk_start,
    get_action,
)
from foia.models import (
    BulkItem,
    BulkItemState,
    BulkRun,
    BulkStatus,
    FollowupMode,
    RecordsRequest,
    RequestEvent,
    RequestEventKind,
    SendMethod,
    Status,
)

from .factories import CampaignFactory, LawFactory, RecordsRequestFactory
from .test_lifecycle_doors import BAD_CHANGES

URL = reverse("bulk-action")


@pytest.fixture
def campaign(db):
    LawFactory(jurisdiction="MI")
    return CampaignFactory()


def _requests(campaign, status, n, **fields):
    return [RecordsRequestFactory(campaign=campaign, status=status, **fields) for _ in range(n)]


def _statuses(campaign):
    return sorted(RecordsRequest.objects.filter(campaign=campaign).values_list("status", flat=True))


def test_preview_counts_what_will_change_and_why_the_rest_cannot(campaign, erin):
    _requests(campaign, Status.SENT, 3)
    _requests(campaign, Status.COMPLETED, 2)
    preview = bulk_preview(
        action=get_action("withdraw"), requests=campaign.requests.all(), user=erin, params={"note": ""}
    )
    assert preview.message == "3 requests will be withdrawn; 2 cannot: already closed"
    assert _statuses(campaign) == [Status.COMPLETED] * 2 + [Status.SENT] * 3  # a preview changes nothing


def test_withdraw_goes_through_the_lifecycle_and_lands_on_each_timeline(campaign, erin_client, erin):
    sent = _requests(campaign, Status.SENT, 3)
    _requests(campaign, Status.COMPLETED, 1)
    url = f"{URL}?campaign={campaign.pk}&action=withdraw"
    page = erin_client.post(url, {"note": "Story dropped", "preview": "1"})
    assert b"3 requests will be withdrawn; 1 cannot: already closed" in page.content
    fingerprint = page.context["preview"].fingerprint
    response = erin_client.post(url, {"note": "Story dropped", "apply": "1", "fingerprint": fingerprint})
    run = BulkRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("bulk-run", args=[run.pk])
    assert (run.status, run.done, run.skipped) == (BulkStatus.DONE, 3, 0)
    assert _statuses(campaign) == [Status.COMPLETED] + [Status.WITHDRAWN] * 3
    for rr in sent:
        event = RequestEvent.objects.get(request=rr, kind=RequestEventKind.STATUS)
        assert (event.from_status, event.to_status, event.message, event.actor) == (
            Status.SENT,
            Status.WITHDRAWN,
            "Story dropped",
            erin,
        )
        assert RecordsRequest.objects.get(pk=rr.pk).closed_at is not None


def test_a_reporter_acts_only_on_her_own_and_unowned_requests(campaign, alice, bob, client):
    mine = _requests(campaign, Status.SENT, 2, owner=alice)
    unowned = _requests(campaign, Status.SENT, 1)
    bobs = _requests(campaign, Status.SENT, 2, owner=bob)
    client.force_login(alice)
    url = f"{URL}?campaign={campaign.pk}&action=withdraw"
    page = client.post(url, {"preview": "1"})
    assert b"3 requests will be withdrawn; 2 cannot: owned by someone else" in page.content
    client.post(url, {"apply": "1", "fingerprint": page.context["preview"].fingerprint})
    assert {rr.status for rr in RecordsRequest.objects.filter(pk__in=[r.pk for r in mine + unowned])} == {
        Status.WITHDRAWN
    }
    assert {rr.status for rr in RecordsRequest.objects.filter(pk__in=[r.pk for r in bobs])} == {Status.SENT}


def test_a_viewer_can_neither_see_nor_apply_bulk_actions(campaign, victor_client):
    _requests(campaign, Status.SENT, 2)
    url = f"{URL}?campaign={campaign.pk}&action=withdraw"
    assert victor_client.get(url).status_code == 403
    assert victor_client.post(url, {"apply": "1"}).status_code == 403
    assert _statuses(campaign) == [Status.SENT] * 2 and not BulkRun.objects.exists()


def test_a_bad_filter_selects_nothing_rather_than_everything(campaign, erin_client):
    _requests(campaign, Status.SENT, 2)
    response = erin_client.post(f"{URL}?campaign=not-a-number&action=withdraw", {"apply": "1"})
    assert response.status_code == 400 and b"campaign" in response.content
    assert _statuses(campaign) == [Status.SENT] * 2


def test_apply_refuses_when_the_selection_changed_since_the_preview(campaign, erin):
    _requests(campaign, Status.SENT, 2)
    action = get_action("withdraw")
    preview = bulk_preview(action=action, requests=campaign.requests.all(), user=erin, params={})
    _requests(campaign, Status.SENT, 1)  # someone added one meanwhile
    with pytest.raises(BulkSelectionChanged, match="3 requests will be withdrawn"):
        bulk_start(
            action=action, requests=campaign.requests.all(), user=erin, params={}, expect=preview.fingerprint
        )
    assert _statuses(campaign) == [Status.SENT] * 3 and not BulkRun.objects.exists()


def test_outcome_uses_the_lifecycle_rules_and_counts_drafts_that_cannot(campaign, erin):
    _requests(campaign, Status.SENT, 2)
    _requests(campaign, Status.DRAFT, 1)
    _requests(campaign, Status.PROCESSING, 1)
    params = {"to_status": Status.ACKNOWLEDGED, "note": "", "fee_amount": None, "exemptions": ""}
    preview = bulk_preview(
        action=get_action("outcome"), requests=campaign.requests.all(), user=erin, params=params
    )
    assert preview.message == (
        "2 requests will be updated; 2 cannot: 1 not sent yet, 1 cannot go from processing to acknowledged"
    )
    bulk_start(action=get_action("outcome"), requests=campaign.requests.all(), user=erin, params=params)
    assert _statuses(campaign) == [Status.ACKNOWLEDGED] * 2 + [Status.DRAFT, Status.PROCESSING]


def test_a_request_changed_after_the_run_started_is_skipped_with_the_lifecycles_words(
    campaign, erin, settings
):
    settings.FOIA_BULK_INLINE_MAX = 0  # queued for a worker, processed below
    first, second = _requests(campaign, Status.SENT, 2)
    run = bulk_start(action=get_action("withdraw"), requests=campaign.requests.all(), user=erin, params={})
    RecordsRequest.objects.filter(pk=second.pk).update(status=Status.COMPLETED)  # closed by someone else
    assert bulk_run_process(run_id=run.pk) == "done"
    run.refresh_from_db()
    assert (run.status, run.done, run.skipped) == (BulkStatus.DONE, 1, 1)
    assert BulkItem.objects.get(request=second).message == "already closed"
    assert RecordsRequest.objects.get(pk=first.pk).status == Status.WITHDRAWN
    assert not RequestEvent.objects.filter(request=second).exists()  # untouched: no half change


def test_a_large_set_is_queued_after_commit_and_a_second_claim_does_nothing(
    campaign, erin, settings, sent_tasks, django_capture_on_commit_callbacks
):
    settings.FOIA_BULK_INLINE_MAX = 2
    _requests(campaign, Status.SENT, 3)
    with django_capture_on_commit_callbacks(execute=True):
        run = bulk_start(
            action=get_action("withdraw"), requests=campaign.requests.all(), user=erin, params={}
        )
    assert sent_tasks == [("foia.tasks.bulk.run", (run.pk,))]
    assert (run.status, run.done) == (BulkStatus.QUEUED, 0)
    assert bulk_run_process(run_id=run.pk) == "done"
    assert bulk_run_process(run_id=run.pk) == "done or claimed elsewhere"
    assert RequestEvent.objects.filter(kind=RequestEventKind.STATUS).count() == 3


def test_a_run_whose_worker_died_is_resumed_at_the_first_pending_request(
    campaign, erin, settings, sent_tasks, django_capture_on_commit_callbacks
):
    settings.FOIA_BULK_INLINE_MAX = 0
    done, pending = _requests(campaign, Status.SENT, 2)
    run = bulk_start(action=get_action("withdraw"), requests=campaign.requests.all(), user=erin, params={})
    # The dead worker had finished the first request, then vanished with its claim.
    bulk_run_process(run_id=run.pk)
    BulkItem.objects.filter(request=pending).update(state=BulkItemState.PENDING)
    RecordsRequest.objects.filter(pk=pending.pk).update(status=Status.SENT)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    BulkRun.objects.filter(pk=run.pk).update(status=BulkStatus.RUNNING, claimed_at=long_ago, done=1)
    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_recover_stale(now=timezone.now()) == [run.pk]
    assert sent_tasks == [("foia.tasks.bulk.run", (run.pk,))]
    assert bulk_run_process(run_id=run.pk) == "done"
    run.refresh_from_db()
    assert (run.status, run.done) == (BulkStatus.DONE, 2)
    assert RequestEvent.objects.filter(request=done, kind=RequestEventKind.STATUS).count() == 1  # not redone


def test_portal_submissions_take_each_requests_reference(campaign, erin_client):
    a, b = _requests(campaign, Status.DRAFT, 2)
    _requests(campaign, Status.SENT, 1)
    url = f"{URL}?campaign={campaign.pk}&action=portal"
    data = {
        "sent_at": "2026-11-20T10:30",
        "references": f"{a.tracking_number}, P-100\n\n{b.tracking_number} P-200",
    }
    page = erin_client.post(url, {**data, "preview": "1"})
    assert b"2 requests will be marked submitted; 1 cannot: already sent" in page.content
    erin_client.post(url, {**data, "apply": "1", "fingerprint": page.context["preview"].fingerprint})
    rows = RecordsRequest.objects.filter(pk__in=[a.pk, b.pk]).order_by("pk")
    assert [(r.status, r.send_method, r.sent_reference) for r in rows] == [
        (Status.SENT, SendMethod.PORTAL, "P-100"),
        (Status.SENT, SendMethod.PORTAL, "P-200"),
    ]
    assert all(r.due_on and r.received_on for r in rows)  # the clock started, as for a single request
    assert RequestEvent.objects.filter(
        request=a, kind=RequestEventKind.SENT, message__contains="P-100"
    ).exists()


def test_bad_portal_reference_lines_are_named_by_line_and_nothing_changes(campaign, erin_client):
    a, b = _requests(campaign, Status.DRAFT, 2)
    url = f"{URL}?campaign={campaign.pk}&action=portal"
    references = f"{a.tracking_number} P-1\n{b.tracking_number}\nNOPE-9999 P-3\n{a.tracking_number} P-4"
    page = erin_client.post(url, {"sent_at": "2026-11-20T10:30", "references": references, "apply": "1"})
    errors = page.context["form"].errors["references"][0]
    assert f"line 2: no reference after {b.tracking_number}" in errors
    assert "line 3: NOPE-9999 is not among the selected requests" in errors
    assert f"line 4: {a.tracking_number} is given twice" in errors
    assert _statuses(campaign) == [Status.DRAFT] * 2 and not BulkRun.objects.exists()


def test_a_reporter_may_assign_to_herself_but_not_to_someone_else(campaign, alice, bob, client):
    rr = _requests(campaign, Status.SENT, 1)[0]
    client.force_login(alice)
    url = f"{URL}?campaign={campaign.pk}&action=assign"
    page = client.post(url, {"owner": bob.pk, "apply": "1"})
    assert "only to themselves" in page.context["form"].errors["owner"][0]
    page = client.post(url, {"owner": alice.pk, "preview": "1"})
    client.post(url, {"owner": alice.pk, "apply": "1", "fingerprint": page.context["preview"].fingerprint})
    assert RecordsRequest.objects.get(pk=rr.pk).owner == alice
    note = RequestEvent.objects.get(request=rr, kind=RequestEventKind.NOTE)
    assert note.message == "Owner changed from nobody to alice." and note.actor == alice


def test_follow_ups_switched_off_for_a_request_stop_the_reminder_scan(campaign, erin):
    from foia.reminders import reminders_scan

    today = timezone.localdate()
    overdue = dict(
        due_on=today - datetime.timedelta(days=3), next_followup_on=today - datetime.timedelta(days=1)
    )
    off, on = _requests(campaign, Status.SENT, 2, **overdue)
    params = {"followup_mode": FollowupMode.OFF}
    bulk_start(
        action=get_action("followup"), requests=campaign.requests.filter(pk=off.pk), user=erin, params=params
    )
    assert RecordsRequest.objects.get(pk=off.pk).followup_mode == FollowupMode.OFF
    assert RequestEvent.objects.get(request=off, kind=RequestEventKind.NOTE).message == "Follow-ups: off."
    reminders_scan(now=timezone.now())
    from foia.models import Reminder

    assert list(Reminder.objects.filter(request__isnull=False).values_list("request_id", flat=True)) == [
        on.pk
    ]


def test_the_run_page_polls_while_running_and_is_private_to_its_starter(
    campaign, erin, alice, bob, client, settings
):
    settings.FOIA_BULK_INLINE_MAX = 0
    _requests(campaign, Status.SENT, 1, owner=alice)
    run = bulk_start(action=get_action("withdraw"), requests=campaign.requests.all(), user=alice, params={})
    client.force_login(alice)
    fragment = client.get(reverse("bulk-run", args=[run.pk]), headers={"HX-Request": "true"})
    assert b'hx-trigger="every 1s"' in fragment.content and b"0 of 1 done" in fragment.content
    bulk_run_process(run_id=run.pk)
    fragment = client.get(reverse("bulk-run", args=[run.pk]), headers={"HX-Request": "true"})
    assert b"hx-trigger" not in fragment.content and b"1 of 1 done" in fragment.content
    client.force_login(bob)
    assert client.get(reverse("bulk-run", args=[run.pk])).status_code == 403


def test_a_large_run_is_applied_by_a_real_worker_with_its_progress_counted(
    transactional_db, start_worker, settings
):
    from .conftest import wait_until
    from .factories import UserFactory

    settings.FOIA_BULK_INLINE_MAX = 5
    editor = UserFactory(username="erin", role="editor")
    LawFactory(jurisdiction="MI")
    campaign = CampaignFactory()
    _requests(campaign, Status.SENT, 30)
    start_worker()
    run = bulk_start(action=get_action("withdraw"), requests=campaign.requests.all(), user=editor, params={})
    assert run.status == BulkStatus.QUEUED
    wait_until(
        lambda: BulkRun.objects.filter(pk=run.pk, status=BulkStatus.DONE).exists(),
        timeout=90,
        message="run done",
    )
    run.refresh_from_db()
    assert (run.done, run.skipped) == (30, 0)
    assert _statuses(campaign) == [Status.WITHDRAWN] * 30
    assert RequestEvent.objects.filter(kind=RequestEventKind.STATUS, actor=editor).count() == 30


def test_a_bulk_payment_required_without_an_amount_is_refused_like_on_one_request(campaign, erin_client):
    from foia.lifecycle_rules import EXEMPTIONS_NEEDED, FEE_NEEDED

    _requests(campaign, Status.SENT, 2)
    url = f"{URL}?campaign={campaign.pk}&action=outcome"
    page = erin_client.post(url, {"to_status": Status.PAYMENT_REQUIRED, "fee_amount": "", "apply": "1"})
    assert page.context["form"].errors["fee_amount"] == [FEE_NEEDED]
    page = erin_client.post(url, {"to_status": Status.REJECTED, "apply": "1"})
    assert page.context["form"].errors["exemptions"] == [EXEMPTIONS_NEEDED]
    page = erin_client.post(url, {"to_status": Status.PAYMENT_REQUIRED, "fee_amount": "-3", "apply": "1"})
    assert page.context["form"].errors["fee_amount"] == ["The amount cannot be negative."]
    assert _statuses(campaign) == [Status.SENT] * 2 and not BulkRun.objects.exists()
    page = erin_client.post(url, {"to_status": Status.PAYMENT_REQUIRED, "fee_amount": "25", "preview": "1"})
    data = {"to_status": Status.PAYMENT_REQUIRED, "fee_amount": "25", "apply": "1"}
    erin_client.post(url, {**data, "fingerprint": page.context["preview"].fingerprint})
    rows = RecordsRequest.objects.filter(campaign=campaign)
    assert {(r.status, str(r.fee_amount), r.paused_on is not None) for r in rows} == {
        (Status.PAYMENT_REQUIRED, "25.00", True)
    }


def test_a_portal_submission_dated_in_the_future_is_refused_before_anything_starts(campaign, erin_client):
    _requests(campaign, Status.DRAFT, 1)
    url = f"{URL}?campaign={campaign.pk}&action=portal"
    page = erin_client.post(url, {"sent_at": "2099-01-01T10:00", "apply": "1"})
    assert "is in the future" in page.context["form"].errors["sent_at"][0]
    assert _statuses(campaign) == [Status.DRAFT] and not BulkRun.objects.exists()


@pytest.mark.parametrize(
    ("before", "change", "field", "message"),
    [case for case in BAD_CHANGES if case[2] != "to_status"],  # a request's status is judged per request
)
def test_the_bulk_door_refuses_the_lifecycles_bad_changes_with_its_words(
    campaign, erin_client, before, change, field, message
):
    _requests(campaign, before, 2)
    url = f"{URL}?campaign={campaign.pk}&action=outcome"
    page = erin_client.post(url, {**change, "apply": "1"})
    assert page.context["form"].errors[field] == [message]
    assert _statuses(campaign) == [before] * 2 and not BulkRun.objects.exists()


def test_the_appeal_actions_are_offered_with_the_others(campaign, erin_client):
    _requests(campaign, Status.REJECTED, 2, exemptions_cited="MCL 15.243(1)(b)")
    page = erin_client.get(f"{URL}?campaign={campaign.pk}").content.decode()
    for label in ("Withdraw", "Draft appeals", "Send reviewed appeals"):
        assert label in page
    form = erin_client.get(f"{URL}?campaign={campaign.pk}&action=appeal_draft").content.decode()
    assert 'name="basis"' in form and 'name="exemption"' in form
    preview = erin_client.post(f"{URL}?campaign={campaign.pk}&action=appeal_draft", {"preview": "1"})
    assert preview.context["preview"].message == "2 requests will be drafted"
