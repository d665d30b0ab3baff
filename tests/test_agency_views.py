"""Agency pages: list, detail, contact edit, and the upload -> confirm import; role checks."""

import html
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from foia.models import Agency, AgencyImport, AgencyKind, Campaign, ImportStatus

from .conftest import WORKER_DEADLINE, wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory
from .test_import import ISSUE_14_BAD_INPUTS

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


def test_a_viewer_cannot_reach_the_import(victor_client):
    assert victor_client.get(reverse("agency-import")).status_code == 403
    assert upload(victor_client, big_csv(2)).status_code == 403
    assert not AgencyImport.objects.exists()


def test_a_viewer_cannot_edit_an_agency(victor_client):
    agency = AgencyFactory(email="old@troy.example")
    url = reverse("agency-edit", args=[agency.pk])
    assert victor_client.get(url).status_code == 403
    assert victor_client.post(url, {"kind": "police", "email": "new@troy.example"}).status_code == 403
    agency.refresh_from_db()
    assert agency.email == "old@troy.example"


def last_import() -> AgencyImport:
    return AgencyImport.objects.latest("pk")


def confirm(client, agency_import: AgencyImport):
    return client.post(reverse("agency-import-confirm", args=[agency_import.pk]))


def test_upload_preview_and_confirm_imports_the_sample_into_a_campaign(alice_client, alice):
    campaign = CampaignFactory(owner=alice)
    response = upload(alice_client, SAMPLE.read_bytes(), campaign=campaign.pk)
    agency_import = last_import()
    assert response.status_code == 302 and response.url == reverse(
        "agency-import-detail", args=[agency_import.pk]
    )
    assert Agency.objects.count() == 0  # nothing written before the confirm
    assert agency_import.status == ImportStatus.CHECKED and agency_import.created == 35
    preview = alice_client.get(response.url).content.decode()
    assert "35 new agencies" in " ".join(preview.split()).replace("<b>", "").replace("</b>", "")
    done = confirm(alice_client, agency_import)
    assert done.status_code == 302 and done.url == response.url
    assert Agency.objects.count() == 35 and campaign.agencies.count() == 35
    page = alice_client.get(done.url).content.decode()
    assert "35 created, 0 updated, 0 unchanged" in page
    agency_import.refresh_from_db()
    assert agency_import.status == ImportStatus.DONE and agency_import.rows == {}
    assert not agency_import.file  # the upload is deleted once written
    # a second confirm does nothing
    confirm(alice_client, agency_import)
    assert Agency.objects.count() == 35


def test_the_upload_is_kept_through_the_storage_api_until_confirmed(alice_client):
    upload(alice_client, SAMPLE.read_bytes())
    agency_import = last_import()
    assert agency_import.file.name.startswith("agency-imports/")
    with agency_import.file.open("rb") as stored:
        assert stored.read() == SAMPLE.read_bytes()


def test_the_upload_is_parsed_once(alice_client, monkeypatch):
    from foia.imports import runs

    calls = []
    original = runs.agency_file_parse
    monkeypatch.setattr(runs, "agency_file_parse", lambda *a, **k: calls.append(1) or original(*a, **k))
    upload(alice_client, SAMPLE.read_bytes())
    alice_client.get(reverse("agency-import-detail", args=[last_import().pk]))
    confirm(alice_client, last_import())
    assert len(calls) == 1 and Agency.objects.count() == 35


def test_reuploading_the_same_file_shows_all_unchanged(alice_client):
    upload(alice_client, SAMPLE.read_bytes())
    confirm(alice_client, last_import())
    upload(alice_client, SAMPLE.read_bytes())
    assert last_import().unchanged == 35
    response = confirm(alice_client, last_import())
    assert "0 created, 0 updated, 35 unchanged" in alice_client.get(response.url).content.decode()


def test_a_new_campaign_named_on_the_page_is_created_on_confirm(alice_client, alice):
    upload(alice_client, SAMPLE.read_bytes(), new_campaign="Ring doorbells 2026")
    assert not Campaign.objects.exists()
    confirm(alice_client, last_import())
    campaign = Campaign.objects.get(title="Ring doorbells 2026")
    assert campaign.agencies.count() == 35 and campaign.owner == alice


def test_a_bad_upload_lists_every_problem_with_its_line_and_writes_nothing(alice_client):
    data = b"agency,state,email\nGood PD,MI,a@x.example\nBad PD,Narnia,a@x.example\nWorse PD,MI,@@\n"
    response = upload(alice_client, data)
    assert response.status_code == 302
    page = alice_client.get(response.url).content.decode()
    assert "2 problems" in page and "nothing was imported" in page
    assert "line 3, column state: unknown state" in page and "line 4, column email" in page
    assert Agency.objects.count() == 0
    assert last_import().status == ImportStatus.INVALID
    assert confirm(alice_client, last_import()).status_code == 302 and Agency.objects.count() == 0


def test_an_upload_over_the_size_limit_is_refused_with_a_clear_message(alice_client, settings):
    settings.FOIA_MAX_UPLOAD_BYTES = 1024
    response = upload(alice_client, b"agency,state\n" + b"Troy PD,MI\n" * 200)
    assert response.status_code == 200
    assert "the largest file accepted is 1.0\xa0KB" in response.content.decode()
    assert Agency.objects.count() == 0 and not AgencyImport.objects.exists()


