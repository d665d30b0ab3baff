"""Limits that protect agencies, on every door: the campaign form, the API and the admin refuse the same
values with the same message (Campaign's field validators and clean()), and store nothing."""

import json
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from rest_framework.authtoken.models import Token

from foia.models import Campaign

from .factories import CampaignFactory, RecordsRequestFactory
from .test_campaign_views import FORM as CAMPAIGN_FORM

FORM = {**CAMPAIGN_FORM, "slug": "ring", "tracking_prefix": "RING"}
INTERVAL = "Between 5 and 365 days (at least three business days between follow-ups)."
SHAPE = "Use 2–12 capital letters or digits, starting with a letter, e.g. RING."
BAD_VALUES = [
    ("followup_every_days", 0, INTERVAL),
    ("followup_every_days", 3, INTERVAL),
    ("followup_every_days", 366, INTERVAL),
    ("followup_max", 32767, "Between 0 and 10 follow-ups."),
    ("followup_max", 11, "Between 0 and 10 follow-ups."),
    ("fee_cap", "-5", "The amount cannot be negative."),
    ("send_per_hour", 0, "Between 1 and 3600 emails per hour."),
    ("send_per_hour", 3601, "Between 1 and 3600 emails per hour."),
    ("tracking_prefix", "ZZ-9 <x>", SHAPE),
    ("tracking_prefix", "9LIVES", SHAPE),
]


def form_door(client, campaign, field, value, users):
    client.force_login(users["alice"])
    response = client.post(reverse("campaign-edit", args=[campaign.pk]), {**FORM, field: value})
    assert response.status_code == 200, "the form should be shown again with the error"
    return response.context["form"].errors.get(field, [])


def api_door(client, campaign, field, value, users):
    token, _ = Token.objects.get_or_create(user=users["alice"])
    response = client.patch(
        f"/api/campaigns/{campaign.pk}/",
        json.dumps({field: value}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 400
    return response.json().get(field, [])


def admin_door(client, campaign, field, value, users):
    client.force_login(users["ada"])
    data = {k: "" if v is None else v for k, v in model_to_dict(campaign).items()}
    data["agencies"] = [agency.pk for agency in campaign.agencies.all()]
    data[field] = value
    response = client.post(reverse("admin:foia_campaign_change", args=[campaign.pk]), data)
    assert response.status_code == 200, "the admin form should be shown again with the error"
    return response.context["adminform"].form.errors.get(field, [])


DOORS = [form_door, api_door, admin_door]


@pytest.fixture
def users(alice, ada):
    return {"alice": alice, "ada": ada}


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__)
@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_every_campaign_door_refuses_values_that_would_harm_agencies(
    client, users, door, field, value, message
):
    campaign = CampaignFactory(owner=users["alice"], tracking_prefix="RING", slug="ring", fee_cap=Decimal(10))
    stored = model_to_dict(Campaign.objects.get(pk=campaign.pk))

    errors = door(client, campaign, field, value, users)

    assert message in errors
    assert model_to_dict(Campaign.objects.get(pk=campaign.pk)) == stored


@pytest.mark.parametrize("door", [api_door, admin_door], ids=lambda door: door.__name__)
def test_the_tracking_prefix_is_fixed_once_requests_exist(client, users, door):
    campaign = CampaignFactory(owner=users["alice"], tracking_prefix="RING", slug="ring")
    RecordsRequestFactory(campaign=campaign, tracking_number="RING-0001")

    errors = door(client, campaign, "tracking_prefix", "DOOR", users)

    assert errors == ["Fixed once requests exist: tracking numbers RING-… are already issued."]
    assert Campaign.objects.get(pk=campaign.pk).tracking_prefix == "RING"


def test_the_campaign_form_keeps_the_prefix_once_requests_exist(client, users):
    campaign = CampaignFactory(owner=users["alice"], tracking_prefix="RING", slug="ring")
    RecordsRequestFactory(campaign=campaign, tracking_number="RING-0001")
    client.force_login(users["alice"])
    response = client.post(reverse("campaign-edit", args=[campaign.pk]), {**FORM, "tracking_prefix": "DOOR"})
    assert response.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).tracking_prefix == "RING"


def test_the_smallest_and_largest_allowed_values_are_accepted_by_the_api(client, users):
    campaign = CampaignFactory(owner=users["alice"], tracking_prefix="RING", slug="ring")
    token, _ = Token.objects.get_or_create(user=users["alice"])
    body = {"followup_every_days": 5, "followup_max": 10, "send_per_hour": 1, "fee_cap": "0.00"}
    response = client.patch(
        f"/api/campaigns/{campaign.pk}/",
        json.dumps({**body, "tracking_prefix": "flock2"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200, response.content
    campaign.refresh_from_db()
    assert (campaign.followup_every_days, campaign.followup_max, campaign.send_per_hour) == (5, 10, 1)
    assert (campaign.fee_cap, campaign.tracking_prefix) == (Decimal("0.00"), "FLOCK2")
