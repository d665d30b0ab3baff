"""Pages at campaign scale: the same queries with 5 agencies or 120, and a page of rows, not all of them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from foia.models import Status

from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory

SIZES = [5, 120]


@pytest.fixture
def campaign_of(db):
    """A campaign of n hand-submission drafts (portal, address, no contact) and n overdue email requests."""

    def build(n: int):
        LawFactory(jurisdiction="MI", requester_limit="residents")  # every agency is "flagged": one query
        campaign = CampaignFactory()
        overdue_on = timezone.localdate() - datetime.timedelta(days=2)
        contacts = [{"portal_url": "https://records.example/p"}, {"address": "1 Main St"}, {}]
        for i in range(n):
            by_hand = AgencyFactory(email="", **contacts[i % 3])
            by_email = AgencyFactory()
            campaign.agencies.add(by_hand, by_email)
            RecordsRequestFactory(campaign=campaign, agency=by_hand)
            RecordsRequestFactory(
                campaign=campaign,
                agency=by_email,
                status=Status.SENT,
                sent_at=timezone.now(),
                due_on=overdue_on,
            )
        return campaign

    return build


# Every page: the session and the user (2 queries), then what the comment lists.
@pytest.mark.parametrize("n", SIZES)
def test_the_campaign_page_runs_the_same_queries_at_any_size(
    client, erin, campaign_of, n, django_assert_num_queries
):
    campaign = campaign_of(n)
    client.force_login(erin)
    # campaign; requests by status; letters by state (progress); sends by state; request count (paginator);
    # checklist count; email-ready count; overdue count; agencies count; needing-contact count; laws with a
    # requester limit; the flagged agencies; a page of requests with their agencies.
    with django_assert_num_queries(2 + 13):
        page = client.get(reverse("campaign-detail", args=[campaign.pk]))
    assert len(page.context["page"].object_list) == min(2 * n, 100)


@pytest.mark.parametrize("n", SIZES)
def test_the_request_list_and_overdue_page_run_the_same_queries_at_any_size(
    client, erin, campaign_of, n, django_assert_num_queries
):
    campaign_of(n)
    client.force_login(erin)
    # campaign and owner choices of the filter form; the count; a page of requests (agency, campaign, owner).
    with django_assert_num_queries(2 + 4):
        page = client.get(reverse("request-list"))
    assert len(page.context["page"].object_list) == min(2 * n, 50)
    # The same, plus the closed days of the page's jurisdictions (appeal windows).
    with django_assert_num_queries(2 + 5):
        page = client.get(reverse("request-overdue"))
    assert len(page.context["page"].object_list) == min(n, 50)


@pytest.mark.parametrize("n", SIZES)
def test_the_checklist_runs_the_same_queries_at_any_size(
    client, erin, campaign_of, n, django_assert_num_queries
):
    campaign = campaign_of(n)
    client.force_login(erin)
    # campaign; the checklist count (paginator); a page of drafts with their agencies.
    with django_assert_num_queries(2 + 3):
        page = client.get(reverse("campaign-checklist", args=[campaign.pk]))
    hand = n - n // 3  # agencies with a portal or an address; those with no contact wait for one
    assert len(page.context["rows"]) == min(hand, 50)
    assert page.context["page"].paginator.count == hand


@pytest.mark.parametrize("n", SIZES)
def test_the_needs_contact_queue_runs_the_same_queries_at_any_size(
    client, erin, campaign_of, n, django_assert_num_queries
):
    campaign = campaign_of(n)
    client.force_login(erin)
    # campaign; the count (paginator); a page of agencies; the campaign picker.
    with django_assert_num_queries(2 + 4):
        page = client.get(reverse("agency-needs-contact") + f"?campaign={campaign.pk}")
    assert page.context["page"].paginator.count == n // 3


def test_the_checklist_offers_only_the_channels_the_agency_has_a_contact_for(client, erin, db):
    LawFactory(jurisdiction="MI")
    campaign = CampaignFactory()
    portal = AgencyFactory(email="", portal_url="https://records.example/p")
    fax = AgencyFactory(email="", fax="555-0100")
    for agency in (portal, fax):
        campaign.agencies.add(agency)
        RecordsRequestFactory(campaign=campaign, agency=agency)
    client.force_login(erin)
    rows = client.get(reverse("campaign-checklist", args=[campaign.pk])).context["rows"]
    offered = {row["records_request"].agency: [v for v, _ in row["methods"]] for row in rows}
    assert offered == {portal: ["portal", "hand"], fax: ["fax", "hand"]}


def test_marking_sent_by_a_channel_the_agency_has_no_contact_for_is_refused(client, erin, db):
    LawFactory(jurisdiction="MI")
    rr = RecordsRequestFactory(agency=AgencyFactory(email="", portal_url="https://records.example/p"))
    client.force_login(erin)
    data = {"sent_on": timezone.localdate().isoformat(), "method": "fax", "reference": ""}
    response = client.post(reverse("letter-mark-sent", args=[rr.pk]), data, follow=True)
    assert any("method" in str(m) for m in response.context["messages"])
    rr.refresh_from_db()
    assert rr.status == Status.DRAFT


def test_the_campaign_counts_demo_agencies_as_needing_contact_and_links_to_the_queue(client, erin, db):
    LawFactory(jurisdiction="MI")
    campaign = CampaignFactory()
    demo = AgencyFactory(is_demo=True, email="records@springfield.invalid")  # a simulated contact
    real = AgencyFactory()
    campaign.agencies.add(demo, real)
    client.force_login(erin)
    page = client.get(reverse("campaign-detail", args=[campaign.pk]))
    assert page.context["n_needing_contact"] == 1
    assert f"{reverse('agency-needs-contact')}?campaign={campaign.pk}".encode() in page.content
