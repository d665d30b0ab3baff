"""The REST API: token auth per person, roles, filters, pagination, query counts, and bad input."""

import datetime
import hashlib
import json
import re

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from foia.models import (
    Campaign,
    Document,
    DocumentKind,
    RecordsRequest,
    RequestDocument,
    RequestEvent,
    Status,
)

from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory


def token_for(user) -> dict:
    token, _ = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def post_json(client, url, data, user):
    return client.post(url, json.dumps(data), content_type="application/json", **token_for(user))


def sent_request(owner=None, **fields):
    LawFactory()
    return RecordsRequestFactory(
        owner=owner,
        status=Status.SENT,
        sent_at=timezone.now() - datetime.timedelta(days=3),
        due_on=timezone.localdate() + datetime.timedelta(days=5),
        **fields,
    )


def make_link(records_request, content=b"%PDF-1.4 hello", name="contract.pdf"):
    document = Document.objects.create(
        sha256=hashlib.sha256(content).hexdigest(),
        file=ContentFile(content, name="stored.pdf"),
        size=len(content),
        mime_type="application/pdf",
        original_name=name,
        kind=DocumentKind.CONTRACT,
    )
    return RequestDocument.objects.create(request=records_request, document=document, filename=name)


# --- Authentication ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_api_call_gets_a_json_401_not_a_login_redirect(client):
    response = client.get("/api/requests/")
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db
def test_token_authenticates_as_its_person(client, victor):
    response = client.get("/api/requests/", **token_for(victor))
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_a_wrong_token_is_refused(client):
    response = client.get("/api/requests/", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401


@pytest.mark.django_db
def test_api_token_command_prints_a_working_token(client, alice, capsys):
    call_command("api_token", "alice")
    key = capsys.readouterr().out.strip()
    assert client.get("/api/campaigns/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


# --- Reads, filters, pagination, query counts -------------------------------------------------------------


@pytest.mark.django_db
def test_request_list_query_count_does_not_grow_with_the_page(client, victor, django_assert_num_queries):
    campaign = CampaignFactory()
    RecordsRequestFactory.create_batch(3, campaign=campaign)
    headers = token_for(victor)
    # Token + user (1), count (1), page with campaign/agency/owner joined (1).
    with django_assert_num_queries(3):
        small = client.get("/api/requests/", **headers)
    RecordsRequestFactory.create_batch(40, campaign=campaign)
    with django_assert_num_queries(3):
        large = client.get("/api/requests/", **headers)
    assert len(small.json()["results"]) == 3
    assert len(large.json()["results"]) == 43


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/agencies/", "/api/campaigns/", "/api/documents/", "/api/communications/"]
)
def test_other_lists_have_a_constant_query_count(client, victor, url, django_assert_max_num_queries):
    for _ in range(5):
        make_link(RecordsRequestFactory(), content=f"doc {_}".encode())
    headers = token_for(victor)
    # Token + user (1), count (1), page with its joins (1).
    with django_assert_max_num_queries(3):
        response = client.get(url, **headers)
    assert response.status_code == 200


@pytest.mark.django_db
def test_huge_page_size_is_clamped(client, victor):
    RecordsRequestFactory.create_batch(3)
    response = client.get("/api/requests/", {"page_size": 10**9}, **token_for(victor))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


@pytest.mark.django_db
def test_a_page_past_the_end_is_a_json_404(client, victor):
    response = client.get("/api/requests/", {"page": 99}, **token_for(victor))
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"campaign": "abc"},
        {"campaign": "99999999999999999999999"},
        {"status": "lost"},
        {"sent_after": "last tuesday"},
        {"page_size": "lots"},
        {"page_size": "-5"},
        {"ordering": "password"},
        {"ordering": "due_on,-secret"},
    ],
)
def test_malformed_filters_are_a_clear_400(client, victor, query):
    response = client.get("/api/requests/", query, **token_for(victor))
    assert response.status_code == 400
    assert response.json()


@pytest.mark.django_db
def test_ordering_by_an_allowed_field_works(client, victor):
    RecordsRequestFactory(tracking_number="A-1")
    RecordsRequestFactory(tracking_number="B-2")
    response = client.get("/api/requests/", {"ordering": "-tracking_number"}, **token_for(victor))
    assert [row["tracking_number"] for row in response.json()["results"]] == ["B-2", "A-1"]


