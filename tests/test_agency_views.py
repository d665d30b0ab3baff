"""Agency pages: list, detail, contact edit, and the upload -> confirm import; role checks."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from foia.models import Agency, AgencyKind, Campaign

from .conftest import wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory

SAMPLE = Path(__file__).resolve().parent.parent / "foia" / "data" / "ring_agencies_sample.csv"


def upload(client, data: bytes, name="agencies.csv", **fields):
    return client.post(
        reverse("agency-import"), {"file": SimpleUploadedFile(name, data, "text/csv"), **fields}
    )


def test_the_list_filters_by_state_kind_name_and_missing_contact(alice_client):
    AgencyFactory(name="Troy Police Department", state="MI")
    AgencyFactory(name="Oakland County Sheriff", state="MI", kind=AgencyKind.SHERIFF, email="")
    AgencyFactory(name="Dallas Police Department", state="TX")
    url = reverse("agency-list")
    names = lambda response: [agency.name for agency in response.context["page"].object_list]  # noqa: E731
    assert names(alice_client.get(url, {"state": "MI"})) == [
        "Oakland County Sheriff",
        "Troy Police Department",
    ]
    assert names(alice_client.get(url, {"kind": "sheriff"})) == ["Oakland County Sheriff"]
    assert names(alice_client.get(url, {"q": "dallas"})) == ["Dallas Police Department"]
    response = alice_client.get(url, {"needs_contact": "on"})
    assert names(response) == ["Oakland County Sheriff"]
    assert response.context["needing_contact"] == 1 and response.context["total"] == 3
    assert "needs contact" in response.content.decode()


def test_the_list_pages_through_agencies_in_a_constant_number_of_queries(
    victor_client, django_assert_num_queries
):
    AgencyFactory.create_batch(120, state="MI")
    # session, user, paginator count, the page of agencies, total count, needing-contact count
    with django_assert_num_queries(6):
        response = victor_client.get(reverse("agency-list"), {"state": "MI", "page": 3})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20
    assert "Page 3 of 3" in response.content.decode()


def test_the_list_has_an_empty_state(victor_client):
    response = victor_client.get(reverse("agency-list"))
    assert "No agencies yet." in response.content.decode()
    assert "Import a CSV" not in response.content.decode()  # viewers are not offered the import


def test_the_detail_shows_contact_extra_data_law_campaigns_and_requests(victor_client):
    LawFactory()
    agency = AgencyFactory(name="Troy Police Department", email="", extra={"partnership_date": "2019-04"})
    records_request = RecordsRequestFactory(agency=agency, tracking_number="RING-0042")
    agency.campaigns.add(records_request.campaign)
    page = victor_client.get(reverse("agency-detail", args=[agency.pk])).content.decode()
    assert "needs contact" in page
    assert "partnership_date" in page and "2019-04" in page
    assert "Michigan Freedom of Information Act" in page and "within 5 business days" in page
    assert records_request.campaign.title in page and "RING-0042" in page
    assert "Edit contact details" not in page


def test_a_reporter_edits_the_contact_details(alice_client):
    agency = AgencyFactory(email="")
    response = alice_client.post(
        reverse("agency-edit", args=[agency.pk]),
        {"kind": "police", "email": "foia@troy.example", "portal_url": "", "address": "1 Main St"},
    )
    assert response.status_code == 302 and response.url == reverse("agency-detail", args=[agency.pk])
    agency.refresh_from_db()
    assert (agency.email, agency.address, agency.needs_contact) == ("foia@troy.example", "1 Main St", False)


def test_a_bad_email_in_the_edit_form_is_refused_with_a_message(alice_client):
    agency = AgencyFactory(email="old@troy.example")
    response = alice_client.post(
        reverse("agency-edit", args=[agency.pk]), {"kind": "police", "email": "nope"}
    )
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
    agency.refresh_from_db()
    assert agency.email == "old@troy.example"


@pytest.mark.parametrize("name", ["agency-import", "agency-import-confirm"])
def test_a_viewer_cannot_reach_the_import(victor_client, name):
    assert victor_client.get(reverse(name)).status_code == 403
    assert victor_client.post(reverse(name)).status_code == 403


def test_a_viewer_cannot_edit_an_agency(victor_client):
    agency = AgencyFactory(email="old@troy.example")
    url = reverse("agency-edit", args=[agency.pk])
    assert victor_client.get(url).status_code == 403
    assert victor_client.post(url, {"kind": "police", "email": "new@troy.example"}).status_code == 403
    agency.refresh_from_db()
    assert agency.email == "old@troy.example"


def test_upload_preview_and_confirm_imports_the_sample_into_a_campaign(alice_client):
    campaign = CampaignFactory()
    response = upload(alice_client, SAMPLE.read_bytes(), campaign=campaign.pk)
    assert response.status_code == 302 and response.url == reverse("agency-import-confirm")
    assert Agency.objects.count() == 0  # nothing written before the confirm
    preview = alice_client.get(reverse("agency-import-confirm"))
    assert preview.context["preview"].created == 35
    assert "35 new agencies" in " ".join(preview.content.decode().split()).replace("<b>", "").replace(
        "</b>", ""
    )
    done = alice_client.post(reverse("agency-import-confirm"))
    assert done.status_code == 302 and done.url == reverse("agency-import")
    assert Agency.objects.count() == 35 and campaign.agencies.count() == 35
    page = alice_client.get(done.url).content.decode()
    assert "35 created, 0 updated, 0 unchanged" in page
    # the checked file is gone: a second confirm does nothing
    assert alice_client.post(reverse("agency-import-confirm")).url == reverse("agency-import")
    assert Agency.objects.count() == 35


def test_reuploading_the_same_file_shows_all_unchanged(alice_client):
    upload(alice_client, SAMPLE.read_bytes())
    alice_client.post(reverse("agency-import-confirm"))
    upload(alice_client, SAMPLE.read_bytes())
    assert alice_client.get(reverse("agency-import-confirm")).context["preview"].unchanged == 35
    alice_client.post(reverse("agency-import-confirm"))
    assert "0 created, 0 updated, 35 unchanged" in alice_client.get(reverse("agency-import")).content.decode()


def test_a_new_campaign_named_on_the_page_is_created_on_confirm(alice_client, alice):
    upload(alice_client, SAMPLE.read_bytes(), new_campaign="Ring doorbells 2026")
    assert not Campaign.objects.exists()
    alice_client.post(reverse("agency-import-confirm"))
    campaign = Campaign.objects.get(title="Ring doorbells 2026")
    assert campaign.agencies.count() == 35 and campaign.owner == alice


def test_a_bad_upload_lists_every_problem_with_its_line_and_writes_nothing(alice_client):
    data = b"agency,state,email\nGood PD,MI,a@x.example\nBad PD,Narnia,a@x.example\nWorse PD,MI,@@\n"
    response = upload(alice_client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 problems" in page and "nothing was imported" in page
    assert "line 3, column state: unknown state" in page and "line 4, column email" in page
    assert Agency.objects.count() == 0
    assert alice_client.get(reverse("agency-import-confirm")).status_code == 302


def test_an_upload_over_the_size_limit_is_refused_with_a_clear_message(alice_client, settings):
    settings.FOIA_MAX_UPLOAD_BYTES = 1024
    response = upload(alice_client, b"agency,state\n" + b"Troy PD,MI\n" * 200)
    assert response.status_code == 200
    assert "the largest file accepted is 1.0\xa0KB" in response.content.decode()
    assert Agency.objects.count() == 0


def test_an_upload_without_a_file_says_so(alice_client):
    response = alice_client.post(reverse("agency-import"), {})
    assert "This field is required." in response.content.decode()


# --- Large files: the confirmed import runs on a worker and the page polls its progress ---------------------


def big_csv(rows: int) -> bytes:
    lines = ["agency,state,email"] + [
        f"Town {n} Police Department,MI,records{n}@town{n}.gov" for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_confirmed_import_runs_on_a_worker_and_the_page_polls_until_the_counts_show(
    alice_client, start_worker, monkeypatch, settings
):
    from foia.views import agencies as agency_views

    monkeypatch.setattr(agency_views, "BACKGROUND_IMPORT_ROWS", 100)
    AgencyFactory(name="Town 0 Police Department", state="MI", email="records0@town0.gov")
    AgencyFactory(name="Town 1 Police Department", state="MI", email="old@town1.gov")
    upload(alice_client, big_csv(1200), name="big.csv", new_campaign="Big Sweep")
    response = alice_client.post(reverse("agency-import-confirm"))
    assert response.status_code == 302 and "/import/progress/" in response.url
    page = alice_client.get(response.url).content.decode()  # queued: no worker is running yet
    assert "Importing big.csv" in page and "0 of 1200 rows" in page and 'hx-trigger="every 1s"' in page
    start_worker()
    status_url = response.url + "status/"

    def finished():
        fragment = alice_client.get(status_url).content.decode()
        return fragment if "Imported big.csv" in fragment else None

    fragment = wait_until(finished, timeout=60, message="the import's counts on the progress fragment")
    assert "1198 created, 1 updated, 1 unchanged; 1200 added to the campaign" in fragment
    assert "hx-trigger" not in fragment  # polling stops once the counts are shown
    assert Agency.objects.count() == 1200
    assert Campaign.objects.get(title="Big Sweep").agencies.count() == 1200
    assert not list((Path(settings.MEDIA_ROOT) / "agency-imports").glob("*.csv"))  # the upload is gone


def test_a_small_confirmed_import_still_finishes_on_the_page_itself(alice_client):
    upload(alice_client, big_csv(3))
    response = alice_client.post(reverse("agency-import-confirm"))
    assert response.url == reverse("agency-import") and Agency.objects.count() == 3


def test_a_background_import_that_fails_shows_the_error_and_writes_nothing(alice_client, settings):
    from foia.tasks.agencies import agency_import_run, import_progress_write

    upload(alice_client, big_csv(5))
    token = alice_client.session["agency_import"]["token"]
    import_progress_write(token, state="queued", done=0, total=5, filename="agencies.csv")
    (Path(settings.MEDIA_ROOT) / "agency-imports" / f"{token}.csv").write_bytes(
        b"agency,state\nTroy PD,Nowhere\n"
    )
    assert (
        agency_import_run(token=token, total=5, campaign_id=None, new_campaign="", owner_id=None) == "failed"
    )
    fragment = alice_client.get(reverse("agency-import-progress-status", args=[token])).content.decode()
    assert "Nothing was imported" in fragment and "line 2, column state: unknown state" in fragment
    assert Agency.objects.count() == 0
    # a second delivery of the same task finds it claimed and does nothing
    assert agency_import_run(token=token, total=5, campaign_id=None, new_campaign="", owner_id=None) == (
        "already claimed"
    )


@pytest.mark.parametrize("name", ["agency-import-progress", "agency-import-progress-status"])
def test_a_viewer_cannot_see_an_import_in_progress(victor_client, name):
    from foia.tasks.agencies import import_progress_write

    token = "a" * 32
    import_progress_write(token, state="running", done=10, total=20, filename="x.csv")
    assert victor_client.get(reverse(name, args=[token])).status_code == 403


def test_an_unknown_import_token_is_not_found(alice_client):
    assert alice_client.get(reverse("agency-import-progress", args=["b" * 32])).status_code == 404
    assert alice_client.get(reverse("agency-import-progress-status", args=["..etc"])).status_code == 404


@pytest.mark.parametrize(
    ("contact", "method"),
    [
        ({"email": "r@city.example", "portal_url": "https://city.example/records"}, "email"),
        ({"email": "", "portal_url": "https://city.example/records", "fax": "555-0100"}, "portal"),
        ({"email": "", "address": "1 Main St", "fax": "555-0100"}, "mail"),
        ({"email": "", "fax": "555-0100"}, "fax"),
        ({"email": ""}, ""),
    ],
)
def test_an_agency_is_reached_by_its_best_contact(db, contact, method):
    assert AgencyFactory.build(**contact).contact_method == method
