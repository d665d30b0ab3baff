"""Dashboard summary rows (foia.dashboard_summary) give exactly the live counts, through every door.

Each test compares dashboard_stats (summary rows) with live_dashboard_stats (counted from the requests) for
every filter the summary serves — everything, each campaign, each state, each owner — and checks that the
from-scratch rebuild finds no drift.
"""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foia import dashboard_summary, lifecycle
from foia.bulk import bulk_run_process, bulk_start, get_action
from foia.models import (
    Agency,
    Campaign,
    DashboardCount,
    Document,
    DocumentKind,
    RecordsRequest,
    RequestDocument,
    SendMethod,
    Status,
)
from foia.stats import StatsFilter, dashboard_stats, live_dashboard_stats, summary_scope

from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory

TODAY = datetime.date(2026, 11, 25)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def served_filters() -> list[StatsFilter]:
    """Every filter the summary serves on the current data, plus a campaign, state and owner with nothing."""
    owners = set(RecordsRequest.objects.exclude(owner=None).values_list("owner_id", flat=True))
    return [
        StatsFilter(),
        *(StatsFilter(campaign_id=pk) for pk in Campaign.objects.values_list("pk", flat=True)),
        *(StatsFilter(state=state) for state in set(Agency.objects.values_list("state", flat=True)) | {"WY"}),
        *(StatsFilter(owner_id=pk) for pk in owners),
        StatsFilter(campaign_id=10**9),
        StatsFilter(owner_id=10**9),
    ]


def assert_summary_is_live(today: datetime.date = TODAY) -> None:
    for stats_filter in served_filters():
        assert summary_scope(stats_filter) is not None
        assert dashboard_stats(stats_filter=stats_filter, today=today) == live_dashboard_stats(
            stats_filter=stats_filter, today=today
        ), stats_filter
    found = dashboard_summary.drift()
    assert found.keys == 0, str(found)


def make_document(records_request, kind=DocumentKind.CONTRACT):
    content = f"%PDF-1.4 {records_request.pk} {kind} {Document.objects.count()}".encode()
    document = Document.objects.create(
        sha256=hashlib.sha256(content).hexdigest(), file=ContentFile(content, name="d.pdf"),
        size=len(content), mime_type="application/pdf", original_name="d.pdf", kind=kind,
    )  # fmt: skip
    return RequestDocument.objects.create(request=records_request, document=document, filename="d.pdf")


REQUEST = st.fixed_dictionaries(
    {
        "campaign": st.integers(0, 2),
        "agency": st.integers(0, 5),
        "owner": st.sampled_from([None, 0, 1]),
        "status": st.sampled_from(Status.values),
        "sent": st.none() | st.integers(0, 400),  # days before TODAY
        "sent_hour": st.integers(0, 23),
        "answer_hours": st.none() | st.integers(-30, 24 * 90),  # after sending; negative = data-entry slip
        "close_days": st.none() | st.integers(0, 120),  # after the answer
        "due": st.none() | st.integers(-60, 60),  # days from TODAY
        "docs": st.lists(st.sampled_from(DocumentKind.values), max_size=2),
    }
)


class Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(REQUEST, max_size=14), today_shift=st.integers(-30, 30))
def test_summary_equals_live_counts_on_generated_datasets(specs, today_shift, alice, bob):
    today = TODAY + datetime.timedelta(days=today_shift)
    try:
        with transaction.atomic():
            campaigns = [CampaignFactory() for _ in range(3)]
            agencies = [AgencyFactory(state=["MI", "OH", "TX"][i % 3]) for i in range(6)]
            seen = set()
            for spec in specs:
                if (spec["campaign"], spec["agency"]) in seen:
                    continue
                seen.add((spec["campaign"], spec["agency"]))
                sent = (
                    at(TODAY - datetime.timedelta(days=spec["sent"]), spec["sent_hour"])
                    if spec["sent"]
                    else None
                )
                answered = closed = None
                if sent and spec["answer_hours"] is not None:
                    answered = sent + datetime.timedelta(hours=spec["answer_hours"])
                    if spec["close_days"] is not None:
                        closed = answered + datetime.timedelta(days=spec["close_days"])
                rr = RecordsRequestFactory(
                    campaign=campaigns[spec["campaign"]], agency=agencies[spec["agency"]],
                    owner=[alice, bob][spec["owner"]] if spec["owner"] is not None else None,
                    status=spec["status"], sent_at=sent, first_response_at=answered, closed_at=closed,
                    due_on=TODAY + datetime.timedelta(days=spec["due"]) if spec["due"] is not None else None,
                )  # fmt: skip
                for kind in spec["docs"]:
                    make_document(rr, kind)
            assert_summary_is_live(today)
            raise Rollback
    except Rollback:
        pass


