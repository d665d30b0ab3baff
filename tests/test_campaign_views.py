"""Campaign and letter pages: roles, forms with clear errors, agencies, progress, downloads, sending."""

import io
import zipfile

import pytest
from django.urls import reverse

from foia import campaigns
from foia.models import Campaign, Communication, RecordsRequest, RequesterLimit, Status
from foia.models.request import LetterState

from .factories import AgencyFactory, CampaignFactory, LawFactory

FORM = {
    "title": "Ring partnerships",
    "slug": "",
    "tracking_prefix": "ring",
    "records_wanted": "Contracts with Ring LLC\nEmails with ring.com addresses",
    "requester_name": "Jane Reporter",
    "requester_email": "jane@newsroom.example",
    "preferred_format": "PDF by email",
    "followup_mode": "draft",
    "followup_every_days": "10",
    "followup_max": "3",
    "send_per_hour": "60",
}


@pytest.fixture
def campaign(alice):
    LawFactory()
    campaign = CampaignFactory(owner=alice, tracking_prefix="RING", slug="ring")
    campaign.agencies.add(
        AgencyFactory(name="Auburn Hills Police Department"), AgencyFactory(name="Zeeland PD")
    )
    return campaign


def _ready(campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    for pk in campaigns.campaign_queue_letters(campaign=campaign):
        campaigns.letter_generate(records_request_id=pk)


def test_a_reporter_creates_a_campaign_and_the_slug_and_prefix_are_tidied(alice_client, alice):
    response = alice_client.post(reverse("campaign-create"), FORM)

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert (campaign.slug, campaign.tracking_prefix, campaign.owner) == ("ring-partnerships", "RING", alice)


def test_the_campaign_form_reports_a_template_error_with_its_line(alice_client):
    data = FORM | {"body_template": "Dear officer,\n\n{{ agency.nmae }} please"}

    response = alice_client.post(reverse("campaign-create"), data)

    assert response.status_code == 200
    assert (
        response.context["form"]
        .errors["body_template"][0]
        .startswith('Line 3: unknown variable "agency.nmae"')
    )
    assert not Campaign.objects.exists()


def test_the_campaign_form_refuses_no_records_and_no_requester_email(alice_client):
    response = alice_client.post(
        reverse("campaign-create"), FORM | {"records_wanted": " \n", "requester_email": ""}
    )

    errors = response.context["form"].errors
    assert "List at least one kind of record" in errors["records_wanted"][0]
    assert "requester_email" in errors


def test_a_viewer_cannot_create_edit_generate_or_send(victor_client, campaign):
    assert victor_client.get(reverse("campaign-create")).status_code == 403
    assert victor_client.post(reverse("campaign-edit", args=[campaign.pk]), FORM).status_code == 403
    assert victor_client.post(reverse("campaign-generate", args=[campaign.pk])).status_code == 403
    assert victor_client.post(reverse("campaign-send", args=[campaign.pk])).status_code == 403
    assert (
        victor_client.post(reverse("campaign-agencies", args=[campaign.pk]), {"agency": ["1"]}).status_code
        == 403
    )
    assert victor_client.get(reverse("campaign-detail", args=[campaign.pk])).status_code == 200
    assert not RecordsRequest.objects.exists()


def test_a_reporter_edits_only_their_own_campaign_and_an_editor_any(client, bob, erin, campaign):
    client.force_login(bob)
    assert client.post(reverse("campaign-edit", args=[campaign.pk]), FORM).status_code == 403
    client.force_login(erin)
    response = client.post(reverse("campaign-edit", args=[campaign.pk]), FORM | {"title": "Ring, edited"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Ring, edited"


def test_agencies_join_by_ticking_or_by_adding_all_matching(alice_client, campaign):
    ohio = [AgencyFactory(state="OH", name=f"Ohio PD {n}") for n in range(3)]
    url = reverse("campaign-agencies", args=[campaign.pk])

    alice_client.post(url, {"agency": [ohio[0].pk]})
    assert campaign.agencies.filter(state="OH").count() == 1
    alice_client.post(f"{url}?state=oh", {"all_matching": "1"})
    assert campaign.agencies.filter(state="OH").count() == 3
    page = alice_client.get(f"{url}?state=OH&q=Ohio")
    assert page.context["n_matching"] == 3


def test_generate_all_letters_creates_drafts_and_queues_every_letter_once_in_chunks(
    alice_client, campaign, django_capture_on_commit_callbacks, sent_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("campaign-generate", args=[campaign.pk]))
    chunks = [args[0] for name, args in sent_tasks if name == "foia.tasks.letters.generate_letters"]
    sent = [pk for chunk in chunks for pk in chunk]

    assert response.status_code == 302
    assert campaign.requests.count() == 2
    assert sorted(sent) == sorted(campaign.requests.values_list("pk", flat=True))
    assert set(campaign.requests.values_list("letter_state", flat=True)) == {LetterState.QUEUED}
    fragment = alice_client.get(reverse("campaign-progress", args=[campaign.pk])).content.decode()
    assert "0 of 2" in fragment and 'hx-trigger="every 1s"' in fragment


def test_generating_warns_about_agencies_without_a_contact(alice_client, campaign):
    campaign.agencies.add(AgencyFactory(name="Ghost PD", email=""))

    response = alice_client.post(reverse("campaign-generate", args=[campaign.pk]), follow=True)

    assert "Ghost PD (MI). Their letters are written but cannot be sent" in response.content.decode()
    assert campaign.requests.count() == 3


def test_the_progress_fragment_stops_polling_when_done_and_shows_errors(alice_client, campaign):
    _ready(campaign)
    RecordsRequest.objects.filter(tracking_number="RING-0002").update(
        letter_state=LetterState.FAILED, letter_error="Font exploded"
    )

    fragment = alice_client.get(reverse("campaign-progress", args=[campaign.pk])).content.decode()

    assert "1 of 2" in fragment and "1 failed" in fragment and "Font exploded" in fragment
    assert "hx-trigger" not in fragment


def test_generate_with_bad_input_shows_each_problem_and_creates_nothing(alice_client, campaign):
    campaign.agencies.add(AgencyFactory(state="GU", name="Guam PD"))
    Campaign.objects.filter(pk=campaign.pk).update(requester_email="")

    response = alice_client.post(reverse("campaign-generate", args=[campaign.pk]), follow=True)

    text = response.content.decode()
    assert "Requester email" in text and "No public-records law on file for GU" in text
    assert not RecordsRequest.objects.exists()


def test_the_campaign_page_shows_counts_overdue_and_requester_limit_flags(
    alice_client, campaign, django_assert_max_num_queries
):
    LawFactory(jurisdiction="AR", jurisdiction_name="Arkansas", requester_limit=RequesterLimit.CITIZENS)
    campaign.agencies.add(AgencyFactory(state="AR", name="Little Rock PD"))
    _ready(campaign)

    # Campaign, counts by status, overdue, agencies, limits, page, progress, failed, checklist, email-ready…
    with django_assert_max_num_queries(20):
        response = alice_client.get(reverse("campaign-detail", args=[campaign.pk]))

    text = response.content.decode()
    assert "Little Rock PD" in text and "State citizens only" in text
    assert "RING-0003" in text and "3 of 3" in text
    assert response.context["overdue"] == 0


def test_the_campaign_list_uses_a_fixed_number_of_queries(
    alice_client, campaign, django_assert_max_num_queries
):
    CampaignFactory.create_batch(5)
    # Session + user, then one annotated query for all campaigns with their owners.
    with django_assert_max_num_queries(4):
        response = alice_client.get(reverse("campaign-list"))
    assert response.status_code == 200 and campaign.title in response.content.decode()


def test_downloads_zip_and_merged_pdf(victor_client, campaign):
    _ready(campaign)

    zipped = victor_client.get(reverse("campaign-zip", args=[campaign.pk]))
    merged = victor_client.get(reverse("campaign-merged", args=[campaign.pk]))

    names = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))).namelist()
    assert names == ["RING-0001-MI-auburn-hills-police-department.pdf", "RING-0002-MI-zeeland-pd.pdf"]
    assert b"".join(merged.streaming_content).startswith(b"%PDF")