def test_an_upload_without_a_file_says_so(alice_client):
    response = alice_client.post(reverse("agency-import"), {})
    assert "This field is required." in response.content.decode()


# --- Large files: checked and written on a worker while the page polls the row's progress -------------------


def big_csv(rows: int) -> bytes:
    lines = ["agency,state,email"] + [
        f"Town {n} Police Department,MI,records{n}@town{n}.gov" for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_import_is_checked_and_written_on_a_worker_while_the_page_polls(
    alice_client, start_worker, monkeypatch
):
    from foia.imports import runs

    monkeypatch.setattr(runs, "BACKGROUND_IMPORT_ROWS", 100)
    AgencyFactory(name="Town 0 Police Department", state="MI", email="records0@town0.gov")
    AgencyFactory(name="Town 1 Police Department", state="MI", email="")
    response = upload(alice_client, big_csv(1200), name="big.csv", new_campaign="Big Sweep")
    agency_import = last_import()
    assert agency_import.status == ImportStatus.UPLOADED and agency_import.rows_total == 1200
    page = alice_client.get(response.url).content.decode()  # queued: no worker is running yet
    assert "Checking big.csv" in page and "0 of 1200 rows" in page and 'hx-trigger="every 1s"' in page
    start_worker()
    status_url = reverse("agency-import-status", args=[agency_import.pk])

    def shows(text):
        def check():
            fragment = alice_client.get(status_url).content.decode()
            return fragment if text in fragment else None

        return check

    fragment = wait_until(
        shows("Confirm the import"), timeout=WORKER_DEADLINE, message="the preview after the check"
    )
    assert "hx-trigger" not in fragment and Agency.objects.count() == 2
    assert confirm(alice_client, agency_import).status_code == 302
    fragment = wait_until(
        shows("Imported big.csv"), timeout=WORKER_DEADLINE, message="the counts after the write"
    )
    assert "1198 created, 1 updated, 1 unchanged; 1200 added to the campaign" in fragment
    assert "hx-trigger" not in fragment  # polling stops once the counts are shown
    assert Agency.objects.count() == 1200
    assert Campaign.objects.get(title="Big Sweep").agencies.count() == 1200
    agency_import.refresh_from_db()
    assert agency_import.status == ImportStatus.DONE and not agency_import.file


def test_a_step_runs_once_however_often_it_is_delivered(alice_client):
    from foia.imports.runs import agency_import_process, agency_import_write

    upload(alice_client, big_csv(5))
    agency_import = last_import()
    assert agency_import_process(import_id=agency_import.pk) == "nothing to do (checked)"
    confirm(alice_client, agency_import)
    assert agency_import_write(import_id=agency_import.pk) == "already claimed"
    assert Agency.objects.count() == 5


def test_a_write_that_fails_shows_the_problem_and_writes_nothing(alice_client, bob):
    from foia.imports.runs import agency_import_write

    campaign = CampaignFactory(owner=None)
    upload(alice_client, big_csv(5), campaign=campaign.pk)
    agency_import = last_import()
    campaign.owner = bob  # the campaign changed hands between the check and the write
    campaign.save()
    AgencyImport.objects.filter(pk=agency_import.pk).update(status=ImportStatus.CONFIRMED)
    assert agency_import_write(import_id=agency_import.pk) == "failed"
    fragment = alice_client.get(reverse("agency-import-status", args=[agency_import.pk])).content.decode()
    assert "nothing was imported" in fragment and "belongs to someone else" in fragment
    assert Agency.objects.count() == 0


def test_an_import_is_seen_and_confirmed_only_by_the_person_who_uploaded_it(client, alice, bob, erin):
    client.force_login(alice)
    upload(client, big_csv(3))
    agency_import = last_import()
    for person in (bob, erin):
        client.force_login(person)
        for name in ("agency-import-detail", "agency-import-status"):
            assert client.get(reverse(name, args=[agency_import.pk])).status_code == 404
        assert confirm(client, agency_import).status_code == 404
    assert Agency.objects.count() == 0 and last_import().status == ImportStatus.CHECKED


@pytest.mark.parametrize("name", ["agency-import-detail", "agency-import-status", "agency-import-confirm"])
def test_a_viewer_cannot_see_an_import(victor_client, alice, name):
    agency_import = AgencyImport.objects.create(owner=alice, filename="x.csv", status=ImportStatus.CHECKED)
    assert victor_client.get(reverse(name, args=[agency_import.pk])).status_code in (403, 405)
    assert victor_client.post(reverse(name, args=[agency_import.pk])).status_code == 403


def test_an_unknown_import_is_not_found(alice_client):
    assert alice_client.get(reverse("agency-import-detail", args=[999])).status_code == 404


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


@pytest.mark.parametrize(("data", "expected"), ISSUE_14_BAD_INPUTS)
def test_each_bad_file_from_the_review_gets_its_line_on_the_page_and_stores_nothing(
    alice_client, data, expected
):
    response = upload(alice_client, data)
    assert response.status_code == 302
    page = html.unescape(alice_client.get(response.url).content.decode())
    assert expected in page and "nothing was imported" in page
    assert not Agency.objects.exists()
    assert AgencyImport.objects.get().status == ImportStatus.INVALID and not AgencyImport.objects.get().file
