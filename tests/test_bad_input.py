"""Bad inputs named in issue 14, a section per area: each gets a clear answer and nothing half-stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from foia.mail import mail_ingest
from foia.models import Communication, RecordsRequest, RequestEvent, Status

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory, eml_bytes

# --- Web pages: ids and numbers typed into URLs and forms (mail, letters, outcomes) -----------------------


@pytest.fixture
def alices_request(alice):
    return RecordsRequestFactory(tracking_number="RING-0042", owner=alice, status=Status.SENT)


def test_a_letter_preview_for_agency_abc_is_a_400_that_names_the_parameter(alice_client):
    campaign = CampaignFactory()
    campaign.agencies.add(AgencyFactory())
    response = alice_client.get(reverse("letter-preview", args=[campaign.pk]), {"agency": "abc"})
    assert response.status_code == 400
    assert b"agency" in response.content and response["Content-Type"].startswith("text/plain")


def test_a_letter_preview_for_an_agency_id_too_large_for_the_database_is_a_400(alice_client):
    campaign = CampaignFactory()
    campaign.agencies.add(AgencyFactory())
    response = alice_client.get(reverse("letter-preview", args=[campaign.pk]), {"agency": "9" * 30})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["abc", "1e5", "-1", "9" * 30, ""])
def test_assigning_mail_to_records_request_abc_says_what_is_wrong(alice_client, alices_request, value):
    communication = mail_ingest(raw=eml_bytes(subject="Who is this for?")).communication
    response = alice_client.post(
        reverse("mail-assign", args=[communication.pk]), {"records_request": value}, follow=True
    )
    assert response.status_code == 200
    assert "records_request" in response.content.decode()
    assert Communication.objects.get().request_id is None


def test_a_mail_upload_naming_request_abc_is_a_field_error(alice_client, alices_request):
    response = alice_client.post(
        reverse("mail-upload"),
        {"file": SimpleUploadedFile("r.eml", eml_bytes(subject="x")), "records_request": "abc"},
    )
    assert response.status_code == 200 and response.context["form"].errors["records_request"]
    assert Communication.objects.count() == 0


def test_an_outcome_with_fee_amount_1e20_is_a_field_error_and_changes_nothing(alice_client, alices_request):
    url = reverse("record-outcome", args=[alices_request.pk])
    response = alice_client.post(url, {"status": "payment_required", "fee_amount": "1e20"}, follow=True)
    assert response.status_code == 200 and "fee_amount" in response.content.decode()
    alices_request.refresh_from_db()
    assert alices_request.status == Status.SENT and alices_request.fee_amount is None
    assert not RequestEvent.objects.filter(request=alices_request, kind="status").exists()
    assert RecordsRequest.objects.count() == 1


def test_a_status_change_with_fee_amount_1e20_changes_nothing(alice_client, alices_request):
    url = reverse("request-status", args=[alices_request.pk])
    response = alice_client.post(url, {"to_status": "payment_required", "fee_amount": "1e20"}, follow=True)
    assert response.status_code < 500
    alices_request.refresh_from_db()
    assert alices_request.status == Status.SENT and alices_request.fee_amount is None