@pytest.fixture
def dataset(db, alice, bob):
    """Two campaigns over agencies in two states, requests in every state of life, some with documents."""
    LawFactory(jurisdiction="MI")
    LawFactory(jurisdiction="OH")
    campaigns = [CampaignFactory(), CampaignFactory()]
    agencies = [AgencyFactory(state="MI" if i % 2 else "OH") for i in range(6)]
    sent_day = TODAY - datetime.timedelta(days=30)
    for i, agency in enumerate(agencies):
        for j, campaign in enumerate(campaigns):
            rr = RecordsRequestFactory(
                campaign=campaign, agency=agency, owner=[alice, bob, None][(i + j) % 3]
            )
            if (i + j) % 4:
                RecordsRequest.objects.filter(pk=rr.pk).update(
                    status=Status.SENT, sent_at=at(sent_day), due_on=TODAY - datetime.timedelta(days=i)
                )
            if (i + j) % 4 == 3:
                rr.refresh_from_db()
                rr.status, rr.first_response_at = (
                    Status.ACKNOWLEDGED,
                    at(sent_day + datetime.timedelta(days=i)),
                )
                rr.save()
                make_document(rr, DocumentKind.CONTRACT if i % 2 else DocumentKind.MOU)
    return campaigns, agencies


def test_creating_and_saving_requests_keeps_the_summary(dataset):
    assert DashboardCount.objects.exists()
    assert_summary_is_live()


def test_lifecycle_changes_keep_the_summary(dataset, alice):
    campaign = dataset[0][0]
    draft = campaign.requests.filter(status=Status.DRAFT).first()
    lifecycle.request_mark_sent(
        records_request=draft, sent_at=at(TODAY - datetime.timedelta(days=2)), method=SendMethod.EMAIL
    )
    assert_summary_is_live()
    for to_status in (Status.ACKNOWLEDGED, Status.PROCESSING, Status.COMPLETED):
        lifecycle.request_transition(records_request=draft, to_status=to_status, actor=alice, today=TODAY)
        assert_summary_is_live()


def test_bulk_actions_keep_the_summary(dataset, erin, bob):
    campaign = dataset[0][0]
    for name, params in (("assign", {"owner": bob.pk}), ("withdraw", {"note": "Story dropped"})):
        run = bulk_start(action=get_action(name), requests=campaign.requests.all(), user=erin, params=params)
        bulk_run_process(run_id=run.pk)
        assert_summary_is_live()
    assert campaign.requests.filter(status=Status.WITHDRAWN).exists()


def test_queryset_update_and_bulk_create_keep_the_summary(dataset, alice):
    campaigns, agencies = dataset
    RecordsRequest.objects.filter(status=Status.SENT).update(status=Status.PROCESSING, owner=alice)
    assert_summary_is_live()
    RecordsRequest.objects.filter(owner=alice).update(first_response_at=at(TODAY), due_on=None)
    assert_summary_is_live()
    third = CampaignFactory()
    RecordsRequest.objects.bulk_create(
        [RecordsRequest(campaign=third, agency=agency, tracking_number=f"BULK-{i}", reply_token=f"bulk{i}",
                        status=Status.SENT, sent_at=at(TODAY - datetime.timedelta(days=9)), due_on=TODAY)
         for i, agency in enumerate(agencies)]
    )  # fmt: skip
    assert_summary_is_live()
    RecordsRequest.objects.filter(campaign=third).update(owner=None)
    assert_summary_is_live()


def test_deletes_and_document_changes_keep_the_summary(dataset, bob):
    link = RequestDocument.objects.first()
    Document.objects.filter(pk=link.document_id).update(kind=DocumentKind.INVOICE)
    assert_summary_is_live()
    link.document.refresh_from_db()
    link.document.kind = DocumentKind.CONTRACT
    link.document.save()
    assert_summary_is_live()
    RequestDocument.objects.filter(pk=link.pk).delete()
    assert_summary_is_live()
    answered = RecordsRequest.objects.filter(first_response_at__isnull=False).first()
    RequestDocument.objects.filter(request=answered).delete()
    answered.events.all().delete()
    answered.delete()
    assert_summary_is_live()
    get_user_model().objects.filter(pk=bob.pk).delete()  # owner SET NULL: an UPDATE from Django's collector
    assert_summary_is_live()


def test_an_agency_moving_state_moves_its_requests(dataset):
    agency = dataset[1][0]
    agency.state = "TX"
    agency.save()
    assert_summary_is_live()
    Agency.objects.filter(pk=dataset[1][1].pk).update(state="TX")
    assert_summary_is_live()


