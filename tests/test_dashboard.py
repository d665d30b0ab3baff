"""The newsroom dashboard: figures, charts, filters over htmx, and a query count independent of size."""

import datetime
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from foia.models import Document, DocumentKind, RecordsRequest, RequestDocument, Status
from foia.stats import StatsFilter, dashboard_stats, median_of_counts

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory

TODAY = datetime.date(2026, 11, 25)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def make_document(records_request, kind=DocumentKind.CONTRACT, name="contract.pdf"):
    content = f"%PDF-1.4 {records_request.pk} {name} {kind}".encode()
    document = Document.objects.create(
        sha256=hashlib.sha256(content).hexdigest(),
        file=ContentFile(content, name=name),
        size=len(content),
        mime_type="application/pdf",
        original_name=name,
        kind=kind,
    )
    return RequestDocument.objects.create(request=records_request, document=document, filename=name)


def build_campaign(n: int, campaign=None, state="MI", owner=None):
    """n requests: a third answered (and half of those closed), a third overdue, a third drafts."""
    campaign = campaign or CampaignFactory()
    sent_day = TODAY - datetime.timedelta(days=40)
    for i in range(n):
        agency = AgencyFactory(state=state)
        rr = RecordsRequestFactory(campaign=campaign, agency=agency, owner=owner)
        kind = i % 3
        if kind == 0:
            rr.status, rr.sent_at = Status.COMPLETED, at(sent_day)
            rr.first_response_at = at(sent_day + datetime.timedelta(days=3 + i))
            rr.closed_at = at(sent_day + datetime.timedelta(days=10 + i))
            make_document(rr, name=f"doc{rr.pk}.pdf")
        elif kind == 1:
            rr.status, rr.sent_at = Status.SENT, at(sent_day)
            rr.due_on = TODAY - datetime.timedelta(days=5 + i)
        rr.save()
    return campaign


@pytest.mark.django_db
def test_stats_count_statuses_overdue_and_answers():
    campaign = build_campaign(6)

    stats = dashboard_stats(stats_filter=StatsFilter(campaign_id=campaign.pk), today=TODAY)

    assert stats["totals"]["total"] == 6
    assert stats["totals"]["sent"] == 4
    assert stats["totals"]["answered"] == 2
    assert stats["totals"]["overdue"] == 2
    assert stats["totals"]["response_rate"] == 0.5
    counts = {row["status"]: row["count"] for row in stats["by_status"]}
    assert counts == {**counts, "completed": 2, "sent": 2, "draft": 2}
    # Request 4 (i=4) is the most overdue: due 9 days ago.
    assert stats["longest_overdue"][0]["days_overdue"] == 9
    # First responses after 3 and 6 days; completions after 10 and 13.
    assert stats["first_response_days"]["median"] == 4.5
    assert stats["completion_days"]["median"] == 11.5
    assert stats["by_state"] == [{"state": "MI", "sent": 4, "answered": 2, "rate": 0.5}]
    assert stats["documents_by_kind"] == [{"kind": "contract", "label": "Contract", "count": 2}]
    assert stats["never_answered"]["count"] == 2
    assert sum(week["sent"] for week in stats["timeline"]) == 4
    assert sum(week["responses"] for week in stats["timeline"]) == 2


def test_median_of_counts_handles_odd_even_and_empty():
    assert median_of_counts({}) is None
    assert median_of_counts({3: 1}) == 3
    assert median_of_counts({1: 1, 5: 1}) == 3
    assert median_of_counts({1: 2, 9: 1}) == 1


@pytest.mark.django_db
def test_filter_narrows_by_state_and_owner(alice, bob):
    build_campaign(3, state="MI", owner=alice)
    build_campaign(3, state="OH", owner=bob)

    by_state = StatsFilter(state="OH").apply(RecordsRequest.objects.all())
    by_owner = StatsFilter(owner_id=alice.pk).apply(RecordsRequest.objects.all())

    assert set(by_state.values_list("agency__state", flat=True)) == {"OH"}
    assert set(by_owner.values_list("owner_id", flat=True)) == {alice.pk}


@pytest.mark.django_db
def test_dashboard_shows_figures_and_svg_charts(victor_client):
    build_campaign(6)

    response = victor_client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Newsroom dashboard" in html
    assert html.count("<svg") >= 5
    assert "Response rate by state" in html
    assert 'hx-get="/"' in html and 'hx-target="#dashboard-body"' in html and 'hx-push-url="true"' in html


@pytest.mark.django_db
def test_filter_request_over_htmx_returns_only_the_dashboard_body(victor_client):
    build_campaign(3, state="MI")
    build_campaign(3, state="OH")

    response = victor_client.get("/", {"state": "OH"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert "Response rate by state" in html
    assert response.context["stats"]["totals"]["total"] == 3


@pytest.mark.django_db
def test_a_malformed_filter_is_reported_and_ignored(victor_client):
    build_campaign(3)

    response = victor_client.get("/", {"date_from": "yesterday-ish", "campaign": "999999"})

    assert response.status_code == 200
    assert "were not understood" in response.content.decode()
    assert 'value="yesterday-ish"' in response.content.decode()  # what was typed stays in the field
    assert response.context["stats"]["totals"]["total"] == 3


@pytest.mark.django_db
def test_empty_dashboard_says_how_to_start(victor_client):
    response = victor_client.get("/")
    assert "No requests here yet" in response.content.decode()


@pytest.mark.django_db
def test_campaign_dashboard_counts_only_that_campaign_and_links_exports(victor_client):
    campaign = build_campaign(3)
    build_campaign(6)

    response = victor_client.get(f"/dashboard/campaigns/{campaign.pk}/")

    assert response.context["stats"]["totals"]["total"] == 3
    html = response.content.decode()
    assert f"/dashboard/campaigns/{campaign.pk}/export.csv" in html
    assert f"/dashboard/campaigns/{campaign.pk}/documents.zip" in html


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_dashboard_query_count_does_not_grow_with_requests(
    victor_client, django_assert_max_num_queries, alice
):
    # Session + user (2), owner filter validation (1), filter choices for campaign and owner (2), recent
    # campaigns (1), stats: core, days, weeks, longest overdue, documents, never answered + names (7),
    # appeals by state (1).
    build_campaign(3, owner=alice)
    with django_assert_max_num_queries(14) as small:
        victor_client.get("/", {"owner": alice.pk})
    build_campaign(30, owner=alice)
    with django_assert_max_num_queries(14) as large:
        victor_client.get("/", {"owner": alice.pk})
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_a_full_page_with_filters_keeps_them_selected(victor_client, alice):
    build_campaign(3, state="OH", owner=alice)

    html = victor_client.get("/", {"state": "OH", "owner": alice.pk}).content.decode()

    assert '<option value="OH" selected>' in html
    assert f'<option value="{alice.pk}" selected>' in html


def test_the_tile_map_has_a_tile_for_every_state_and_dc():
    from foia import charts, jurisdictions

    assert set(charts.US_TILES) == jurisdictions.STATES
