"""Batch appeals are bulk actions (foia.bulk): every deemed denial in Pennsylvania, or every rejection citing
one exemption, previewed with counts and drafted with live progress; each draft reviewed before "send the N
reviewed", which sends only those; never two appeals for one decision."""

import datetime

from django.urls import reverse
from django.utils import timezone

from foia.appeals.models import Appeal, AppealBatch
from foia.appeals.services import appeal_mark_reviewed
from foia.bulk import BulkSelectionChanged, bulk_preview, bulk_run_process, bulk_start, get_action
from foia.models import BulkItemState, BulkRun, BulkStatus, Communication, Status

from .conftest import wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory

URL = reverse("bulk-action")


def _world(alice):
    LawFactory(jurisdiction="PA", law_name="Right-to-Know Law", citation="65 P.S. § 67.101")
    LawFactory(jurisdiction="NY", law_name="FOIL", citation="POL § 84")
    campaign = CampaignFactory(owner=alice)
    past = timezone.localdate() - datetime.timedelta(days=3)
    sent_at = timezone.now() - datetime.timedelta(days=20)

    def make(state, status=Status.SENT, **extra):
        agency = AgencyFactory(state=state, email=f"foil@{state.lower()}-{extra.pop('n', 0)}.example")
        return RecordsRequestFactory(
            campaign=campaign,
            agency=agency,
            owner=alice,
            status=status,
            sent_at=sent_at,
            due_on=past,
            **extra,
        )

    return campaign, {
        "pa1": make("PA", n=1),
        "pa2": make("PA", n=2),
        "pa_target": make("PA", n=3, due_is_statutory=False),  # no statutory deadline: not a deemed denial
        "pa_done": make("PA", n=4, status=Status.COMPLETED),
        "ny": make("NY", n=5),
        "ny_rejected": make("NY", n=6, status=Status.REJECTED, exemptions_cited="§ 87(2)(e) law enforcement"),
        "ny_other": make("NY", n=7, status=Status.REJECTED, exemptions_cited="§ 87(2)(b) privacy"),
    }


def test_draft_appeals_is_a_registered_bulk_action_previewed_with_counts(db, alice):
    campaign, rows = _world(alice)
    action = get_action("appeal_draft")
    assert action is not None and get_action("appeal_send") is not None
    pa = campaign.requests.filter(agency__state="PA")
    preview = bulk_preview(action=action, requests=pa, user=alice, params={"basis": "deemed"})
    assert sorted(preview.eligible) == sorted([rows["pa1"].pk, rows["pa2"].pk])
    assert dict(preview.cannot) == {"no statutory deadline to miss": 1, "never denied, not late": 1}
    assert preview.message.startswith("2 requests will be drafted; 2 cannot:")
    assert not Appeal.objects.exists()  # a preview drafts nothing


def test_every_deemed_denial_in_pennsylvania_is_drafted_by_a_worker_with_live_progress(
    transactional_db, alice, start_worker, settings, client
):
    settings.FOIA_BULK_INLINE_MAX = 0  # queued for the worker
    client.force_login(alice)
    campaign, rows = _world(alice)
    url = f"{URL}?campaign={campaign.pk}&state=PA&overdue=1&action=appeal_draft"
    page = client.post(url, {"basis": "deemed", "preview": "1"})
    assert b"2 requests will be drafted; 1 cannot: no statutory deadline to miss" in page.content
    fingerprint = page.context["preview"].fingerprint
    response = client.post(url, {"basis": "deemed", "apply": "1", "fingerprint": fingerprint})
    run = BulkRun.objects.get()
    assert run.action == "appeal_draft" and response["Location"] == reverse("bulk-run", args=[run.pk])
    assert b"Review the drafts" in client.get(response["Location"]).content
    review = reverse("appeal-run", args=[run.pk])
    first = client.get(review).content.decode()
    assert "0 of 2" in first and 'hx-trigger="every 1s"' in first  # queued; no worker yet
    start_worker()

    def finished():
        fragment = client.get(review, headers={"HX-Request": "true"}).content.decode()
        return fragment if "2 of 2" in fragment and "done" in fragment else None

    fragment = wait_until(finished, timeout=90, message="the appeal run's progress reaching 2 of 2")
    assert "hx-trigger" not in fragment
    assert "Send the 0 reviewed" in fragment and "0 requests will be sent" in fragment
    assert set(Appeal.objects.values_list("request_id", flat=True)) == {rows["pa1"].pk, rows["pa2"].pk}
    assert all(a.body == "Office of Open Records" and a.basis == "deemed" for a in Appeal.objects.all())
    assert not AppealBatch.objects.exists()  # the old model is no longer used