def test_the_preview_shows_a_template_error_with_its_line(alice_client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(body_template="Hello\n{% for x in %}")

    response = alice_client.get(reverse("letter-preview", args=[campaign.pk]))

    assert "Body template, line 2:" in response.content.decode()


def test_the_preview_renders_the_letter_for_the_chosen_agency(alice_client, campaign):
    zeeland = campaign.agencies.get(name="Zeeland PD")
    response = alice_client.get(reverse("letter-preview", args=[campaign.pk]), {"agency": zeeland.pk})
    assert "Zeeland PD" in response.context["letter"].text


def test_send_queues_emails_for_the_reporters_own_requests(
    alice_client, campaign, alice, django_capture_on_commit_callbacks, sent_tasks
):
    _ready(campaign)
    campaign.requests.update(owner=alice)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("campaign-send", args=[campaign.pk]))

    assert Communication.objects.filter(delivery_state="pending").count() == 2


def test_another_reporter_cannot_send_or_mark_sent_alices_requests(client, bob, alice, campaign):
    _ready(campaign)
    campaign.requests.update(owner=alice)
    client.force_login(bob)
    records_request = campaign.requests.first()

    client.post(reverse("campaign-send", args=[campaign.pk]))
    mark = client.post(
        reverse("letter-mark-sent", args=[records_request.pk]), {"sent_on": "2026-11-20", "method": "mail"}
    )

    assert not Communication.objects.exists()
    assert mark.status_code == 403


