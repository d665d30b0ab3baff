"""Campaign exports: one row per agency (CSV, JSON), formula-safe, and a streamed zip foldered by agency."""

import csv
import datetime
import hashlib
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from foia.downloads import safe_name
from foia.exports import export_rows
from foia.models import Document, DocumentKind, RequestDocument, Status

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory

TODAY = datetime.date(2026, 11, 25)


def link(records_request, name, content, kind=DocumentKind.CONTRACT):
    document = Document.objects.create(
        sha256=hashlib.sha256(content).hexdigest(),
        file=ContentFile(content, name="stored.bin"),
        size=len(content),
        mime_type="application/pdf",
        original_name=name,
        kind=kind,
    )
    return RequestDocument.objects.create(request=records_request, document=document, filename=name)


@pytest.fixture
def campaign(db):
    campaign = CampaignFactory(slug="ring")
    sent = timezone.make_aware(datetime.datetime(2026, 10, 1, 10))
    answered = RecordsRequestFactory(
        campaign=campaign,
        agency=AgencyFactory(name="Troy Police", state="MI"),
        status=Status.COMPLETED,
        sent_at=sent,
        first_response_at=sent + datetime.timedelta(days=4),
        closed_at=sent + datetime.timedelta(days=20),
    )
    RecordsRequestFactory(
        campaign=campaign,
        agency=AgencyFactory(name='=HYPERLINK("http://evil")', state="OH"),
        status=Status.SENT,
        sent_at=sent,
        due_on=TODAY - datetime.timedelta(days=7),
    )
    campaign.agencies.add(AgencyFactory(name="Akron Police", state="OH"))
    link(answered, "contract.pdf", b"%PDF contract", DocumentKind.CONTRACT)
    link(answered, "../../evil/name.pdf", b"%PDF script", DocumentKind.SCRIPT)
    link(answered, "contract.pdf", b"%PDF another contract", DocumentKind.CONTRACT)
    return campaign


def test_rows_have_dates_days_and_document_kinds(campaign):
    rows = {row["agency"]: row for row in export_rows(campaign=campaign, today=TODAY)}

    troy = rows["Troy Police"]
    assert troy["days_to_first_response"] == 4
    assert troy["days_to_complete"] == 20
    assert troy["days_overdue"] == 0
    assert troy["documents"] == 3
    assert troy["document_kinds"] == ["contract", "script"]
    late = rows['=HYPERLINK("http://evil")']
    assert late["days_overdue"] == 7
    assert rows["Akron Police"]["status_label"] == "No request yet"


@pytest.mark.django_db
def test_export_rows_take_a_fixed_number_of_queries(campaign, django_assert_num_queries):
    # Requests with document counts (1), document kinds (1), the latest appeal per request (1), agencies
    # without a request (1).
    with django_assert_num_queries(4):
        export_rows(campaign=campaign, today=TODAY)


def test_csv_export_is_one_row_per_agency_and_formula_safe(campaign, victor_client):
    response = victor_client.get(f"/dashboard/campaigns/{campaign.pk}/export.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ring.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 3
    names = {row["agency"] for row in rows}
    assert '\'=HYPERLINK("http://evil")' in names
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


def test_json_export_has_the_same_rows(campaign, victor_client):
    response = victor_client.get(f"/dashboard/campaigns/{campaign.pk}/export.json")

    data = response.json()
    assert response["Content-Disposition"].startswith("attachment;")
    assert data["campaign"]["slug"] == "ring"
    assert len(data["rows"]) == 3
    assert {row["agency"] for row in data["rows"]} >= {"Troy Police", "Akron Police"}


def test_zip_is_streamed_and_foldered_by_agency_with_safe_names(campaign, victor_client):
    response = victor_client.get(f"/dashboard/campaigns/{campaign.pk}/documents.zip")

    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert names == [
        "MI - Troy Police/contract (2).pdf",
        "MI - Troy Police/contract.pdf",
        "MI - Troy Police/evil_name.pdf",
    ]
    assert archive.read("MI - Troy Police/contract.pdf") in (b"%PDF contract", b"%PDF another contract")
    assert archive.testzip() is None


def test_a_missing_file_is_listed_not_fatal(campaign, victor_client):
    RequestDocument.objects.first().document.file.delete(save=False)

    response = victor_client.get(f"/dashboard/campaigns/{campaign.pk}/documents.zip")

    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "MISSING.txt" in archive.namelist()


@pytest.mark.django_db
def test_exports_of_a_missing_campaign_are_404(victor_client):
    for suffix in ("export.csv", "export.json", "documents.zip"):
        assert victor_client.get(f"/dashboard/campaigns/424242/{suffix}").status_code == 404


@pytest.mark.django_db
def test_exports_need_a_login(client, campaign):
    response = client.get(f"/dashboard/campaigns/{campaign.pk}/export.csv")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("C:\\Windows\\system32.dll", "C_Windows_system32.dll"),
        ("Réponse finale.pdf", "Reponse finale.pdf"),
        ("...", "file"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
        ("nul\x00byte.txt", "nul_byte.txt"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected
