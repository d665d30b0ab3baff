"""Letters: the default template, campaign overrides, template errors with lines, and safe PDFs."""

import datetime
import http.server
import threading

import pytest

from foia import letters
from foia.models import DayType, RequesterLimit

from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory

TODAY = datetime.date(2026, 11, 25)


@pytest.fixture
def michigan(db):
    return LawFactory()


@pytest.fixture
def records_request(michigan):
    agency = AgencyFactory(
        name="Auburn Hills Police Department", address="1827 N Squirrel Rd\nAuburn Hills, MI 48326"
    )
    return RecordsRequestFactory(agency=agency, tracking_number="RING-0042", reply_token="abc123")


def test_default_letter_cites_the_state_law_its_response_period_and_the_tracking_number(records_request):
    letter = letters.letter_render(records_request=records_request, today=TODAY)

    assert "[RING-0042]" in letter.subject
    assert "November 25, 2026" in letter.text
    assert "Auburn Hills Police Department\n1827 N Squirrel Rd\nAuburn Hills, MI 48326" in letter.text
    assert "Michigan Freedom of Information Act (MCL 15.231 et seq.)" in letter.text
    assert "within 5 business days" in letter.text
    assert "1. Contracts and MOUs with Ring LLC or Amazon" in letter.text
    assert "exemption" in letter.text and "segregable" in letter.text
    assert "records+abc123@newsroom.example" in letter.text
    assert "Tracking number: RING-0042" in letter.text
    assert "Jane Reporter\nThe Daily Example" in letter.text


def test_a_law_without_a_number_of_days_is_quoted_in_its_own_words(db):
    LawFactory(
        jurisdiction="AZ",
        jurisdiction_name="Arizona",
        law_name="Arizona Public Records Law",
        citation="A.R.S. § 39-121 et seq.",
        response_days=None,
        day_type=DayType.NONE,
        response_wording="promptly",
    )
    records_request = RecordsRequestFactory(agency=AgencyFactory(state="AZ"))

    letter = letters.letter_render(records_request=records_request, today=TODAY)

    assert "sets the time for a response in these terms: “promptly”." in letter.text
    assert "A.R.S. § 39-121 et seq." in letter.text


def test_fee_cap_fee_waiver_date_range_and_format_appear_in_the_letter(michigan):
    campaign = CampaignFactory(
        fee_cap=25,
        fee_waiver_text="I am a journalist and ask for a public-interest fee waiver.",
        date_from=datetime.date(2019, 1, 1),
        date_to=datetime.date(2026, 10, 31),
        preferred_format="PDF files by email",
    )
    letter = letters.letter_render(records_request=RecordsRequestFactory(campaign=campaign), today=TODAY)

    assert "If fees will exceed $25" in letter.text
    assert "public-interest fee waiver" in letter.text
    assert "between January 1, 2019 and October 31, 2026" in letter.text
    assert "PDF files by email" in letter.text


def test_campaign_templates_override_subject_and_body_and_the_tag_is_kept(michigan):
    campaign = CampaignFactory(
        subject_template="Records about Ring for {{ agency.name }}",
        body_template="Hello {{ agency.name }} in {{ jurisdiction }}.\n"
        "{% for item in records %}- {{ item }}\n{% endfor %}"
        "Law: {{ law.citation }}, {{ law.response_period }}.",
    )
    records_request = RecordsRequestFactory(campaign=campaign, tracking_number="RING-0007")

    letter = letters.letter_render(records_request=records_request, today=TODAY)

    assert letter.subject == f"Records about Ring for {records_request.agency.name} [RING-0007]"
    assert f"Hello {records_request.agency.name} in Michigan." in letter.text
    assert "- Scripts and talking points provided by Ring" in letter.text
    assert "Law: MCL 15.231 et seq., within 5 business days." in letter.text
    assert "Sincerely," in letter.text  # the frame (date, address, signature) stays