def test_the_checklist_lists_portal_agencies_and_marks_them_sent(alice_client, campaign):
    portal = AgencyFactory(
        name="Portal PD", email="", portal_url="https://portal.example/r", portal_name="GovQA"
    )
    campaign.agencies.add(portal)
    _ready(campaign)
    page = alice_client.get(reverse("campaign-checklist", args=[campaign.pk])).content.decode()
    assert "Submit via portal GovQA" in page
    records_request = campaign.requests.get(agency=portal)

    response = alice_client.post(
        reverse("letter-mark-sent", args=[records_request.pk]),
        {
            "prefix": f"r{records_request.pk}",
            f"r{records_request.pk}-sent_on": "2026-11-20",
            f"r{records_request.pk}-method": "portal",
            f"r{records_request.pk}-reference": "GQ-77",
            "next": reverse("campaign-checklist", args=[campaign.pk]),
        },
    )

    assert response.status_code == 302
    records_request.refresh_from_db()
    assert (records_request.status, records_request.sent_reference) == (Status.SENT, "GQ-77")
    assert Communication.objects.get(request=records_request).channel == "portal"


def test_the_request_page_offers_send_and_flags_a_requester_limit(client, alice, victor, campaign):
    LawFactory(jurisdiction="AR", jurisdiction_name="Arkansas", requester_limit=RequesterLimit.CITIZENS)
    campaign.agencies.add(AgencyFactory(state="AR", name="Little Rock PD"))
    _ready(campaign)
    records_request = campaign.requests.get(agency__state="AR")
    url = reverse("request-detail", args=[records_request.pk])

    client.force_login(alice)
    for_alice = client.get(url).content.decode()
    client.force_login(victor)
    for_victor = client.get(url).content.decode()

    assert "Requester limit" in for_alice and "State citizens only" in for_alice
    assert "Send by email to" in for_alice and "Mark sent" in for_alice
    assert records_request.tracking_number in for_alice
    assert "Send by email to" not in for_victor and "Mark sent" not in for_victor


def test_a_viewer_cannot_regenerate_send_or_mark_sent_a_letter(victor_client, campaign):
    _ready(campaign)
    records_request = campaign.requests.first()

    for name in ("letter-generate", "letter-send", "letter-retry", "letter-mark-sent"):
        response = victor_client.post(reverse(name, args=[records_request.pk]), {"sent_on": "2026-11-20"})
        assert response.status_code == 403, name
    assert not Communication.objects.exists()
    assert victor_client.get(reverse("letter-pdf", args=[records_request.pk])).status_code == 200


def test_a_reporter_sends_one_letter_from_its_page(
    alice_client, campaign, alice, django_capture_on_commit_callbacks, sent_tasks
):
    _ready(campaign)
    campaign.requests.update(owner=alice)
    records_request = campaign.requests.first()

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("letter-send", args=[records_request.pk]))
        alice_client.post(reverse("letter-send", args=[records_request.pk]))

    queued = [args for name, args in sent_tasks if name == "foia.tasks.outbound.send_message"]
    assert queued == [(Communication.objects.get().pk,)]
    page = alice_client.get(reverse("campaign-detail", args=[campaign.pk]))  # shows the pending messages
    assert "already queued" in page.content.decode()


def test_removing_agencies_without_contact_drops_their_unsent_drafts(alice_client, campaign):
    ghost = AgencyFactory(name="Ghost PD", email="")
    campaign.agencies.add(ghost)
    _ready(campaign)

    alice_client.post(reverse("campaign-prune", args=[campaign.pk]))

    assert not campaign.agencies.filter(pk=ghost.pk).exists()
    assert not campaign.requests.filter(agency=ghost).exists()
    assert campaign.requests.count() == 2


def test_the_live_fragment_shows_the_finished_state_once_the_last_letter_is_ready(alice_client, campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    ids = campaigns.campaign_queue_letters(campaign=campaign)
    url = reverse("campaign-progress", args=[campaign.pk])

    running = alice_client.get(url).content.decode()
    for pk in ids:
        campaigns.letter_generate(records_request_id=pk)
    finished = alice_client.get(url).content.decode()

    # While rendering: it polls, and offers neither downloads nor sending.
    assert (
        'hx-trigger="every 1s"' in running
        and "Download zip" not in running
        and "Send 2 emails" not in running
    )
    # Done: no more polling; downloads, the Send button and the table's badges are in the swapped fragment.
    assert "hx-trigger" not in finished and 'id="campaign-live"' in finished
    assert reverse("campaign-zip", args=[campaign.pk]) in finished and "Send 2 emails" in finished
    assert finished.count("PDF ready") == 2


def test_the_live_fragment_keeps_polling_slowly_while_emails_wait_their_turn(alice_client, campaign):
    _ready(campaign)
    alice_client.post(reverse("campaign-send", args=[campaign.pk]))

    fragment = alice_client.get(reverse("campaign-progress", args=[campaign.pk])).content.decode()

    assert 'hx-trigger="every 10s"' in fragment and "waiting their turn" in fragment
