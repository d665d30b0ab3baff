"""Letters that look finished: one page for every law, no sentence about a cap that is not set, no repeats."""

import io
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command

from foia import campaigns
from foia.letters import letter_compose, letter_html, pdf_from_html, pdf_text
from foia.management.commands.load_demo import DEMO
from foia.models import Agency, Campaign, Law


def _pages(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


@pytest.fixture
def laws(db):
    call_command("load_laws")
    return list(Law.objects.order_by("jurisdiction"))


def _letter(campaign, agency, law, number=1):
    return letter_compose(
        campaign=campaign,
        agency=agency,
        law=law,
        tracking_number=f"RING-{number:04d}",
        reply_address="records+0123456789abcdef@newsroom.example",
        today=campaign.date_from,
    )


def test_the_demo_letter_is_one_page_under_every_law_and_the_merged_pdf_has_one_page_per_letter(laws):
    campaign = Campaign(**{**DEMO, "tracking_prefix": "RING"})
    pdfs = []
    for number, law in enumerate(laws, start=1):
        agency = Agency(
            name=f"{law.jurisdiction_name} County Sheriff's Office and Department of Public Safety",
            state=law.jurisdiction,
            city="Springfield",
            email="records.officer@sheriff.example.gov",
            address="Attn: Custodian of Public Records\n1200 Courthouse Square, Suite 400\nSpringfield, ST",
        )
        letter = _letter(campaign, agency, law, number)
        pdf = pdf_from_html(letter_html(subject=letter.subject, text=letter.text))
        assert _pages(pdf) == 1, (law.jurisdiction, letter.text)
        pdfs.append(pdf)

    merged = io.BytesIO()
    assert campaigns.pdfs_merge(sources=pdfs, fileobj=merged) == len(laws) == 52
    text = pdf_text(pdfs[0])
    assert "RING-0001" in text and "records+0123456789abcdef@newsroom.example" in text


def test_a_long_letter_still_keeps_its_signature_together_and_every_page_has_the_tracking_number(laws):
    campaign = Campaign(**{**DEMO, "tracking_prefix": "RING"})
    campaign.records_wanted = "\n".join(
        f"Records of category {n}, with a long description" for n in range(40)
    )
    agency = Agency(name="Akron Police Department", state="OH", email="records@akron.example")

    letter = _letter(campaign, agency, next(law for law in laws if law.jurisdiction == "OH"))
    document = pdfium.PdfDocument(pdf_from_html(letter_html(subject=letter.subject, text=letter.text)))
    pages = [page.get_textpage().get_text_range() for page in document]

    assert len(pages) == 2
    assert all("RING-0001" in page for page in pages)
    assert "Sincerely" in pages[1] and "Demo Reporter" in pages[1]


def test_no_sentence_refers_to_a_fee_cap_that_is_not_set(laws):
    law = laws[0]
    agency = Agency(name="Mobile Police Department", state=law.jurisdiction)
    without = Campaign(**{**DEMO, "tracking_prefix": "RING"})
    with_cap = Campaign(**{**DEMO, "tracking_prefix": "RING", "fee_cap": Decimal("50.00")})

    text = _letter(without, agency, law).text
    capped = _letter(with_cap, agency, law).text

    assert "cap" not in text.lower() and "$" not in text
    assert "If fees will exceed $50.00" in capped


def test_names_are_not_repeated_in_the_signature_or_the_address_block(laws):
    law = laws[0]
    campaign = Campaign(
        **{
            **DEMO,
            "tracking_prefix": "RING",
            "requester_address": "Demo Newsroom\n100 Main Street\nSpringfield",
        }
    )
    agency = Agency(
        name="Mobile Police Department",
        state=law.jurisdiction,
        address="Mobile Police Department\n2460 Government Blvd",
    )

    text = _letter(campaign, agency, law).text

    assert text.count("Demo Newsroom") == 1 and text.count("Mobile Police Department") == 1


def test_generate_letters_prints_the_requester_limits_like_the_web_page(laws, capsys):
    campaign = Campaign.objects.create(**{**DEMO, "tracking_prefix": "RING", "slug": "ring"})
    agencies = [
        ("AR", "Little Rock Police Department"),
        ("VA", "Norfolk Police Department"),
        ("KY", "Louisville Metro Police Department"),
        ("MI", "Detroit Police Department"),
    ]
    for state, name in agencies:
        campaign.agencies.add(Agency.objects.create(name=name, state=state, email="records@city.example"))
    err = io.StringIO()

    call_command("generate_letters", "ring", stdout=io.StringIO(), stderr=err)

    lines = [line for line in err.getvalue().splitlines() if line.startswith("Requester limit")]
    assert len(lines) == 3
    assert "Arkansas" in lines[0] and "Little Rock Police Department" in lines[0]
    assert any("Virginia" in line and "Norfolk" in line for line in lines)
    assert any("Kentucky" in line and "residents" in line.lower() for line in lines)
    assert not any("Michigan" in line for line in lines)
