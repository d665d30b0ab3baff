"""The request list, the overdue page and its CSV, the detail page and its forms, and who may use them."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from foia.models import RequestEvent, Status

from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory


@pytest.fixture
def campaign(erin):
    return CampaignFactory(owner=erin, title="Ring partnerships")


def overdue(campaign, owner, days_late, **fields):
    today = timezone.localdate()
    fields.setdefault("agency", AgencyFactory(state=fields.pop("state", "MI")))
    return RecordsRequestFactory(
        campaign=campaign,
        owner=owner,
        status=fields.pop("status", Status.SENT),
        due_on=today - datetime.timedelta(days=days_late),
        due_rule="Michigan FOIA (MCL 15.235): response due 5 business days after receipt on 2026-11-02",
        **fields,
    )


def test_the_overdue_page_lists_open_requests_most_overdue_first_with_the_rule(alice_client, alice, campaign):
    overdue(campaign, alice, 2, tracking_number="RING-0002")
    overdue(campaign, alice, 9, tracking_number="RING-0009")
    overdue(campaign, alice, 5, tracking_number="RING-DONE", status=Status.COMPLETED)
    response = alice_client.get(reverse("request-overdue"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("RING-0009") < page.index("RING-0002")
    assert "RING-DONE" not in page
    assert 'title="Michigan FOIA (MCL 15.235): response due 5 business days' in page
    assert "Update</button>" in page  # quick status update for her own requests


def test_the_overdue_page_filters_by_campaign_state_agency_owner_and_status(
    alice_client, alice, bob, campaign
):
    other = CampaignFactory()
    keep = overdue(campaign, alice, 3, tracking_number="KEEP-1", state="TX")
    overdue(campaign, alice, 3, tracking_number="OTHER-AGENCY", state="TX")
    overdue(other, alice, 3, tracking_number="OTHER-CAMPAIGN", state="TX")
    overdue(campaign, bob, 3, tracking_number="BOBS-1", state="TX")
    overdue(campaign, alice, 3, tracking_number="MICHIGAN-1", state="MI")
    overdue(campaign, alice, 3, tracking_number="ACK-1", state="TX", status=Status.ACKNOWLEDGED)
    params = {"campaign": campaign.pk, "state": "TX", "owner": alice.pk, "status": "sent", "q": "Springfield"}
    params["agency"] = keep.agency_id
    page = alice_client.get(reverse("request-overdue"), params).content.decode()
    assert "KEEP-1" in page
    for hidden in ("OTHER-CAMPAIGN", "OTHER-AGENCY", "BOBS-1", "MICHIGAN-1", "ACK-1"):
        assert hidden not in page


def test_the_overdue_page_makes_the_same_number_of_queries_for_3_or_30_requests(
    alice_client, alice, campaign, django_assert_max_num_queries
):
    for _ in range(3):
        overdue(campaign, alice, 4)
    # session + user, count, page of requests, campaign and owner choices for the filters, the closed days
    # of the states on the page (appeal windows)
    with django_assert_max_num_queries(7):
        alice_client.get(reverse("request-overdue"))
    for _ in range(27):
        overdue(campaign, alice, 4)
    with django_assert_max_num_queries(7):
        alice_client.get(reverse("request-overdue"))


def test_the_csv_export_escapes_formula_cells(alice_client, alice, campaign):
    overdue(campaign, alice, 3, tracking_number="RING-1", agency=AgencyFactory(name="=HYPERLINK(evil)"))
    response = alice_client.get(reverse("request-overdue"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["tracking_number", "campaign", "agency"]
    assert rows[1][0] == "RING-1" and rows[1][2] == "'=HYPERLINK(evil)" and rows[1][8] == "3"


def test_the_request_list_filters_and_shows_an_empty_state(victor_client, alice, campaign):
    overdue(campaign, alice, 1, tracking_number="RING-0001")
    page = victor_client.get(reverse("request-list")).content.decode()
    assert "RING-0001" in page
    page = victor_client.get(reverse("request-list"), {"q": "nothing-like-this"}).content.decode()
    assert "No request matches these filters" in page


def test_the_detail_page_shows_the_rule_the_timeline_the_forms_and_the_fragments(
    alice_client, alice, campaign
):
    rr = overdue(campaign, alice, 3)
    RequestEvent.objects.create(request=rr, kind="note", message="Called the clerk", actor=alice)
    page = alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()
    assert "Michigan FOIA (MCL 15.235)" in page
    assert "Called the clerk" in page
    assert reverse("request-status", args=[rr.pk]) in page
    assert reverse("request-extension", args=[rr.pk]) in page
    assert reverse("request-note", args=[rr.pk]) in page


def test_events_without_a_person_show_as_system(alice_client, alice, campaign):
    rr = overdue(campaign, alice, 3)
    RequestEvent.objects.create(request=rr, kind="communication", message="Reply received by mail")
    response = alice_client.get(reverse("request-detail", args=[rr.pk]))
    assert response.status_code == 200
    assert "Reply received by mail" in response.content.decode()
    assert "system" in response.content.decode()


def test_a_request_without_an_owner_shows_who_gets_its_reminders(alice_client, alice, campaign):
    rr = overdue(campaign, alice, 3)
    rr.owner = None
    rr.save(update_fields=["owner"])
    response = alice_client.get(reverse("request-detail", args=[rr.pk]))
    assert response.status_code == 200
    assert "nobody (campaign owner gets reminders)" in response.content.decode()


def test_a_reporter_changes_the_status_of_her_request_and_it_lands_on_the_timeline(
    alice_client, alice, campaign
):
    rr = overdue(campaign, alice, 3)
    response = alice_client.post(
        reverse("request-status", args=[rr.pk]), {"to_status": "acknowledged", "note": "They wrote back"}
    )
    assert response.status_code == 302
    rr.refresh_from_db()
    assert rr.status == Status.ACKNOWLEDGED
    assert RequestEvent.objects.get(request=rr, kind="status").actor == alice


def test_the_quick_update_on_the_overdue_page_returns_to_the_overdue_page(alice_client, alice, campaign):
    rr = overdue(campaign, alice, 3)
    back = reverse("request-overdue") + "?state=MI"
    response = alice_client.post(
        reverse("request-status", args=[rr.pk]), {"to_status": "processing", "next": back}
    )
    assert response["Location"] == back
    response = alice_client.post(
        reverse("request-status", args=[rr.pk]), {"to_status": "completed", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("request-detail", args=[rr.pk])


def test_a_disallowed_status_change_shows_why_and_changes_nothing(alice_client, alice, campaign):
    rr = overdue(campaign, alice, 3, status=Status.COMPLETED)
    response = alice_client.post(
        reverse("request-status", args=[rr.pk]), {"to_status": "processing"}, follow=True
    )
    assert "cannot go from completed to processing" in response.content.decode()
    rr.refresh_from_db()
    assert rr.status == Status.COMPLETED


def test_an_extension_and_a_note_from_the_detail_page(alice_client, alice, campaign):
    LawFactory(jurisdiction="MI")
    rr = overdue(campaign, alice, 3)
    new_due = rr.due_on + datetime.timedelta(days=10)  # within MCL 15.235(2)(d)'s 10 business days
    alice_client.post(
        reverse("request-extension", args=[rr.pk]), {"new_due_on": new_due, "reason": "Backlog"}
    )
    alice_client.post(reverse("request-note", args=[rr.pk]), {"text": "Asked for a rolling release"})
    rr.refresh_from_db()
    assert rr.due_on == new_due
    assert list(RequestEvent.objects.filter(request=rr).values_list("kind", flat=True)) == [
        "extension",
        "due_date",
        "note",
    ]


def test_an_extension_before_the_current_due_date_is_refused_with_a_message(alice_client, alice, campaign):
    rr = overdue(campaign, alice, 3)
    response = alice_client.post(
        reverse("request-extension", args=[rr.pk]),
        {"new_due_on": rr.due_on - datetime.timedelta(days=1), "reason": "Busy"},
        follow=True,
    )
    assert "is not after the current due date" in response.content.decode()
    assert not RequestEvent.objects.filter(request=rr).exists()


@pytest.mark.parametrize("url_name", ["request-status", "request-extension", "request-note"])
def test_a_viewer_can_change_nothing(victor_client, alice, campaign, url_name):
    rr = overdue(campaign, alice, 3)
    data = {"to_status": "processing", "new_due_on": "2030-01-01", "reason": "x", "text": "x"}
    assert victor_client.post(reverse(url_name, args=[rr.pk]), data).status_code == 403
    rr.refresh_from_db()
    assert rr.status == Status.SENT and not RequestEvent.objects.exists()


def test_a_reporter_cannot_change_someone_elses_request_but_an_editor_can(client, alice, bob, erin, campaign):
    rr = overdue(campaign, bob, 3)
    client.force_login(alice)
    assert (
        client.post(reverse("request-status", args=[rr.pk]), {"to_status": "processing"}).status_code == 403
    )
    assert "Update</button>" not in client.get(reverse("request-overdue")).content.decode()
    client.force_login(erin)
    assert (
        client.post(reverse("request-status", args=[rr.pk]), {"to_status": "processing"}).status_code == 302
    )


def test_pages_need_a_login(client):
    assert client.get(reverse("request-overdue")).status_code == 302
