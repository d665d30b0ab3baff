"""Queueing work: services enqueue by name after commit; a broker that is down costs a log line, not a 500."""

import datetime
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from foia import campaigns, sending
from foia.models import Communication
from foia.models.communication import DeliveryState
from foia.models.request import LetterState

from .factories import AgencyFactory, CampaignFactory, LawFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def broker_down(monkeypatch):
    """The broker refuses every message, as kombu does when Redis is unreachable."""
    from foia.celery import app

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", refuse)


@pytest.fixture
def campaign(alice):
    LawFactory()
    campaign = CampaignFactory(owner=alice, tracking_prefix="RING", slug="ring")
    campaign.agencies.add(AgencyFactory(name="Auburn Hills Police Department"), AgencyFactory())
    return campaign


def test_generating_letters_with_the_broker_down_answers_a_page_and_leaves_the_letters_queued(
    alice_client, campaign, broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("campaign-generate", args=[campaign.pk]))

    assert response.status_code == 302
    assert set(campaign.requests.values_list("letter_state", flat=True)) == {LetterState.QUEUED}
    assert "could not queue foia.tasks.letters.generate_letter" in caplog.text


def test_emails_queued_with_the_broker_down_stay_pending_and_the_scan_releases_them(
    campaign, broker_down, django_capture_on_commit_callbacks
):
    campaigns.campaign_generate_requests(campaign=campaign)
    for pk in campaigns.campaign_queue_letters(campaign=campaign, enqueue=False):
        campaigns.letter_generate(records_request_id=pk)
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        plan = sending.campaign_queue_emails(campaign=campaign, now=now)

    assert len(plan.queued) == 2
    assert set(Communication.objects.values_list("delivery_state", flat=True)) == {DeliveryState.PENDING}
    later = now + datetime.timedelta(minutes=5)
    assert sorted(sending.sends_release_due(now=later)) == sorted(c.pk for c in plan.queued)


def test_views_forms_and_the_api_never_queue_tasks_themselves():
    found = subprocess.run(  # noqa: S603
        ["grep", "-rn", r"\.delay(\|apply_async\|send_task", "foia/views", "foia/api"]
        + [str(p.relative_to(ROOT)) for p in ROOT.glob("foia/forms*")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert found.stdout == ""