@pytest.mark.django_db
def test_filters_narrow_the_list(client, victor):
    one, other = CampaignFactory(), CampaignFactory()
    RecordsRequestFactory(campaign=one, status=Status.SENT)
    RecordsRequestFactory(campaign=other)
    response = client.get("/api/requests/", {"campaign": one.pk, "status": "sent"}, **token_for(victor))
    assert [row["campaign"] for row in response.json()["results"]] == [one.pk]


@pytest.mark.django_db
def test_request_detail_includes_its_timeline(client, victor):
    records_request = RecordsRequestFactory()
    RequestEvent.objects.create(request=records_request, kind="note", message="Called the clerk")
    response = client.get(f"/api/requests/{records_request.pk}/", **token_for(victor))
    assert response.json()["events"][0]["message"] == "Called the clerk"


@pytest.mark.django_db
def test_a_request_id_that_does_not_exist_is_404(client, victor):
    assert client.get("/api/requests/999999/", **token_for(victor)).status_code == 404
    assert client.get("/api/requests/abc/", **token_for(victor)).status_code == 404


@pytest.mark.django_db
def test_stats_endpoint_returns_the_dashboard_figures(client, victor):
    RecordsRequestFactory.create_batch(2)
    response = client.get("/api/stats/", {"state": "mi"}, **token_for(victor))
    assert response.status_code == 200
    assert response.json()["totals"]["total"] == 2


@pytest.mark.django_db
def test_stats_endpoint_refuses_a_bad_date(client, victor):
    response = client.get("/api/stats/", {"date_from": "soon"}, **token_for(victor))
    assert response.status_code == 400
    assert "date_from" in response.json()


# --- Documents --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_document_download_is_an_attachment_that_never_renders(client, victor):
    link = make_link(RecordsRequestFactory(), name="../../etc/passwd <script>.pdf")
    response = client.get(f"/api/documents/{link.pk}/download/", **token_for(victor))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 hello"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "/" not in response["Content-Disposition"].split("filename=")[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_document_download_needs_authentication(client):
    link = make_link(RecordsRequestFactory())
    assert client.get(f"/api/documents/{link.pk}/download/").status_code == 401


# --- Writes and roles -------------------------------------------------------------------------------------


CAMPAIGN = {"title": "Flock cameras", "slug": "flock", "tracking_prefix": "FLOCK"}


@pytest.mark.django_db
def test_reporter_creates_a_campaign_and_owns_it(client, alice):
    response = post_json(client, "/api/campaigns/", CAMPAIGN, alice)
    assert response.status_code == 201, response.json()
    assert Campaign.objects.get(slug="flock").owner == alice


