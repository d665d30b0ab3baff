"""Amounts: summed per question on the campaign page (total, how many agencies, each amount with its
passage and a link to the page it is on), a person's No taking one out, and the matrix sorted by them."""

import pytest
from django.urls import reverse

from foia.findings.cells import cell_decide, cells_compute
from foia.findings.questions import questions_load
from foia.models import FindingCell

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory
from .test_search_exact import add_document

AMOUNTS = "slug,question,phrases,mode,pick\nsubsidy,How much does the city pay?,subsidy,any,amount\n"


@pytest.fixture
def money(db, alice, sent_tasks):
    """Three agencies state a subsidy ($10,000, $2.5 million, $0), one has none, one has no documents."""
    campaign = CampaignFactory(owner=alice)
    for name, text in (
        ("Mesa PD", "The city pays a subsidy of $10,000 per year."),
        ("Tempe PD", "Ring matches the subsidy: $2.5 million over five years."),
        ("Gilbert PD", "The subsidy is $0 this year."),
        ("Peoria PD", "No money changes hands."),
    ):
        records_request = RecordsRequestFactory(
            campaign=campaign, agency=AgencyFactory(name=name, state="AZ")
        )
        add_document(records_request, [text], f"{name[:4].lower()}.pdf")
    RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Yuma PD", state="AZ"))
    questions_load(campaign=campaign, text=AMOUNTS)
    cells_compute(campaign=campaign)
    return campaign


def test_the_campaign_page_loads_the_amounts_section(money, alice_client):
    page = alice_client.get(reverse("campaign-detail", args=[money.pk])).content.decode()
    assert f'hx-get="{reverse("findings-amounts", args=[money.pk])}"' in page


def test_amounts_are_summed_per_question_each_with_its_passage_and_page(money, alice_client):
    body = alice_client.get(reverse("findings-amounts", args=[money.pk])).content.decode()
    assert "Σ subsidy: $2,510,000.00 across 3 agencies" in body  # $0 is an amount too
    assert body.index("Tempe PD") < body.index("Mesa PD") < body.index("Gilbert PD")  # largest first
    assert "Peoria PD" not in body and "Yuma PD" not in body
    mesa = FindingCell.objects.get(agency__name="Mesa PD")
    assert "The city pays a subsidy of $10,000 per year." in body
    assert f"{reverse('document-detail', args=[mesa.document_id])}#page-1" in body
    assert reverse("findings-cell", args=[money.pk, mesa.pk]) in body


def test_a_persons_no_takes_an_amount_out_of_the_sum(money, alice_client, alice):
    cell_decide(cell=FindingCell.objects.get(agency__name="Tempe PD"), answer="no", note="struck", user=alice)
    body = alice_client.get(reverse("findings-amounts", args=[money.pk])).content.decode()
    assert "Σ subsidy: $10,000.00 across 2 agencies" in body


def test_the_matrix_sorts_by_amount_either_way_with_the_agencies_without_one_last(money, alice_client):
    question = money.questions.get()
    url = reverse("findings-matrix", args=[money.pk])

    def order(sort):
        rows = alice_client.get(url, {"sort": sort}).context["page"].object_list
        return [agency.name for agency, _cells, _differs in rows]

    assert order(str(question.pk))[:3] == ["Tempe PD", "Mesa PD", "Gilbert PD"]
    assert order(f"-{question.pk}")[:3] == ["Gilbert PD", "Mesa PD", "Tempe PD"]
    assert sorted(order(str(question.pk))[3:]) == ["Peoria PD", "Yuma PD"]
