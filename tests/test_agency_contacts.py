"""Contacts: who may change them (import and web form), the needs-contact queue and its CSV round trip,
the checklist offering only agencies it can reach, and demo contacts kept out of real campaigns."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from foia import sending
from foia.imports import agencies_import, agency_file_parse
from foia.models import Agency, AgencyImport, ImportStatus, Status

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory


def upload(client, data: bytes, **fields):
    file = SimpleUploadedFile("agencies.csv", data, "text/csv")
    return client.post(reverse("agency-import"), {"file": file, **fields})


# --- Imports reach only the person's own (or unowned) campaigns ---------------------------------------------


def test_a_reporter_cannot_choose_another_reporters_campaign_for_an_import(alice_client, bob):
    bobs = CampaignFactory(owner=bob)
    response = upload(alice_client, b"agency,state\nTroy PD,MI\n", campaign=bobs.pk)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not AgencyImport.objects.exists() and not Agency.objects.exists()


def test_a_reporter_cannot_reach_another_reporters_campaign_by_typing_its_title(alice_client, bob):
    bobs = CampaignFactory(owner=bob, title="Bob's sweep")
    response = upload(alice_client, b"agency,state\nTroy PD,MI\n", new_campaign="bob's SWEEP")
    assert response.status_code == 200
    assert "belongs to someone else" in response.content.decode()
    assert not AgencyImport.objects.exists() and bobs.agencies.count() == 0


@pytest.mark.parametrize("owner", ["alice", None])
def test_a_reporter_imports_into_their_own_and_unowned_campaigns(alice_client, request, owner):
    campaign = CampaignFactory(owner=request.getfixturevalue(owner) if owner else None)
    upload(alice_client, b"agency,state\nTroy PD,MI\n", campaign=campaign.pk)
    alice_client.post(reverse("agency-import-confirm", args=[AgencyImport.objects.get().pk]))
    assert campaign.agencies.count() == 1


def test_an_editor_imports_into_anyones_campaign(erin_client, bob):
    bobs = CampaignFactory(owner=bob, title="Bob's sweep")
    upload(erin_client, b"agency,state\nTroy PD,MI\n", new_campaign="Bob's sweep")
    erin_client.post(reverse("agency-import-confirm", args=[AgencyImport.objects.get().pk]))
    assert bobs.agencies.count() == 1


# --- Stored contacts are changed by editors; reporters fill empty ones; who changed them is kept -----------


def test_a_reporters_file_that_would_change_a_stored_email_imports_nothing(alice_client):
    AgencyFactory(name="Troy PD", state="MI", email="records@troy.example", fax="")
    data = b"agency,state,email,fax\nLansing PD,MI,,\nTroy PD,MI,attacker@evil.example,555-0100\n"
    response = upload(alice_client, data)
    page = alice_client.get(response.url).content.decode()
    assert "line 3, column email: Troy PD already has &#x27;records@troy.example&#x27;" in page
    assert AgencyImport.objects.get().status == ImportStatus.INVALID
    assert Agency.objects.count() == 1 and Agency.objects.get().fax == ""


def test_a_reporters_file_fills_empty_contacts_and_records_who(alice_client, alice):
    AgencyFactory(name="Troy PD", state="MI", email="", fax="")
    upload(alice_client, b"agency,state,email\nTroy PD,MI,records@troy.example\n")
    alice_client.post(reverse("agency-import-confirm", args=[AgencyImport.objects.get().pk]))
    agency = Agency.objects.get()
    assert agency.email == "records@troy.example"
    assert agency.contact_changed_by == alice and agency.contact_changed_at is not None


def test_an_editors_file_changes_a_stored_email(erin_client, erin):
    AgencyFactory(name="Troy PD", state="MI", email="old@troy.example")
    upload(erin_client, b"agency,state,email\nTroy PD,MI,new@troy.example\n")
    erin_client.post(reverse("agency-import-confirm", args=[AgencyImport.objects.get().pk]))
    agency = Agency.objects.get()
    assert (agency.email, agency.contact_changed_by) == ("new@troy.example", erin)


def test_a_reporter_cannot_change_a_stored_email_on_the_web_form(alice_client):
    agency = AgencyFactory(email="records@troy.example")
    response = alice_client.post(
        reverse("agency-edit", args=[agency.pk]), {"kind": "police", "email": "attacker@evil.example"}
    )
    assert response.status_code == 200
    assert "Only an editor can change a stored contact" in response.content.decode()
    agency.refresh_from_db()
    assert agency.email == "records@troy.example" and agency.contact_changed_by is None


def test_a_reporter_fills_an_empty_contact_and_an_editor_changes_one_both_recorded(client, alice, erin):
    agency = AgencyFactory(email="", fax="")
    client.force_login(alice)
    client.post(reverse("agency-edit", args=[agency.pk]), {"kind": "police", "fax": "555-0100"})
    agency.refresh_from_db()
    assert (agency.fax, agency.contact_changed_by) == ("555-0100", alice)
    client.force_login(erin)
    client.post(reverse("agency-edit", args=[agency.pk]), {"kind": "police", "fax": "555-0199"})
    agency.refresh_from_db()
    assert (agency.fax, agency.contact_changed_by) == ("555-0199", erin)
    page = client.get(reverse("agency-detail", args=[agency.pk])).content.decode()
    assert "Contact last changed" in page and "Erin" in page


# --- The needs-contact queue -----------------------------------------------------------------------------


@pytest.fixture
def queue(db, alice):
    campaign = CampaignFactory(owner=alice)
    missing = AgencyFactory(name="Troy PD", state="MI", email="")
    reachable = AgencyFactory(name="Lansing PD", state="MI", email="foia@lansing.example")
    simulated = AgencyFactory(name="Flint PD", state="MI", email="records@flint.invalid", is_demo=True)
    campaign.agencies.add(missing, reachable, simulated)
    return campaign, missing, reachable, simulated


def test_the_queue_lists_a_campaigns_agencies_without_a_usable_contact(victor_client, queue):
    campaign, missing, reachable, simulated = queue
    response = victor_client.get(reverse("agency-needs-contact"), {"campaign": campaign.pk})
    listed = [agency for agency, _form in response.context["rows"]]
    assert listed == [simulated, missing]  # a demo contact is never offered to a real campaign
    assert "<form" not in response.content.decode().split("<table>")[1]  # viewers get no inline forms


def test_the_queue_rows_post_exactly_the_fields_the_contact_form_reads(alice_client, alice, queue):
    import re

    from foia.views.agencies import AgencyQuickContactForm

    campaign, missing, *_ = queue
    missing.phone = "555-0100"  # a phone is no way to send a letter: still in the queue
    missing.save()
    page = alice_client.get(reverse("agency-needs-contact"), {"campaign": campaign.pk}).content.decode()
    row = page.split(f'id="agency-{missing.pk}"')[1].split("</tr>")[0]
    written = re.findall(r'<input type="(\w+)" name="([\w-]+)" value="([^"]*)"', row)
    written = [found for found in written if found[1] not in ("csrfmiddlewaretoken", "next")]

    form = AgencyQuickContactForm(instance=missing, user=alice, prefix=f"a{missing.pk}")
    expected = [(b.field.widget.input_type, b.html_name, str(b.value() or "")) for b in form]
    assert written == expected  # same names, input types and stored values as the form's own widgets
    assert 'maxlength="254"' in row and 'maxlength="40"' in row


def test_a_contact_entered_inline_leaves_the_queue_and_is_kept_for_every_campaign(alice_client, alice, queue):
    campaign, missing, *_ = queue
    queue_url = reverse("agency-needs-contact") + f"?campaign={campaign.pk}"
    response = alice_client.post(
        reverse("agency-contact", args=[missing.pk]),
        {f"a{missing.pk}-email": "records@troy.example", "next": queue_url},
    )
    assert response.status_code == 302 and response.url == queue_url
    missing.refresh_from_db()
    assert (missing.email, missing.contact_changed_by) == ("records@troy.example", alice)
    assert missing not in [agency for agency, _ in alice_client.get(queue_url).context["rows"]]
    later = CampaignFactory(owner=alice)
    later.agencies.add(missing)
    assert not later.agencies.needing_contact_for(later).exists()


def test_an_inline_change_of_a_stored_contact_by_a_reporter_is_refused_with_a_message(alice_client, queue):
    _campaign, _missing, reachable, _simulated = queue
    response = alice_client.post(
        reverse("agency-contact", args=[reachable.pk]),
        {f"a{reachable.pk}-email": "attacker@evil.example", "next": "https://evil.example/"},
        follow=True,
    )
    assert "Nothing saved for Lansing PD" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("agency-needs-contact")  # never an outside address
    reachable.refresh_from_db()
    assert reachable.email == "foia@lansing.example"


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_queue_exports_as_csv_and_the_filled_file_imports_back_without_erasing(
    alice_client, alice, queue
):
    campaign, missing, *_ = queue
    missing.phone = "555-0100"
    missing.save()
    response = alice_client.get(reverse("agency-needs-contact-csv"), {"campaign": campaign.pk})
    assert response["Content-Disposition"].startswith("attachment;")
    rows = read_csv(response)
    assert [row["agency"] for row in rows] == ["Flint PD", "Troy PD"]
    assert rows[0]["email"] == ""  # a simulated contact is never exported
    # The reporter fills Troy's email in a spreadsheet and clears its phone cell.
    for row in rows:
        if row["agency"] == "Troy PD":
            row["email"], row["phone"] = "records@troy.example", ""
    filled = io.StringIO()
    writer = csv.DictWriter(filled, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload(alice_client, filled.getvalue().encode())
    alice_client.post(reverse("agency-import-confirm", args=[AgencyImport.objects.latest("pk").pk]))
    missing.refresh_from_db()
    assert (missing.email, missing.phone) == ("records@troy.example", "555-0100")  # updated, never erased
    again = read_csv(alice_client.get(reverse("agency-needs-contact-csv"), {"campaign": campaign.pk}))
    assert [row["agency"] for row in again] == ["Flint PD"]  # its simulated email was not made real


def test_a_real_import_matching_a_demo_agency_replaces_its_simulated_contacts(db, alice):
    AgencyFactory(name="Flint PD", state="MI", email="records@flint.invalid", fax="555-0000", is_demo=True)
    parsed = agency_file_parse(b"agency,state,portal\nFlint PD,MI,https://flint.example/records\n")
    agencies_import(parsed=parsed, actor=alice, may_change_contacts=False)
    agency = Agency.objects.get()
    assert (agency.is_demo, agency.email, agency.fax) == (False, "", "")
    assert agency.portal_url == "https://flint.example/records"


def test_a_demo_import_marks_new_agencies_as_demo_data(db):
    agencies_import(parsed=agency_file_parse(b"agency,state,email\nFlint PD,MI,r@flint.invalid\n"), demo=True)
    assert Agency.objects.get().is_demo


# --- The checklist offers only what the agency can be reached by -------------------------------------------


def test_the_checklist_offers_only_agencies_with_a_portal_address_or_fax(db):
    campaign = CampaignFactory()
    by_portal = RecordsRequestFactory(
        campaign=campaign,
        status=Status.DRAFT,
        agency=AgencyFactory(email="", portal_url="https://p.example/"),
    )
    RecordsRequestFactory(campaign=campaign, status=Status.DRAFT, agency=AgencyFactory(email=""))
    RecordsRequestFactory(
        campaign=campaign, status=Status.DRAFT, agency=AgencyFactory(email="", fax="555-0100", is_demo=True)
    )
    assert list(sending.campaign_checklist(campaign=campaign)) == [by_portal]