def test_an_unknown_variable_is_an_error_with_its_line_not_a_blank(michigan):
    campaign = CampaignFactory(body_template="Dear records officer,\n\nPlease see {{ agnecy.name }}.\n")

    with pytest.raises(letters.LetterError) as error:
        letters.letter_render(records_request=RecordsRequestFactory(campaign=campaign), today=TODAY)

    assert error.value.line == 3
    assert 'unknown variable "agnecy.name"' in str(error.value)
    assert str(error.value).startswith("Body template, line 3:")


def test_a_template_syntax_error_is_reported_with_its_line():
    with pytest.raises(letters.LetterError) as error:
        letters.template_check(source="Line one\nLine two {% if %}\n{% endif %}", field="Body template")

    assert error.value.line == 2
    assert "Body template, line 2:" in str(error.value)


def test_templates_cannot_reach_model_internals(michigan):
    # The context is plain dicts, so a template cannot walk to users' password hashes.
    with pytest.raises(letters.LetterError):
        letters.template_check(source="{{ campaign.owner.password }}", field="Body template")


def test_agency_in_a_state_without_a_law_row_gets_a_clear_error(db):
    records_request = RecordsRequestFactory(agency=AgencyFactory(state="ZZ", name="Nowhere PD"))

    with pytest.raises(letters.LetterError, match='no public-records law is on file for jurisdiction "ZZ"'):
        letters.letter_render(records_request=records_request, today=TODAY)


def test_requester_limit_is_flagged(db):
    law = LawFactory(
        jurisdiction="AR",
        jurisdiction_name="Arkansas",
        requester_limit=RequesterLimit.CITIZENS,
        requester_limit_notes="Arkansas citizens only.",
    )
    assert letters.requester_limit_warning(law).startswith("Arkansas: State citizens only.")
    assert letters.requester_limit_warning(LawFactory()) == ""


def test_the_pdf_text_names_agency_statute_response_period_and_tracking_number(records_request):
    letter = letters.letter_render(records_request=records_request, today=TODAY)

    pdf = letters.pdf_from_html(letter.html)

    assert pdf.startswith(b"%PDF")
    text = " ".join(letters.pdf_text(pdf).split())
    assert "Auburn Hills Police Department" in text
    assert "MCL 15.231 et seq." in text
    assert "within 5 business days" in text
    assert "RING-0042" in text
    assert "Page 1 of" in text


def test_html_in_letter_text_is_printed_as_text_not_markup():
    html = letters.letter_html(subject="s", text='<img src="file:///etc/passwd"> & <b>bold</b>')

    assert "<img" not in html and "&lt;img" in html


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    _CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_letter_naming_local_files_or_web_addresses_fetches_nothing_and_still_renders(http_server):
    port = http_server.server_address[1]
    html = f"""<html><head>
      <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
      <style>@import url("file:///etc/passwd"); p {{ background: url(http://127.0.0.1:9/bg.png) }}</style>
      </head><body>
      <p>Visible text</p>
      <img src="file:///etc/passwd"><img src="http://127.0.0.1:{port}/pixel.png">
      <img src="https://static.foia.invalid/../../../../etc/passwd">
      <object data="file:///etc/hostname"></object>
      </body></html>"""
    fetcher = letters.safe_url_fetcher()

    pdf = letters.pdf_from_html(html, url_fetcher=fetcher)

    assert _CountingHandler.hits == []
    assert "file:///etc/passwd" in fetcher.refused
    assert any(url.startswith("http://127.0.0.1:9/") for url in fetcher.refused)
    text = letters.pdf_text(pdf)
    assert "Visible text" in text
    assert "root:" not in text


def test_data_urls_and_project_static_files_are_allowed():
    pixel = (
        "data:image/png;base64,"
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
    )
    html = f'<p>x</p><img src="{pixel}"><link rel="stylesheet" href="foia/app.css">'
    fetcher = letters.safe_url_fetcher()

    letters.pdf_from_html(html, url_fetcher=fetcher)

    assert fetcher.refused == []
