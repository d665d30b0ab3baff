"""The main flow in a real browser (Debian's Chromium driven by Playwright) against a live server and a
real Celery worker: log in, import agencies, create a campaign, generate the letters while the progress bar
fills, mark a request sent, upload the response, and watch the dashboard change. Screenshots of the key pages
go to artifacts/screenshots/ (git-ignored; CI keeps them as artifacts).
"""

import re

import pytest

from foia.models import Campaign, Document, RecordsRequest, RequestDocument, Role, Status
from tests.conftest import WORKER_DEADLINE, wait_until
from tests.factories import LawFactory, UserFactory, pdf_bytes

from .conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
AGENCIES_CSV = (
    "agency,state,city,email,portal\n"
    "Troy Police Department,MI,Troy,records@troy.example,https://troy.example/foia\n"
    "Auburn Hills Police Department,MI,Auburn Hills,foia@auburnhills.example,https://auburnhills.example/foia\n"
    "Flint Police Department,Michigan,Flint,foia@flint.example,https://flint.example/foia\n"
)


def stat(page, label: str) -> str:
    """The big number of a dashboard figure, e.g. stat(page, "Requests") -> "3"."""
    card = page.locator(".dash-stats .stat", has_text=label).first
    return card.locator("b").inner_text().strip()


def test_editor_runs_a_campaign_from_import_to_dashboard(live_server, browser_page, start_worker, tmp_path):
    LawFactory()  # Michigan's law, so the letters can cite it and the clock can run
    UserFactory(username="erin", role=Role.EDITOR, is_staff=True, password=PASSWORD)
    worker = start_worker(concurrency=1)
    page = browser_page
    base = live_server.url

    # Log in.
    page.goto(f"{base}/")
    assert "/accounts/login/" in page.url
    shot(page, "01-login")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("h1", has_text="Newsroom dashboard").is_visible()
    shot(page, "02-dashboard-empty")

    # Import agencies: check the file, then confirm.
    csv_path = tmp_path / "ring-agencies.csv"
    csv_path.write_text(AGENCIES_CSV)
    page.goto(f"{base}/agencies/import/")
    page.set_input_files("input[type=file]", str(csv_path))
    page.click("button:has-text('Check the file')")
    page.wait_for_url(re.compile(r".*/agencies/import/\d+/$"))
    shot(page, "03-import-confirm")
    page.click("button:has-text('Import 3 agencies')")
    page.wait_for_selector("h2:has-text('Imported ring-agencies.csv')")
    assert page.locator(".messages", has_text="Imported ring-agencies.csv").is_visible()

    # Create a campaign, then add every Michigan agency to it.
    page.goto(f"{base}/campaigns/new/")
    page.fill("#id_title", "Ring partnerships with police")
    page.fill("#id_slug", "ring")
    page.fill("#id_tracking_prefix", "RING")
    page.fill("#id_records_wanted", "Contracts and MOUs with Ring LLC\nTalking points provided by Ring")
    page.fill("#id_requester_name", "Erin Editor")
    page.fill("#id_requester_outlet", "The Daily Example")
    page.fill("#id_requester_email", "erin@newsroom.example")
    page.fill("#id_requester_address", "1 Press Row\nSpringfield, MI 49000")
    shot(page, "04-campaign-form")
    page.click("button:has-text('Create campaign')")
    page.wait_for_url(re.compile(r".*/campaigns/\d+/agencies/"))
    page.click("button[name=all_matching]")
    page.wait_for_load_state()
    campaign = Campaign.objects.get(slug="ring")
    assert campaign.agencies.count() == 3

    # Generate the letters: the worker renders the PDFs while the progress bar fills.
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.click("button:has-text('Generate all letters')")
    page.wait_for_load_state()
    shot(page, "05-letters-generating")
    page.wait_for_selector("#letter-progress:has-text('3 of 3')", timeout=WORKER_DEADLINE * 1000)
    assert page.locator("#letter-progress .progress span").get_attribute("style") == "width: 100%"
    # The same page, never reloaded, now offers the downloads and shows every letter ready in the table.
    page.wait_for_selector("#campaign-live a:has-text('Download zip of PDFs')", timeout=10_000)
    ready_badges = "document.querySelectorAll('#campaign-live .badge.ok').length === 3"
    page.wait_for_function(ready_badges, timeout=10_000)
    shot(page, "06-letters-ready")

    # Mark one request sent (submitted by another way), from its page.
    records_request = RecordsRequest.objects.filter(campaign=campaign).order_by("tracking_number").first()
    page.goto(f"{base}/requests/{records_request.pk}/")
    page.select_option(f"#method_{records_request.pk}", "portal")
    page.fill(f"#reference_{records_request.pk}", "NR-2026-0042")
    page.click("form.mark-sent button:has-text('Mark sent')")
    page.wait_for_load_state()
    wait_until(
        lambda: RecordsRequest.objects.get(pk=records_request.pk).status == Status.SENT, 10, message="sent"
    )

    # The dashboard counts it.
    page.goto(f"{base}/dashboard/campaigns/{campaign.pk}/")
    assert stat(page, "Requests") == "3"
    assert "1 sent" in page.locator(".dash-stats .stat", has_text="Requests").inner_text()
    assert stat(page, "Answered") == "0"

    # Upload the agency's response and record the outcome.
    response_pdf = tmp_path / "ring-contract.pdf"
    response_pdf.write_bytes(pdf_bytes(["Officers will encourage adoption of the Neighbors app."]))
    page.goto(f"{base}/requests/{records_request.pk}/")
    page.set_input_files(f"#upload-{records_request.pk}", str(response_pdf))
    page.click("form.dropzone button:has-text('Upload')")
    page.wait_for_load_state()
    wait_until(lambda: RequestDocument.objects.filter(request=records_request).exists(), 10, message="upload")
    wait_until(
        lambda: Document.objects.filter(links__request=records_request, extraction_status="done").exists(),
        WORKER_DEADLINE,
        message=lambda: f"the worker to extract the response's text\n{worker.log()}",
    )
    page.goto(f"{base}/requests/{records_request.pk}/")
    page.select_option("#outcome-status", "completed")
    page.fill("#outcome-note", "Contract and MOU received.")
    shot(page, "07-request-with-response")
    page.click("form.outcome-form button:has-text('Record outcome')")
    page.wait_for_load_state()
    wait_until(
        lambda: RecordsRequest.objects.get(pk=records_request.pk).status == Status.COMPLETED,
        10,
        message="done",
    )

    # The dashboard changed: one answer, one document, and the state map knows Michigan.
    page.goto(f"{base}/dashboard/campaigns/{campaign.pk}/")
    assert stat(page, "Answered") == "1"
    assert stat(page, "Closed") == "1"
    assert page.locator("svg[aria-label='Documents received by kind']").is_visible()
    assert "MI: 1 of 1 answered" in page.locator("svg[aria-label='Response rate by state']").inner_html()
    shot(page, "08-campaign-dashboard")

    # Filters work without a full reload: htmx swaps the body and updates the address.
    page.goto(f"{base}/")
    page.select_option("#id_state", "OH")
    page.wait_for_url(re.compile(r".*\?state=OH$"))
    page.wait_for_selector("#dashboard-body:has-text('No requests here yet')")
    page.select_option("#id_state", "MI")
    page.wait_for_url(re.compile(r".*\?state=MI$"))
    page.wait_for_selector(".dash-stats")
    assert stat(page, "Requests") == "3"
    shot(page, "09-newsroom-dashboard")
