"""From a search hit to its page in a real browser: the PDF, served inline under the downloads' sandboxing
Content-Security-Policy, opens in Chromium's PDF viewer at the hit's page (#page=N), and the document's text
view scrolls to that page with the passage marked. Both for a document on a request and for a file of
unsorted mail (an editor's search)."""

import io

import pytest

from foia.documents import document_store
from foia.mail import mail_ingest
from foia.models import Role
from foia.tasks.documents import extract_document
from tests.factories import RecordsRequestFactory, UserFactory, eml_bytes, pdf_bytes

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
PAGES = ["Cover letter", "Definitions", "Officers shall encourage\nadoption of the app.", "Signatures"]
VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # Chromium's built-in PDF viewer


def log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def pdf_viewer_page(pdf_tab) -> str:
    """The page number Chromium's PDF viewer shows in its toolbar, once it has loaded the file."""
    pdf_tab.wait_for_load_state()
    for _ in range(100):
        frames = [frame for frame in pdf_tab.frames if frame.url.startswith(VIEWER)]
        if frames:
            selector = frames[0].locator("#pageSelector")
            selector.wait_for(timeout=20_000)
            value = selector.input_value()
            if value != "1":
                return value
        pdf_tab.wait_for_timeout(200)
    return frames[0].locator("#pageSelector").input_value() if frames else "(no PDF viewer)"


def open_hit(page, base: str, filename: str, query: str) -> None:
    """Search, open the hit's PDF link in a new tab and check its page and headers, then its text view."""
    page.goto(f"{base}/search/?q={query}" + ("&unsorted=on" if filename == "memo.pdf" else ""))
    hit = page.locator("ol.hits li", has_text=filename)
    link = hit.locator("a", has_text="open the PDF at page 3")
    assert link.get_attribute("href").endswith("?inline=1#page=3")
    with page.context.expect_page() as opened:
        link.click()
    pdf_tab = opened.value
    assert pdf_viewer_page(pdf_tab) == "3"
    pdf_tab.close()
    response = page.request.get(base + link.get_attribute("href").split("#")[0])
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["content-disposition"].startswith("inline;")
    hit.locator("a", has_text=filename).click()
    page.wait_for_url(lambda url: url.endswith("#page-3"))
    mark = page.locator("#page-3 mark")
    assert " ".join(mark.inner_text().split()) == "encourage adoption"
    assert mark.is_visible() and page.evaluate("() => location.hash") == "#page-3"
    assert page.locator("#page-2 mark").count() == 0


def test_a_hit_opens_the_pdf_at_its_page_and_the_text_view_marks_the_passage(live_server, browser_page):
    UserFactory(username="erin", role=Role.EDITOR, password=PASSWORD)
    records_request = RecordsRequestFactory()
    link = document_store(
        fileobj=io.BytesIO(pdf_bytes(PAGES)), name="mou.pdf", records_request=records_request
    ).links[0]
    extract_document(link.document_id)
    attachments = [("memo.pdf", pdf_bytes([*PAGES[:2], PAGES[2] + " (unsorted copy)"]), "application/pdf")]
    unsorted = mail_ingest(raw=eml_bytes(subject="Records", attachments=attachments)).communication
    extract_document(unsorted.unsorted_attachments.get().document_id)
    log_in(browser_page, live_server.url)
    open_hit(browser_page, live_server.url, "mou.pdf", '"encourage adoption"')
    open_hit(browser_page, live_server.url, "memo.pdf", '"encourage adoption"')