@pytest.mark.django_db
def test_viewer_cannot_create_a_campaign(client, victor):
    response = post_json(client, "/api/campaigns/", CAMPAIGN, victor)
    assert response.status_code == 403
    assert "Reporter" in response.json()["detail"]
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_unknown_fields_are_refused_and_nothing_is_written(client, alice):
    response = post_json(client, "/api/campaigns/", {**CAMPAIGN, "titel": "typo", "owner": 1}, alice)
    assert response.status_code == 400
    assert set(response.json()) == {"titel", "owner"}
    assert not Campaign.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {**CAMPAIGN, "followup_max": "three"},
        {**CAMPAIGN, "date_from": "2026-13-45"},
        {**CAMPAIGN, "title": ["a", "list"]},
        {**CAMPAIGN, "date_from": "2026-05-01", "date_to": "2026-01-01"},
        ["not", "an", "object"],
        "just a string",
    ],
)
def test_wrong_types_are_a_400_naming_the_field(client, alice, payload):
    response = post_json(client, "/api/campaigns/", payload, alice)
    assert response.status_code == 400
    assert response.json()
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_malformed_json_is_a_400(client, alice):
    response = client.post(
        "/api/campaigns/", "{not json", content_type="application/json", **token_for(alice)
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.django_db
def test_owner_adds_agencies_to_a_campaign(client, alice):
    campaign = CampaignFactory(owner=alice)
    agencies = AgencyFactory.create_batch(2)
    response = post_json(
        client, f"/api/campaigns/{campaign.pk}/agencies/", {"agency_ids": [a.pk for a in agencies]}, alice
    )
    assert response.status_code == 200
    assert response.json()["agency_count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("ids", [[10**30], [0], ["one"], [], "1,2", [1.5]])
def test_malformed_agency_ids_are_a_400(client, alice, ids):
    campaign = CampaignFactory(owner=alice)
    response = post_json(client, f"/api/campaigns/{campaign.pk}/agencies/", {"agency_ids": ids}, alice)
    assert response.status_code == 400
    assert "agency_ids" in response.json()


@pytest.mark.django_db
def test_adding_an_agency_that_does_not_exist_adds_nothing(client, alice):
    campaign = CampaignFactory(owner=alice)
    agency = AgencyFactory()
    response = post_json(
        client, f"/api/campaigns/{campaign.pk}/agencies/", {"agency_ids": [agency.pk, 987654]}, alice
    )
    assert response.status_code == 400
    assert "987654" in str(response.json()["agency_ids"])
    assert campaign.agencies.count() == 0


@pytest.mark.django_db
def test_a_reporter_cannot_change_another_reporters_campaign(client, alice, bob):
    campaign = CampaignFactory(owner=bob)
    agency = AgencyFactory()
    response = post_json(
        client, f"/api/campaigns/{campaign.pk}/agencies/", {"agency_ids": [agency.pk]}, alice
    )
    assert response.status_code == 403
    assert campaign.agencies.count() == 0


@pytest.mark.django_db
def test_editor_can_change_any_campaign(client, erin, bob):
    campaign = CampaignFactory(owner=bob)
    response = client.patch(
        f"/api/campaigns/{campaign.pk}/",
        json.dumps({"title": "Renamed"}),
        content_type="application/json",
        **token_for(erin),
    )
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.title == "Renamed"


@pytest.mark.django_db
def test_reporter_adds_an_agency_with_a_clean_state(client, alice):
    response = post_json(client, "/api/agencies/", {"name": "Troy Police", "state": "mi"}, alice)
    assert response.status_code == 201
    assert response.json()["state"] == "MI"


@pytest.mark.django_db
def test_a_duplicate_or_badly_stated_agency_is_refused(client, alice):
    AgencyFactory(name="Troy Police", state="MI")
    duplicate = post_json(client, "/api/agencies/", {"name": "TROY  police", "state": "MI"}, alice)
    bad_state = post_json(client, "/api/agencies/", {"name": "Elsewhere", "state": "Michigan"}, alice)
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    assert bad_state.status_code == 400 and "state" in bad_state.json()


@pytest.mark.django_db
def test_reporter_cannot_edit_an_agency_but_an_editor_can(client, alice, erin):
    agency = AgencyFactory()
    url = f"/api/agencies/{agency.pk}/"
    body = json.dumps({"phone": "555-0100"})
    assert client.patch(url, body, content_type="application/json", **token_for(alice)).status_code == 403
    assert client.patch(url, body, content_type="application/json", **token_for(erin)).status_code == 200


@pytest.mark.django_db
def test_owner_records_a_response_through_the_lifecycle(client, alice):
    records_request = sent_request(owner=alice)
    response = post_json(
        client,
        f"/api/requests/{records_request.pk}/transition/",
        {"to_status": "acknowledged", "note": "Clerk called back"},
        alice,
    )
    assert response.status_code == 200, response.json()
    records_request.refresh_from_db()
    assert records_request.status == Status.ACKNOWLEDGED
    assert records_request.first_response_at is not None
    assert any(event["message"] == "Clerk called back" for event in response.json()["events"])


@pytest.mark.django_db
def test_another_reporter_cannot_record_a_response_on_alices_request(client, alice, bob):
    records_request = sent_request(owner=alice)
    response = post_json(
        client, f"/api/requests/{records_request.pk}/transition/", {"to_status": "completed"}, bob
    )
    assert response.status_code == 403
    assert RecordsRequest.objects.get(pk=records_request.pk).status == Status.SENT


@pytest.mark.django_db
def test_viewer_cannot_record_a_response(client, victor):
    records_request = sent_request()
    response = post_json(
        client, f"/api/requests/{records_request.pk}/transition/", {"to_status": "completed"}, victor
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_impossible_transition_is_a_400_with_the_reason(client, erin):
    records_request = RecordsRequestFactory(status=Status.DRAFT)
    response = post_json(
        client, f"/api/requests/{records_request.pk}/transition/", {"to_status": "completed"}, erin
    )
    assert response.status_code == 400
    assert "to_status" in response.json()
    assert RecordsRequest.objects.get(pk=records_request.pk).status == Status.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [{"to_status": "lost"}, {"to_status": "completed", "fee_amount": "free"}, {"status": "completed"}, {}],
)
def test_bad_transition_payloads_are_refused(client, erin, payload):
    records_request = sent_request()
    response = post_json(client, f"/api/requests/{records_request.pk}/transition/", payload, erin)
    assert response.status_code == 400
    assert RecordsRequest.objects.get(pk=records_request.pk).status == Status.SENT


@pytest.mark.django_db
def test_transition_on_a_missing_request_is_404(client, erin):
    response = post_json(client, "/api/requests/424242/transition/", {"to_status": "completed"}, erin)
    assert response.status_code == 404


@pytest.mark.django_db
def test_requests_cannot_be_deleted_through_the_api(client, erin):
    records_request = RecordsRequestFactory()
    response = client.delete(f"/api/requests/{records_request.pk}/", **token_for(erin))
    assert response.status_code == 405
    assert RecordsRequest.objects.filter(pk=records_request.pk).exists()


# --- Schema and docs --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_schema_is_served_to_a_token_and_docs_need_no_cdn(client, victor):
    schema = client.get("/api/schema/", **token_for(victor))
    assert schema.status_code == 200
    assert b"/api/requests/" in schema.content
    client.force_login(victor)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Every script and stylesheet is served by us (a random CSRF token may contain the letters "cdn").
    external = re.findall(r'(?:src|href)=["\'](?:https?:)?//[^"\']+', html)
    assert external == []
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_docs_page_sends_anonymous_people_to_the_login_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/api/schema/").status_code == 401


# --- Search -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_finds_a_page_and_links_to_its_download(client, victor):
    from foia.models import DocumentPage

    records_request = RecordsRequestFactory(campaign=CampaignFactory())
    link = make_link(records_request, content=b"%PDF search", name="mou.pdf")
    DocumentPage.objects.create(document=link.document, number=2, text="The Neighbors app portal agreement")

    response = client.get(
        "/api/search/", {"q": "Neighbors", "campaign": records_request.campaign_id}, **token_for(victor)
    )

    assert response.status_code == 200, response.json()
    hit = response.json()["results"][0]
    assert hit["page"] == 2
    assert hit["filename"] == "mou.pdf"
    assert hit["download_url"] == f"/api/documents/{link.pk}/download/"
    assert "Neighbors" in hit["snippet"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [{}, {"q": "x", "limit": 100000}, {"q": "x", "kind": "poem"}, {"q": "x", "date_from": "May"}]
)
def test_bad_search_parameters_are_a_400(client, victor, query):
    response = client.get("/api/search/", query, **token_for(victor))
    assert response.status_code == 400
    assert response.json()


# --- The token page ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_creates_a_token_on_the_page_and_it_works(client, victor):
    client.force_login(victor)
    assert "no token yet" in client.get("/dashboard/api-token/").content.decode()

    response = client.post("/dashboard/api-token/", {"action": "create"})

    key = response.context["new_key"]
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert Token.objects.get(user=victor).key == key
    client.logout()
    assert client.get("/api/requests/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@pytest.mark.django_db
def test_replacing_a_token_revokes_the_old_one_and_the_page_never_shows_it_again(client, alice):
    old = Token.objects.create(user=alice).key
    client.force_login(alice)

    new = client.post("/dashboard/api-token/", {"action": "create"}).context["new_key"]
    page = client.get("/dashboard/api-token/").content.decode()

    assert new != old
    assert new not in page and new[:4] in page
    assert client.get("/api/requests/", HTTP_AUTHORIZATION=f"Token {old}").status_code == 401


@pytest.mark.django_db
def test_revoking_a_token_refuses_it(client, alice):
    key = Token.objects.create(user=alice).key
    client.force_login(alice)
    response = client.post("/dashboard/api-token/", {"action": "revoke"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=alice).exists()
    assert client.get("/api/requests/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


@pytest.mark.django_db
def test_an_unknown_token_action_changes_nothing(client, alice):
    key = Token.objects.create(user=alice).key
    client.force_login(alice)
    response = client.post("/dashboard/api-token/", {"action": "steal"})
    assert response.status_code == 302
    assert Token.objects.get(user=alice).key == key


@pytest.mark.django_db
def test_the_redoc_page_loads_no_font_or_script_from_another_site(client, victor):
    client.force_login(victor)

    html = client.get("/api/redoc/").content.decode()

    assert re.findall(r'(?:src|href)=["\'](?:https?:)?//[^"\']+', html) == []
    assert "googleapis" not in html and "/static/drf_spectacular_sidecar/redoc/" in html
