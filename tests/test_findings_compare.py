"""Comparing with the template: a sentence-level redline robust to layout and OCR noise, the reference
chosen per kind with every other document scored, and near-duplicates grouped into variants."""

import random

import pytest
from django.urls import reverse

from foia.findings.cells import cells_compute
from foia.findings.compare import comparisons_compute, reference_set
from foia.findings.duplicates import groups_compute
from foia.findings.groups import groups_find, sketch
from foia.findings.redline import redline, sentences
from foia.models import CampaignQuestion, DocumentKind, TemplateComparison

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory
from .test_search_exact import add_document

BOILERPLATE = (
    "The parties share the goal of safer neighborhoods and agree to work together in good faith. "
    "Nothing in this memorandum creates any obligation to spend public funds beyond what is stated here. "
    "Either party may end this memorandum with thirty days of written notice to the other party.\n"
)
TEMPLATE = [
    "MEMORANDUM OF UNDERSTANDING\n1. Purpose. The Department will encourage adoption of the Neighbors app.\n"
    + BOILERPLATE
    + "2. Statements. Every public statement about Ring must be approved by Ring first.\n",
    "Page 2 of 3\n3. Term. This agreement lasts one year.\n4. Money. Ring will match the city's subsidy.\n",
]


def test_layout_page_numbers_and_ocr_noise_are_not_differences():
    scanned = [
        "MEMORANDUM OF UNDERSTANDING\n1. Purpose. The Department will encour-\n"
        "age adoptlon of the Neighbors\napp.\n"
        + BOILERPLATE.replace("good faith", "good\nfaith")
        + "2. Statements. Every public statement about Ring must be approved by Ring first.\n- 2 -\n",
        "3. Term. This agreement lasts one year.\n4. Money. Ring will match the city’s subsidy.\n",
    ]
    result = redline(TEMPLATE, scanned)
    assert result.changes == 0 and result.sections == []
    assert result.similarity > 0.95


def test_a_changed_clause_is_reported_by_its_section():
    changed = [
        TEMPLATE[0],
        "3. Term. This agreement lasts two years.\n4. Money. Ring will match the city's subsidy.\n",
    ]
    changed[1] += "5. Extra. The Department will post Ring's scripts.\n"
    result = redline(TEMPLATE, changed)
    ops = [(line.op, line.section) for line in result.lines if line.op != "same"]
    assert ops == [("changed", "3"), ("added", "4")]
    assert result.sections == ["3", "4"]
    removed = redline(TEMPLATE, [TEMPLATE[0]])
    assert [line.op for line in removed.lines if line.op != "same"] == ["removed", "removed"]
    assert removed.similarity < 0.95


def test_section_headings_stay_with_their_first_sentence():
    assert sentences(["4. Money.\nRing will match it."])[0] == "4. money. ring will match it."


def synthetic_corpus(bases: int = 12, copies: int = 15, seed: int = 7) -> dict:
    """`bases` different agreements sharing some boilerplate, each returned `copies` times with edits and
    OCR noise: {(base, copy): text}."""
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(4000)]
    boilerplate = [rng.choice(vocabulary) for _ in range(150)]
    corpus = {}
    for base in range(bases):
        body = boilerplate + [rng.choice(vocabulary) for _ in range(450)]
        for copy in range(copies):
            words = list(body)
            for _ in range(rng.randint(0, 2)):  # a clause rewritten
                at = rng.randrange(len(words) - 30)
                words[at : at + 20] = [rng.choice(vocabulary) for _ in range(20)]
            for _ in range(rng.randint(0, 8)):  # OCR misreads (about 1 word in 100)
                at = rng.randrange(len(words))
                words[at] = words[at] + "l"
            corpus[(base, copy)] = " ".join(words)
    return corpus


def test_near_duplicates_group_by_agreement_without_false_merges():
    corpus = synthetic_corpus()
    groups = groups_find({key: sketch(text) for key, text in corpus.items()})
    merged_wrongly = [g for g in groups if len({key[0] for key in g.members}) > 1]
    assert merged_wrongly == []
    assert len(groups) == 12  # each agreement's copies found together
    assert all(len(g.members) == 15 for g in groups)


@pytest.fixture
def contracts(db, sent_tasks):
    campaign = CampaignFactory()
    links = {}
    for name, pages in (
        ("Mesa PD", TEMPLATE),
        (
            "Tempe PD",
            [TEMPLATE[0], "3. Term. This agreement lasts two years.\n4. Money. Ring will match it.\n"],
        ),
        ("Gilbert PD", TEMPLATE),
    ):
        records_request = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name=name))
        links[name] = add_document(records_request, pages, f"{name[:5].lower()}-mou.pdf")
        links[name].document.kind = DocumentKind.MOU
        links[name].document.save(update_fields=["kind"])
    return campaign, links


def test_choosing_a_reference_scores_every_other_document_of_its_kind(contracts, alice):
    campaign, links = contracts
    reference = reference_set(campaign=campaign, document=links["Mesa PD"].document, user=alice)
    assert comparisons_compute(reference=reference) == 2
    gilbert = TemplateComparison.objects.get(document=links["Gilbert PD"].document)
    assert (gilbert.similarity, gilbert.changes, gilbert.sections) == (1.0, 0, "")
    tempe = TemplateComparison.objects.get(document=links["Tempe PD"].document)
    assert tempe.sections == "3,4" and tempe.similarity < 1


def test_the_redline_page_and_the_variants_page(
    contracts, erin_client, erin, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, links = contracts
    reference = reference_set(campaign=campaign, document=links["Mesa PD"].document, user=erin)
    comparisons_compute(reference=reference)
    page = erin_client.get(reverse("findings-redline", args=[campaign.pk, links["Tempe PD"].document_id]))
    body = page.content.decode()
    assert page.status_code == 200 and "in § 3, § 4" in body and "two years" in body
    CampaignQuestion.objects.create(campaign=campaign, slug="term", phrases="this agreement lasts")
    cells_compute(campaign=campaign)
    matrix = erin_client.get(reverse("findings-matrix", args=[campaign.pk])).content.decode()
    assert "differs from template in § 3, § 4" in matrix and "same as template" in matrix
    url = reverse("findings-references", args=[campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = erin_client.get(url, {"kind": "mou"}).content.decode()
    assert "Grouping this kind's documents in the background" in first  # the page only reads
    assert ("foia.tasks.findings.findings_groups", (campaign.pk, "mou")) in sent_tasks
    groups_compute(campaign_id=campaign.pk, kind="mou")  # what the worker runs
    text = erin_client.get(url, {"kind": "mou"}).content.decode()
    assert "3 agencies returned this mou, in 2 variants" in text and "Grouped 3 documents" in text
    switched = erin_client.post(
        reverse("findings-reference-set", args=[campaign.pk, links["Tempe PD"].document_id])
    )
    assert switched.status_code == 302
    assert campaign.references.get(kind="mou").document == links["Tempe PD"].document
