"""The demo campaign: Ring's 407 partners, with simulated activity that never contradicts itself."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from foia.models import Agency, Campaign, Communication, FollowupMode, RecordsRequest, Status
from foia.reminders import followup_compose, reminders_scan


@pytest.fixture(scope="module")
def _demo_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for the module (it takes over ten seconds), as TestCase.setUpTestData does: inside
    a transaction rolled back after the module's last test. Each test runs in a savepoint within it (the `db`
    fixture), so what one test changes never reaches the next. Its documents are stored in the module's own
    media folder, which `demo` makes every test's MEDIA_ROOT."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_laws")
            call_command("load_demo")
            call_command("demo_activity")
            pk = Campaign.objects.get(slug="ring-partnerships").pk
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield pk, media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        assert not Campaign.objects.filter(pk=pk).exists()  # nothing of the demo outlives the module


@pytest.fixture
def demo(_demo_once, db, settings):
    pk, settings.MEDIA_ROOT = _demo_once
    return Campaign.objects.get(pk=pk)


# First in the module, before `demo` loads its copy: demo_activity only runs on a demo with nothing sent.
def test_real_agencies_keep_their_real_contact_in_the_demo(db):
    assert not Campaign.objects.filter(slug="ring-partnerships").exists()
    call_command("load_laws")
    call_command("load_demo")
    real = Agency.objects.get(name="Montgomery Police Department", state="AL")
    real.email, real.is_demo = "records@montgomeryal.gov", False  # as a real import or an edit leaves it
    real.save()

    call_command("demo_activity")

    real.refresh_from_db()
    assert real.email == "records@montgomeryal.gov" and not real.is_demo


def test_the_demo_is_the_407_agencies_on_rings_map_with_follow_ups_off(demo):
    assert demo.is_demo and demo.followup_mode == FollowupMode.OFF
    assert demo.agencies.count() == 407
    assert demo.agencies.filter(name="Montgomery Police Department", state="AL").exists()
    assert demo.agencies.filter(extra__date_joined="2019-07-10").exists()
    assert not demo.agencies.filter(is_demo=False).exists()  # never offered to a real campaign's sending


def test_loading_the_demo_again_keeps_its_simulated_contacts(demo):
    before = list(demo.agencies.order_by("pk").values_list("pk", "email", "portal_url", "is_demo"))

    call_command("load_demo")

    assert list(demo.agencies.order_by("pk").values_list("pk", "email", "portal_url", "is_demo")) == before


def test_every_sent_request_has_a_simulated_contact_for_its_channel_and_a_letter_dated_its_send_day(demo):
    sent = RecordsRequest.objects.filter(campaign=demo).exclude(status=Status.DRAFT).select_related("agency")

    assert sent.count() > 300
    for records_request in sent:
        agency = records_request.agency
        assert agency.is_demo, agency
        if records_request.send_method == "email":
            assert agency.email.endswith(".invalid"), agency.email
            email = Communication.objects.get(idempotency_key=f"send:{records_request.pk}")
            assert email.to_address == agency.email and email.body == records_request.letter_body
            assert email.occurred_at == records_request.sent_at and "simulated" in email.subject
        else:
            assert records_request.send_method == "portal", records_request.send_method
            assert re.match(r"https://records\.[a-z0-9-]+\.[a-z]{2}\.invalid/$", agency.portal_url)
            assert "simulated" in records_request.sent_reference
        sent_on = timezone.localdate(records_request.sent_at)
        assert records_request.letter_body.startswith(date_format(sent_on, "F j, Y") + "\n")


def test_the_simulated_timeline_reads_in_order_and_says_simulated(demo):
    answered = RecordsRequest.objects.filter(campaign=demo, first_response_at__isnull=False)

    assert answered.count() > 100
    for records_request in answered.prefetch_related("events"):
        assert records_request.sent_at < records_request.first_response_at <= timezone.now()
        events = list(records_request.events.all())
        assert all(event.created_at <= records_request.first_response_at for event in events)
        assert any("simulated" in event.message for event in events)


def test_a_follow_up_quotes_the_letter_sent_and_no_automatic_follow_up_is_planned(demo):
    records_request = (
        RecordsRequest.objects.filter(campaign=demo, status=Status.SENT).select_related("agency").first()
    )
    sent_on = timezone.localdate(records_request.sent_at)

    _, body = followup_compose(records_request=records_request, n=1, today=timezone.localdate())

    assert f"On {date_format(sent_on, 'F j, Y')} I sent" in body
    assert f"> {date_format(sent_on, 'F j, Y')}" in body  # the letter quoted is dated the day it was sent
    result = reminders_scan(now=timezone.now() + datetime.timedelta(days=60))
    assert result.followups_created == 0


def test_sent_requests_show_no_cannot_be_sent_warning_and_the_pages_say_simulated(demo, erin_client):
    records_request = RecordsRequest.objects.filter(campaign=demo, status=Status.SENT).first()

    page = erin_client.get(reverse("request-detail", args=[records_request.pk])).content.decode()
    campaign_page = erin_client.get(reverse("campaign-detail", args=[demo.pk])).content.decode()

    assert "cannot be sent" not in page and "has no email address" not in page
    dashboard = erin_client.get(reverse("campaign-dashboard", args=[demo.pk])).content.decode()
    assert "simulated" in page.lower() and "Simulated" in campaign_page and "simulated</span>" in dashboard
    without_contact = demo.agencies.needing_contact()
    assert not RecordsRequest.objects.filter(agency__in=without_contact).exclude(status=Status.DRAFT).exists()
    assert f"<b>{without_contact.count()} agencies have no usable email" in campaign_page  # a few dozen


def test_the_demo_credits_the_atlas_of_surveillance(erin_client):
    page = erin_client.get(reverse("about")).content.decode()
    home = erin_client.get(reverse("campaign-list")).content.decode()

    assert "Atlas of Surveillance" in page and "CC BY 4.0" in page
    assert reverse("about") in home


SIMULATED_BADGE = 'title="Demo campaign: this activity is simulated">simulated</span>'


def test_every_list_and_page_showing_demo_activity_labels_it_simulated(demo, erin_client):
    from foia.models import RequestDocument
    from foia.tasks.documents import extract_document

    link = RequestDocument.objects.filter(request__campaign=demo).select_related("request").first()
    email = Communication.objects.filter(request__campaign=demo).first()
    overdue = RecordsRequest.objects.filter(campaign=demo).overdue(timezone.localdate())
    assert link and email and overdue.exists()  # the demo has documents, messages and overdue requests
    pages = {
        "request list": reverse("request-list"),
        "overdue list": reverse("request-overdue"),
        "document list": reverse("document-list"),
        "request page (header, documents, messages, timeline)": reverse(
            "request-detail", args=[link.request_id]
        ),
        "document page": reverse("document-detail", args=[link.document_id]),
        "message page": reverse("communication-detail", args=[email.pk]),
    }
    extract_document(link.document_id)  # what a worker does with a received document: now it can be found
    pages["search results"] = reverse("search") + '?q="simulated document"'
    for where, url in pages.items():
        page = erin_client.get(url).content.decode()
        assert SIMULATED_BADGE in page, where
    request_page = erin_client.get(
        pages["request page (header, documents, messages, timeline)"]
    ).content.decode()
    assert request_page.count(SIMULATED_BADGE) >= 4  # header, each document, each message, timeline
    export = erin_client.get(reverse("campaign-export-json", args=[demo.pk])).json()
    assert export["campaign"]["simulated"] is True


def test_a_real_campaigns_activity_carries_no_simulated_badge(demo, erin_client):
    from .factories import CampaignFactory, RecordsRequestFactory

    real = RecordsRequestFactory(campaign=CampaignFactory(slug="real-one", tracking_prefix="REAL"))

    row = erin_client.get(reverse("request-list"), {"campaign": real.campaign_id}).content.decode()
    page = erin_client.get(reverse("request-detail", args=[real.pk])).content.decode()

    assert real.tracking_number in row and SIMULATED_BADGE not in row
    assert SIMULATED_BADGE not in page
    assert (
        erin_client.get(reverse("campaign-export-json", args=[real.campaign_id])).json()["campaign"][
            "simulated"
        ]
        is False
    )


def test_the_never_answered_count_is_every_agency_listed_or_says_how_many_are_listed(demo, erin_client):
    from django.db.models import Count, Q

    silent = (
        RecordsRequest.objects.filter(campaign=demo, sent_at__isnull=False)
        .values("agency_id")
        .annotate(answered=Count("pk", filter=Q(first_response_at__isnull=False)))
        .filter(answered=0)
        .count()
    )
    page = erin_client.get(reverse("campaign-dashboard", args=[demo.pk])).content.decode()
    section = page.split("<h2>Agencies that never answered</h2>")[1].split("</section>")[0]
    listed = section.count("<tr><td>")

    assert silent > 10  # the demo has more than the list shows
    assert f"{silent} agencies received a request and never answered" in section
    assert f"the {listed} waiting longest are listed" in section and listed == 10