def test_admin_edits_keep_the_summary(dataset, client, ada, alice):
    rr = RecordsRequest.objects.filter(status=Status.SENT).first()
    client.force_login(ada)
    url = reverse("admin:foia_recordsrequest_change", args=[rr.pk])
    data = model_to_dict(rr, ["campaign", "agency", "tracking_number", "reply_token"])
    data.update({"owner": alice.pk, "new_status": Status.PAYMENT_REQUIRED, "new_fee_amount": "25.50"})
    data.update({"events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0})
    assert client.post(url, data).status_code == 302
    rr.refresh_from_db()
    assert (rr.status, rr.owner_id) == (Status.PAYMENT_REQUIRED, alice.pk)
    assert_summary_is_live()


def test_the_demo_load_keeps_the_summary(db):
    call_command("load_laws")
    call_command("load_demo")
    call_command("demo_activity")
    assert RecordsRequest.objects.exclude(status=Status.DRAFT).exists()
    assert_summary_is_live(timezone.localdate())


def test_a_rolled_back_change_leaves_no_count(dataset):
    rows = DashboardCount.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        RecordsRequest.objects.update(status=Status.COMPLETED)
        raise RuntimeError("abandoned")
    assert DashboardCount.objects.count() == rows
    assert_summary_is_live()


def test_compact_folds_rows_and_keeps_every_figure(dataset):
    RecordsRequest.objects.filter(status=Status.SENT).update(status=Status.PROCESSING)
    RecordsRequest.objects.filter(status=Status.PROCESSING).update(status=Status.SENT)
    before = {f: dashboard_stats(stats_filter=f, today=TODAY) for f in served_filters()}
    rows, folded = dashboard_summary.compact()
    assert DashboardCount.objects.count() == folded < rows
    assert {f: dashboard_stats(stats_filter=f, today=TODAY) for f in served_filters()} == before
    assert_summary_is_live()


def test_rebuild_reports_drift_and_repairs_it(dataset, capsys):
    DashboardCount.objects.create(scope="a", scope_key="", measure="n", key="sent|MI", n=5)
    DashboardCount.objects.filter(measure="doc").delete()
    found = dashboard_summary.drift()
    assert found.keys >= 2 and "a::n:sent|MI stored" in str(found)

    call_command("dashboard_summary", "check")
    assert "drifted" in capsys.readouterr().out
    call_command("dashboard_summary", "rebuild")
    assert "drifted" in capsys.readouterr().out  # what the rebuild repaired
    assert_summary_is_live()
    call_command("dashboard_summary", "check")
    assert "no drift" in capsys.readouterr().out


def test_filters_the_summary_cannot_serve_are_counted_live(dataset, alice):
    campaign = dataset[0][0]
    for stats_filter in (
        StatsFilter(campaign_id=campaign.pk, state="MI"),
        StatsFilter(owner_id=alice.pk, state="OH"),
        StatsFilter(date_from=TODAY - datetime.timedelta(days=40)),
    ):
        assert summary_scope(stats_filter) is None
        assert dashboard_stats(stats_filter=stats_filter, today=TODAY) == live_dashboard_stats(
            stats_filter=stats_filter, today=TODAY
        )


def test_many_never_answered_agencies_are_listed_through_a_subquery(dataset, monkeypatch):
    from foia import stats

    monkeypatch.setattr(stats, "NEVER_ANSWERED_IN_LIST", 0)
    assert_summary_is_live()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_the_same_counts_neither_block_nor_lose_a_count():
    """Two transactions move requests out of the same (status, state) counts at once: both commit, no drift.

    Counter rows updated in place would make them wait on each other (and deadlock when they touch the
    counts in opposite orders); the summary only appends rows, so on PostgreSQL neither waits on the other.
    """
    import threading

    from django.db import connection

    LawFactory(jurisdiction="MI")
    agencies = [AgencyFactory(state="MI") for _ in range(15)]
    campaigns = [CampaignFactory(), CampaignFactory()]
    for campaign in campaigns:
        for agency in agencies:
            RecordsRequestFactory(campaign=campaign, agency=agency, status=Status.SENT, sent_at=at(TODAY))
    barrier, errors = threading.Barrier(2), []

    def work(campaign, to_status, order):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                for rr in RecordsRequest.objects.filter(campaign=campaign).order_by(order):
                    rr.status, rr.first_response_at = to_status, at(TODAY, 15)
                    rr.save()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(campaigns[0], Status.COMPLETED, "pk")),
        threading.Thread(target=work, args=(campaigns[1], Status.PROCESSING, "-pk")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert RecordsRequest.objects.filter(status=Status.SENT).count() == 0
    assert_summary_is_live()


def test_summary_pages_keep_their_query_count_as_requests_grow(
    victor_client, dataset, django_assert_num_queries
):
    # Session and user (2), filter choices for campaign and owner (2), recent campaigns (1), summary totals
    # (1), never-answered agencies (1) and the oldest of them (1), longest overdue (1), appeals by state (1).
    campaign = dataset[0][0]
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            for agency in [AgencyFactory(state="TX") for _ in range(12)]:
                RecordsRequestFactory(campaign=campaign, agency=agency, status=Status.SENT, sent_at=at(TODAY))
        for url in ("/", f"/dashboard/campaigns/{campaign.pk}/"):
            with django_assert_num_queries(10 if url == "/" else 8) as queries:
                victor_client.get(url)
            counts[size, url] = len(queries.captured_queries)
    assert counts["small", "/"] == counts["large", "/"]
