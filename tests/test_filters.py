"""One filter set per list (foia/filters.py): a page and the API given the same query return the same rows."""

import pytest
from django.urls import reverse

from foia.models import AgencyKind, Status

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory
from .test_api import token_for


@pytest.fixture
def agencies(db):
    AgencyFactory(name="Troy Police Department", state="MI", city="Troy")
    AgencyFactory(
        name="Oakland County Sheriff", state="MI", kind=AgencyKind.SHERIFF, city="Pontiac", email=""
    )
    AgencyFactory(name="Dallas Police Department", state="TX", city="Dallas")
    AgencyFactory(name="Irving Police", state="TX", city="Dallas County")


def page_names(client, name, query) -> set[str]:
    return {row.name for row in client.get(reverse(name), query).context["page"].object_list}


def api_names(client, user, url, query, field="name") -> set[str]:
    response = client.get(url, query, **token_for(user))
    assert response.status_code == 200, response.content
    return {row[field] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "query",
    [
        {"q": "dallas"},
        {"state": "mi"},
        {"kind": "sheriff"},
        {"name": "police"},
        {"q": "pontiac", "state": "MI"},
    ],
)
def test_the_agency_page_the_campaign_picker_and_the_api_filter_agencies_alike(
    client, alice, agencies, query
):
    campaign = CampaignFactory(owner=alice)
    client.force_login(alice)
    on_page = page_names(client, "agency-list", query)
    in_picker = {
        agency.name
        for agency in client.get(reverse("campaign-agencies", args=[campaign.pk]), query)
        .context["page"]
        .object_list
    }

    assert on_page == in_picker == api_names(client, alice, "/api/agencies/", query)
    assert on_page


def test_needs_contact_is_a_checkbox_on_the_page_and_a_boolean_in_the_api(client, alice, agencies):
    client.force_login(alice)

    assert page_names(client, "agency-list", {"needs_contact": "on"}) == {"Oakland County Sheriff"}
    assert api_names(client, alice, "/api/agencies/", {"needs_contact": "true"}) == {"Oakland County Sheriff"}


def test_the_request_list_and_the_api_filter_requests_alike(client, erin):
    mine = RecordsRequestFactory(tracking_number="RING-0001", status=Status.SENT)
    RecordsRequestFactory(tracking_number="RING-0002", status=Status.DRAFT, agency=mine.agency)
    RecordsRequestFactory(tracking_number="CAM-0003", status=Status.SENT)
    client.force_login(erin)
    for query in ({"q": "ring"}, {"status": "sent"}, {"q": mine.agency.name[:8], "status": "sent"}):
        page = client.get(reverse("request-list"), query).context["page"].object_list
        on_page = {row.tracking_number for row in page}
        assert on_page == api_names(client, erin, "/api/requests/", query, field="tracking_number"), query


def test_a_bad_filter_value_is_ignored_on_a_page_and_a_400_in_the_api(client, erin, agencies):
    client.force_login(erin)

    assert client.get(reverse("request-list"), {"campaign": "abc"}).status_code == 200
    response = client.get("/api/requests/", {"campaign": "abc"}, **token_for(erin))
    assert response.status_code == 400 and "campaign" in response.json()
