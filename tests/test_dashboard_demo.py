"""The demo: load_demo + demo_activity give a fresh install a campaign whose dashboard has charts."""

import pytest
from django.core.management import call_command

from foia.models import Campaign, RecordsRequest, RequestDocument, Status


@pytest.mark.django_db
def test_demo_activity_gives_the_demo_campaign_a_dashboard_with_charts(erin_client, capsys):
    call_command("load_laws")
    call_command("load_demo")
    call_command("demo_activity")
    campaign = Campaign.objects.get(slug="ring-partnerships")
    requests = RecordsRequest.objects.filter(campaign=campaign)

    assert requests.exclude(status=Status.DRAFT).count() > 20
    assert requests.filter(first_response_at__isnull=False).exists()
    assert RequestDocument.objects.filter(request__campaign=campaign).exists()
    for answered in requests.filter(first_response_at__isnull=False):
        assert answered.sent_at < answered.first_response_at

    response = erin_client.get(f"/dashboard/campaigns/{campaign.pk}/")
    html = response.content.decode()
    assert response.context["stats"]["totals"]["answered"] > 0
    assert html.count("<svg") >= 6


@pytest.mark.django_db
def test_demo_activity_never_runs_twice_or_without_the_demo():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="load_demo"):
        call_command("demo_activity")
    call_command("load_laws")
    call_command("load_demo")
    call_command("demo_activity")
    before = list(RecordsRequest.objects.values_list("pk", "status", "sent_at"))
    call_command("demo_activity")
    assert list(RecordsRequest.objects.values_list("pk", "status", "sent_at")) == before
