"""Batch appeals: every deemed denial in Pennsylvania (or every rejection citing one exemption) drafted on a
worker with live progress; each reviewed before "send the N reviewed", which sends only those."""

import datetime

from django.urls import reverse
from django.utils import timezone

from foia.appeals.batch import appeal_batch_run
from foia.appeals.models import Appeal, AppealBatch
from foia.appeals.services import appeal_mark_reviewed
from foia.models import Communication, Status

from .conftest import wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory


def _world(alice):
    LawFactory(jurisdiction="PA", law_name="Right-to-Know Law", citation="65 P.S. § 67.101")
    LawFactory(jurisdiction="NY", law_name="FOIL", citation="POL § 84")
    campaign = CampaignFactory(owner=alice)
    past = timezone.localdate() - datetime.timedelta(days=3)
    sent_at = timezone.now() - datetime.timedelta(days=20)

    def make(state, status=Status.SENT, **extra):
        agency = AgencyFactory(state=state)
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
        "pa1": make("PA"),
        "pa2": make("PA"),
        "pa_target": make("PA", due_is_statutory=False),  # no statutory deadline: not a deemed denial
        "ny": make("NY"),
        "ny_rejected": make("NY", status=Status.REJECTED, exemptions_cited="§ 87(2)(e) law enforcement"),
        "ny_other": make("NY", status=Status.REJECTED, exemptions_cited="§ 87(2)(b) privacy"),
    }


def test_every_deemed_denial_in_pennsylvania_is_drafted_by_a_worker_with_live_progress(
    alice_client, alice, start_worker
):
    campaign, rows = _world(alice)
    page = alice_client.get(
        reverse("appeal-batch-select"), {"campaign": campaign.pk, "state": "PA", "basis": "deemed"}
    )
    listed = page.context["rows"]
    assert {rr.pk for rr in listed} == {rows["pa1"].pk, rows["pa2"].pk}
    response = alice_client.post(
        reverse("appeal-batch-select"),
        {
            "campaign": campaign.pk,
            "state": "PA",
            "basis": "deemed",
            "request": [rows["pa1"].pk, rows["pa2"].pk],
        },
    )
    batch = AppealBatch.objects.get()
    assert response.url == reverse("appeal-batch", args=[batch.pk])
    first = alice_client.get(response.url).content.decode()
    assert "0 of 2" in first and 'hx-trigger="every 1s"' in first  # queued; no worker yet
    start_worker()

    def finished():
        fragment = alice_client.get(response.url, headers={"HX-Request": "true"}).content.decode()
        return fragment if "2 of 2" in fragment and "done" in fragment else None

    fragment = wait_until(finished, timeout=60, message="the batch's progress reaching 2 of 2")
    assert "hx-trigger" not in fragment
    assert "Send the 0 reviewed" in fragment
    assert set(Appeal.objects.values_list("request_id", flat=True)) == {rows["pa1"].pk, rows["pa2"].pk}
    assert all(a.body == "Office of Open Records" for a in Appeal.objects.all())


def test_every_rejection_citing_one_exemption_and_the_problems_are_listed(
    db, alice_client, alice, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, rows = _world(alice)
    nowhere = RecordsRequestFactory(  # no law on file for Ohio: its letter cannot be written
        campaign=campaign, agency=AgencyFactory(state="OH"), owner=alice, status=Status.REJECTED,
        exemptions_cited="§ 87(2)(e)",
    )  # fmt: skip
    page = alice_client.get(reverse("appeal-batch-select"), {"exemption": "87(2)(e)"})
    assert {rr.pk for rr in page.context["rows"]} == {rows["ny_rejected"].pk, nowhere.pk}
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            reverse("appeal-batch-select"),
            {"exemption": "87(2)(e)", "request": [rows["ny_rejected"].pk, nowhere.pk]},
        )
    batch = AppealBatch.objects.get()
    assert sent_tasks == [("foia.tasks.appeals.draft_batch", (batch.pk,))]
    assert appeal_batch_run(batch_id=batch.pk) == "finished"
    assert appeal_batch_run(batch_id=batch.pk) == "not claimed"  # a redelivered task drafts nothing twice
    batch.refresh_from_db()
    assert batch.done == 2 and [row[1] for row in batch.problems] == [nowhere.tracking_number]
    assert "no public-records law is on file" in batch.problems[0][2]
    assert Appeal.objects.get().request == rows["ny_rejected"]
    # Already drafted: no longer offered, so never two appeals for one decision.
    page = alice_client.get(reverse("appeal-batch-select"), {"exemption": "87(2)(e)"})
    assert rows["ny_rejected"].pk not in {rr.pk for rr in page.context["rows"]}


def test_send_the_n_reviewed_sends_only_the_reviewed_drafts(
    db, alice_client, alice, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, rows = _world(alice)
    alice_client.post(
        reverse("appeal-batch-select"),
        {"state": "NY", "request": [rows["ny"].pk, rows["ny_rejected"].pk, rows["ny_other"].pk]},
    )
    batch = AppealBatch.objects.get()
    appeal_batch_run(batch_id=batch.pk)
    reviewed = Appeal.objects.get(request=rows["ny_rejected"])
    appeal_mark_reviewed(appeal=reviewed, actor=alice)
    page = alice_client.get(reverse("appeal-batch", args=[batch.pk])).content.decode()
    assert "Send the 1 reviewed" in page
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("appeal-batch-send", args=[batch.pk]))
    queued = Communication.objects.filter(idempotency_key__startswith="appeal:")
    assert [c.request_id for c in queued] == [rows["ny_rejected"].pk]
    assert [name for name, _args in sent_tasks].count("foia.tasks.outbound.send_message") == 1
    alice_client.post(reverse("appeal-batch-send", args=[batch.pk]))  # pressing again sends nothing new
    assert Communication.objects.filter(idempotency_key__startswith="appeal:").count() == 1


def test_a_reporter_cannot_batch_another_reporters_requests(db, client, alice, bob, sent_tasks):
    campaign, rows = _world(alice)
    client.force_login(bob)
    response = client.post(reverse("appeal-batch-select"), {"request": [rows["pa1"].pk]})
    assert response.status_code == 302 and not AppealBatch.objects.exists()


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
    assert victor_client.post("/api/appeals/", {}, content_type="application/json").status_code in (403, 405)
    client = type(victor_client)()
    assert client.get("/api/appeals/").status_code in (401, 403)