def test_every_rejection_citing_one_exemption_and_the_skipped_say_why(db, alice_client, alice):
    campaign, rows = _world(alice)
    nowhere = RecordsRequestFactory(  # no law on file for Ohio: its letter cannot be written
        campaign=campaign, agency=AgencyFactory(state="OH"), owner=alice, status=Status.REJECTED,
        exemptions_cited="§ 87(2)(e)",
    )  # fmt: skip
    url = f"{URL}?campaign={campaign.pk}&action=appeal_draft"
    data = {"basis": "rejected", "exemption": "87(2)(e)"}
    page = alice_client.post(url, {**data, "preview": "1"})
    preview = page.context["preview"]
    assert sorted(preview.eligible) == sorted([rows["ny_rejected"].pk, nowhere.pk])
    assert preview.cannot['does not cite "87(2)(e)"'] == 1 and preview.cannot["not a denial"] == 3
    alice_client.post(url, {**data, "apply": "1", "fingerprint": preview.fingerprint})
    run = BulkRun.objects.get()
    assert (run.status, run.done, run.skipped) == (BulkStatus.DONE, 1, 1)
    skipped = run.items.get(state=BulkItemState.SKIPPED)
    assert skipped.request == nowhere and "no public-records law is on file" in skipped.message
    assert Appeal.objects.get().request == rows["ny_rejected"]
    # Already drafted: a second run cannot draft a second appeal of the same decision.
    again = bulk_preview(action=get_action("appeal_draft"), requests=campaign.requests.all(), user=alice,
                         params=data)  # fmt: skip
    assert again.cannot["this decision already has an appeal"] == 1
    assert rows["ny_rejected"].pk not in again.eligible
    assert bulk_run_process(run_id=run.pk) == "done or claimed elsewhere"  # a redelivered task does nothing
    assert Appeal.objects.count() == 1


def test_a_request_appealed_meanwhile_is_skipped_not_drafted_twice(db, alice, settings):
    settings.FOIA_BULK_INLINE_MAX = 0  # queued; applied below after someone else drafted one
    campaign, rows = _world(alice)
    from foia.appeals.services import appeal_draft

    run = bulk_start(
        action=get_action("appeal_draft"), requests=campaign.requests.filter(pk=rows["ny"].pk), user=alice,
        params={"basis": "", "exemption": ""},
    )  # fmt: skip
    appeal_draft(records_request=rows["ny"])  # drafted on the request's page meanwhile
    assert bulk_run_process(run_id=run.pk) == "done"
    run.refresh_from_db()
    assert (run.done, run.skipped) == (0, 1)
    assert run.items.get().message == "this decision already has an appeal"
    assert Appeal.objects.filter(request=rows["ny"]).count() == 1
    try:
        bulk_start(action=get_action("appeal_draft"), requests=campaign.requests.filter(pk=rows["ny"].pk),
                   user=alice, params={})  # fmt: skip
    except BulkSelectionChanged as error:
        assert "this decision already has an appeal" in " ".join(error.messages)
    else:
        raise AssertionError("a second run over the same decision must refuse to start")


