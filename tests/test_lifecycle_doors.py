"""One rule, every door: the same bad status change gets the same message and changes nothing, wherever it
comes in (outcome form, status form, the overdue page's quick update, the API, the admin)."""

import json

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from rest_framework.authtoken.models import Token

from foia.lifecycle_rules import EXEMPTIONS_NEEDED, FEE_NEEDED
from foia.models import RecordsRequest, RequestEvent, Status

from .factories import LawFactory, RecordsRequestFactory

P, R = Status.PAYMENT_REQUIRED, Status.REJECTED
SENT = Status.SENT
NOT_A_NUMBER = "Give the amount in dollars, e.g. 25.00."
BAD_CHANGES = [
    # (status before, change asked, field named, message)
    (SENT, {"to_status": P}, "fee_amount", FEE_NEEDED),
    (SENT, {"to_status": P, "fee_amount": ""}, "fee_amount", FEE_NEEDED),
    (SENT, {"to_status": P, "fee_amount": "-5"}, "fee_amount", "The amount cannot be negative."),
    (SENT, {"to_status": P, "fee_amount": "1e20"}, "fee_amount", "At most 9,999,999.99; check the amount."),
    (SENT, {"to_status": P, "fee_amount": "NaN"}, "fee_amount", NOT_A_NUMBER),
    (SENT, {"to_status": P, "fee_amount": "free"}, "fee_amount", NOT_A_NUMBER),
    (SENT, {"to_status": P, "fee_amount": "25.001"}, "fee_amount", "At most two decimal places (cents)."),
    (SENT, {"to_status": R}, "exemptions", EXEMPTIONS_NEEDED),
    (SENT, {"to_status": R, "exemptions": "   "}, "exemptions", EXEMPTIONS_NEEDED),
    (SENT, {"to_status": R, "exemptions": "x" * 5001}, "exemptions", "At most 5000 characters."),
    (
        Status.COMPLETED,
        {"to_status": Status.ACKNOWLEDGED},
        "to_status",
        "This request cannot go from completed to acknowledged (allowed: nothing).",
    ),
]  # fmt: skip


def _web_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def outcome_form(client, rr, change, users):
    client.force_login(users["alice"])
    data = {**change, "status": change["to_status"]}
    del data["to_status"]
    response = client.post(reverse("record-outcome", args=[rr.pk]), data, follow=True)
    return _web_messages(response)


def status_form(client, rr, change, users):
    client.force_login(users["alice"])
    response = client.post(reverse("request-status", args=[rr.pk]), change, follow=True)
    return _web_messages(response)


def quick_update(client, rr, change, users):
    client.force_login(users["alice"])
    back = reverse("request-overdue")
    response = client.post(reverse("request-status", args=[rr.pk]), {**change, "next": back}, follow=True)
    assert response.redirect_chain[-1][0] == back
    return _web_messages(response)


def api(client, rr, change, users):
    token, _ = Token.objects.get_or_create(user=users["alice"])
    response = client.post(
        f"/api/requests/{rr.pk}/transition/",
        json.dumps(change),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 400
    return [f"{field}: {' '.join(errors)}" for field, errors in response.json().items()]


def admin(client, rr, change, users):
    client.force_login(users["ada"])
    url = reverse("admin:foia_recordsrequest_change", args=[rr.pk])
    page = client.get(url)
    data = {
        k: v for k, v in model_to_dict(rr, ["campaign", "agency", "tracking_number", "reply_token"]).items()
    }
    data["owner"] = rr.owner_id or ""
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            data[f"{form.prefix}-id"] = form.instance.pk
            data[f"{form.prefix}-request"] = rr.pk
    names = {"to_status": "new_status", "fee_amount": "new_fee_amount", "exemptions": "new_exemptions"}
    data.update({names[key]: value for key, value in change.items()})
    response = client.post(url, data)
    assert response.status_code == 200, "the admin form should be shown again with the error"
    form = response.context["adminform"].form
    back = {value: key for key, value in names.items()}
    return [f"{back[field]}: {' '.join(errors)}" for field, errors in form.errors.items()]


DOORS = [outcome_form, status_form, quick_update, api, admin]


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__)
@pytest.mark.parametrize(("before", "change", "field", "message"), BAD_CHANGES)
def test_every_door_refuses_the_same_bad_status_change_with_the_same_message(
    client, alice, ada, door, before, change, field, message
):
    LawFactory(jurisdiction="MI")
    rr = RecordsRequestFactory(sent=True, status=before, owner=alice)
    stored = model_to_dict(RecordsRequest.objects.get(pk=rr.pk))
    events = RequestEvent.objects.filter(request=rr).count()

    shown = door(client, rr, change, {"alice": alice, "ada": ada})

    assert any(f"{field}: {message}" in text for text in shown), shown
    assert model_to_dict(RecordsRequest.objects.get(pk=rr.pk)) == stored
    assert RequestEvent.objects.filter(request=rr).count() == events


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__)
def test_every_door_accepts_payment_required_with_an_amount_and_writes_the_timeline(client, alice, ada, door):
    LawFactory(jurisdiction="MI")
    rr = RecordsRequestFactory(sent=True, owner=alice)
    change = {"to_status": P, "fee_amount": "25.50"}
    if door is admin:
        client.force_login(ada)
        url = reverse("admin:foia_recordsrequest_change", args=[rr.pk])
        data = model_to_dict(rr, ["campaign", "agency", "tracking_number", "reply_token"])
        data.update({"owner": alice.pk, "new_status": P, "new_fee_amount": "25.50"})
        data.update({"events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0})
        assert client.post(url, data).status_code == 302
    else:
        door_post = {
            outcome_form: lambda: client.post(
                reverse("record-outcome", args=[rr.pk]), {"status": P, "fee_amount": "25.50"}
            ),
            status_form: lambda: client.post(reverse("request-status", args=[rr.pk]), change),
            quick_update: lambda: client.post(reverse("request-status", args=[rr.pk]), change),
            api: lambda: client.post(
                f"/api/requests/{rr.pk}/transition/",
                json.dumps(change),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=alice)[0].key}",
            ),
        }[door]
        client.force_login(alice)
        assert door_post().status_code in (200, 302)
    rr.refresh_from_db()
    assert (rr.status, str(rr.fee_amount), rr.due_on) == (P, "25.50", None)
    event = RequestEvent.objects.get(request=rr, kind="status")
    assert (event.to_status, event.actor) == (P, ada if door is admin else alice)
