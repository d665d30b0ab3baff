"""Every URL that hands out a file answers through foia.downloads.download_response: an attachment with a safe
name, nosniff, a sandboxing CSP and no caching (inline only for a PDF viewed from its document page)."""

import pytest
from django.core.files.base import ContentFile

from foia.downloads import download_response, safe_name

from .factories import pdf_bytes
from .test_roles_matrix import ROUTES, url_for, world  # noqa: F401 -- world is a fixture used below

# name -> query string that makes it a download (most routes are downloads whatever the query).
DOWNLOADS = {
    "letter-pdf": "",
    "appeal-pdf": "",
    "campaign-zip": "",
    "campaign-merged": "",
    "document-download": "",
    "communication-raw": "",
    "campaign-export-csv": "",
    "campaign-export-json": "",
    "campaign-documents-zip": "",
    "api-document-download": "",
    "agency-needs-contact-csv": "",
    "request-overdue": "?format=csv",
    "clause-finder": "?format=csv&phrase=adoption&campaign={campaign}",
}


@pytest.fixture
def files(world):  # noqa: F811 -- the role matrix's world, imported above
    """The world with a letter PDF on Alice's request and the raw message of her reply stored."""
    mine = world["request"]
    mine.letter_pdf.save("letter.pdf", ContentFile(pdf_bytes(["Dear Records Officer"])))
    world["communication"].raw_message.save("reply.eml", ContentFile(b"From: a@b\r\n\r\n<script>x</script>"))
    return world


def assert_safe_download(response, inline=False):
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;" if inline else "attachment;")
    assert "/" not in disposition.split("filename=", 1)[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("name", sorted(DOWNLOADS))
def test_every_download_is_a_sandboxed_uncached_attachment(client, erin, files, name):
    client.force_login(erin)
    url = url_for(name, files) + DOWNLOADS[name].format(campaign=files["campaign"].pk)

    response = client.get(url)

    assert_safe_download(response)
    assert b"".join(response.streaming_content) if response.streaming else response.content


def test_a_pdf_viewed_inline_is_still_sandboxed_and_uncached(client, erin, files):
    client.force_login(erin)

    response = client.get(url_for("document-download", files) + "?inline=1")

    assert_safe_download(response, inline=True)
    assert response["Content-Type"] == "application/pdf"


# drf-spectacular names its generated schema (our own text, not a stored file) "inline; filename=schema.yml".
NOT_FILES = {"api-schema"}


@pytest.mark.parametrize("name", sorted(name for name in ROUTES if name not in DOWNLOADS.keys() | NOT_FILES))
def test_no_other_page_is_a_download(client, erin, files, name):
    """So a download route added later without the helper (or without a line above) is caught."""
    client.force_login(erin)
    try:
        url = url_for(name, files)
    except AssertionError:
        pytest.fail(f"{name}: the role matrix cannot fill its URL")
    response = client.get(url)
    assert "Content-Disposition" not in response, f"{name} is a download: add it to DOWNLOADS"


def test_the_file_name_is_made_safe_and_html_is_never_sniffed():
    response = download_response(b"<html><script>alert(1)</script>", filename="../../etc/<b>passwd</b>.html")

    assert response["Content-Disposition"] == 'attachment; filename="etc_b_passwd_b_.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert safe_name("") == "file"