def test_send_the_n_reviewed_sends_only_the_reviewed_drafts(
    db, alice_client, alice, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, rows = _world(alice)
    url = f"{URL}?campaign={campaign.pk}&state=NY&action=appeal_draft"
    preview = alice_client.post(url, {"preview": "1"}).context["preview"]
    alice_client.post(url, {"apply": "1", "fingerprint": preview.fingerprint})
    run = BulkRun.objects.get()
    assert run.done == 3
    for appeal in Appeal.objects.all():  # NY appeals go to the agency head: the agency's email
        assert appeal.to_address.startswith("foil@ny-")
    reviewed = Appeal.objects.get(request=rows["ny_rejected"])
    appeal_mark_reviewed(appeal=reviewed, actor=alice)
    review = reverse("appeal-run", args=[run.pk])
    page = alice_client.get(review)
    assert "Send the 1 reviewed" in page.content.decode()
    assert "1 request will be sent; 2 cannot: not reviewed yet" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(review, {"fingerprint": page.context["send"].fingerprint})
    send_run = BulkRun.objects.get(action="appeal_send")
    assert response["Location"] == reverse("bulk-run", args=[send_run.pk]) and send_run.done == 1
    queued = Communication.objects.filter(idempotency_key__startswith="appeal:")
    assert [c.request_id for c in queued] == [rows["ny_rejected"].pk]
    assert [name for name, _args in sent_tasks].count("foia.tasks.outbound.send_message") == 1
    # Pressing again sends nothing new: the queued one is no longer a reviewed, unsent draft.
    again = alice_client.post(review, {"fingerprint": page.context["send"].fingerprint})
    assert again["Location"] == review
    assert Communication.objects.filter(idempotency_key__startswith="appeal:").count() == 1


def test_a_reporter_cannot_batch_another_reporters_requests_or_see_the_run(db, client, alice, bob, victor):
    campaign, rows = _world(alice)
    preview = bulk_preview(
        action=get_action("appeal_draft"), requests=campaign.requests.all(), user=bob, params={}
    )
    assert preview.eligible == [] and preview.cannot["owned by someone else"] == 7
    run = bulk_start(
        action=get_action("appeal_draft"), requests=campaign.requests.filter(agency__state="PA"),
        user=alice, params={"basis": "deemed"},
    )  # fmt: skip
    client.force_login(bob)
    assert client.get(reverse("appeal-run", args=[run.pk])).status_code == 403
    assert client.post(reverse("appeal-run", args=[run.pk]), {}).status_code == 403
    client.force_login(victor)
    assert client.post(reverse("appeal-run", args=[run.pk]), {}).status_code == 403
    assert not Communication.objects.exists()


def test_dashboard_export_and_api_show_the_appeals(db, alice_client, alice, victor_client, bob):
    from foia.appeals.lifecycle import appeal_record_filed, appeal_transition
    from foia.appeals.models import AppealStatus
    from foia.appeals.services import appeal_draft

    campaign, rows = _world(alice)
    won = appeal_record_filed(
        appeal=appeal_draft(records_request=rows["pa1"]), filed_at=timezone.now(), via="mail"
    )
    appeal_transition(appeal=won, to_status=AppealStatus.GRANTED)
    appeal_record_filed(appeal=appeal_draft(records_request=rows["pa2"]), filed_at=timezone.now(), via="mail")
    lost = appeal_record_filed(
        appeal=appeal_draft(records_request=rows["ny"]), filed_at=timezone.now(), via="mail"
    )
    appeal_transition(appeal=lost, to_status=AppealStatus.DENIED)
    appeal_draft(records_request=rows["ny_rejected"])

    dashboard = victor_client.get(reverse("campaign-dashboard", args=[campaign.pk]))
    by_state = {row["state"]: row for row in dashboard.context["stats"]["appeals_by_state"]}
    assert by_state["PA"] | {} == {
        "state": "PA",
        "drafted": 2,
        "filed": 2,
        "pending": 1,
        "won": 1,
        "partly": 0,
        "lost": 0,
    }
    assert by_state["NY"]["drafted"] == 2 and by_state["NY"]["filed"] == 1 and by_state["NY"]["lost"] == 1
    assert "Appeals by state" in dashboard.content.decode()

    export = victor_client.get(reverse("campaign-export-json", args=[campaign.pk])).json()
    assert export["columns"][-8:][0] == "appeal_status"
    row = next(r for r in export["rows"] if r["tracking_number"] == rows["pa1"].tracking_number)
    assert row["appeal_status"] == "granted" and row["appeal_body"] == "Office of Open Records"

    api = victor_client.get("/api/appeals/", {"state": "pa"}).json()
    assert {item["tracking_number"] for item in api["results"]} == {
        rows["pa1"].tracking_number,
        rows["pa2"].tracking_number,
    }
    assert set(api["results"][0]) >= {"window_closes_on", "decision_due_on", "letter", "reviewed", "status"}
    assert "reviewed_by" not in api["results"][0]
    assert victor_client.post("/api/appeals/", {}, content_type="application/json").status_code == 403
    client = type(victor_client)()
    assert client.get("/api/appeals/").status_code in (401, 403)


def test_a_batch_flags_late_drafts_and_gives_court_only_states_a_demand_letter(db, alice_client, alice):
    campaign, rows = _world(alice)
    LawFactory(jurisdiction="CA", law_name="California Public Records Act", citation="Gov. Code § 7920.000")
    long_ago = timezone.localdate() - datetime.timedelta(days=120)
    late = RecordsRequestFactory(
        campaign=campaign, agency=AgencyFactory(state="PA", email="late@pa.example"), owner=alice,
        status=Status.SENT, sent_at=timezone.now() - datetime.timedelta(days=140), due_on=long_ago,
    )  # fmt: skip
    court = RecordsRequestFactory(
        campaign=campaign, agency=AgencyFactory(state="CA", email="pra@ca.example"), owner=alice,
        status=Status.REJECTED, exemptions_cited="Gov. Code § 7923.600",
    )  # fmt: skip
    selection = campaign.requests.filter(pk__in=[late.pk, court.pk])
    preview = bulk_preview(action=get_action("appeal_draft"), requests=selection, user=alice, params={})
    assert sorted(preview.eligible) == sorted([late.pk, court.pk])
    run = bulk_start(action=get_action("appeal_draft"), requests=selection, user=alice, params={})
    assert (run.done, run.skipped) == (2, 0)
    late_appeal = Appeal.objects.get(request=late)
    assert late_appeal.is_late and late_appeal.window_closes_on < timezone.localdate()
    assert Appeal.objects.get(request=court).kind == "demand"
    page = alice_client.get(reverse("appeal-run", args=[run.pk])).content.decode()
    assert f"late: closed {late_appeal.window_closes_on.isoformat()}" in page
    assert "demand letter: court only" in page
    # The campaign page and the overdue page offer the same action.
    campaign_page = alice_client.get(reverse("campaign-detail", args=[campaign.pk])).content.decode()
    assert f"{URL}?campaign={campaign.pk}&amp;action=appeal_draft" in campaign_page
    overdue_page = alice_client.get(reverse("request-overdue")).content.decode()
    assert "action=appeal_draft" in overdue_page


def test_the_preview_reads_each_request_once_and_asks_only_what_the_decision_needs(
    db, alice, django_assert_num_queries
):
    campaign, rows = _world(alice)
    selection = campaign.requests.all()
    # 1 query for the 7 requests (their campaign included, for the permission check); per request with a
    # decision to appeal, 1 for an appeal of it; per rejection, 1 more for the day it was decided.
    # pa1, pa2, ny (deemed): 3; ny_rejected, ny_other: 2 + 2; pa_target and pa_done: none.
    with django_assert_num_queries(1 + 3 + 4):
        preview = bulk_preview(action=get_action("appeal_draft"), requests=selection, user=alice, params={})
    assert len(preview.eligible) == 5
