"""The matrix's fast evaluator decides exactly as foia.search.rules.rule_answers does (answer, reason,
document, page, passage), and the plain-row writer keeps a person's answer and flags it for review."""

import random

import pytest

from foia.findings.cells import cell_decide, cells_compute
from foia.findings.evidence import evidence_answers
from foia.models import CampaignQuestion, DocumentKind, ExtractionStatus, FindingCell
from foia.search.rules import Rule, rule_answers

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory
from .test_search_exact import add_document

WORDS = [
    "ring",
    "camera",
    "policy",
    "city",
    "council",
    "video",
    "footage",
    "subsidy",
    "match",
    "approved",
    "statement",
    "app",
    "the",
    "of",
]
RULES = {
    "any": Rule(("encourage adoption", "neighbors app")),
    "one": Rule(("approved by ring",)),
    "all": Rule(("city council", "video footage"), "all"),
    "near": Rule(("camera", "policy"), "near", 3),
    "kinds": Rule(("subsidy",), kinds=(DocumentKind.CONTRACT,)),
    "hyphen": Rule(("e-mail",)),
    "none": Rule(("nowhere to be found",)),
}


def page(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(5, 60))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["encour-\nage adoption", "Neighbors App"]))
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["email", "e-mail", "Approved by\nRing"]))
    return " ".join(words)


@pytest.fixture
def varied(db):
    """Thirty agencies with 0 to 3 documents of 1 to 4 random pages, some awaiting OCR or failed."""
    rng = random.Random(11)
    campaign = CampaignFactory()
    for number in range(30):
        records_request = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name=f"PD {number}"))
        for index in range(rng.randint(0, 3)):
            status = rng.choice(
                [ExtractionStatus.DONE] * 6 + [ExtractionStatus.NEEDS_OCR, ExtractionStatus.FAILED]
            )
            pages = [page(rng) for _ in range(rng.randint(1, 4))]
            link = add_document(records_request, pages, f"{number}-{index}.pdf", status=status)
            link.document.kind = rng.choice([DocumentKind.CONTRACT, DocumentKind.OTHER])
            link.document.save(update_fields=["kind"])
    campaign.agencies.add(AgencyFactory(name="Listed, no request"))
    return campaign


def test_the_fast_evaluator_decides_every_cell_as_the_clause_finder_rules_do(varied):
    slow = rule_answers(varied, RULES)
    fast = evidence_answers(varied, RULES)
    assert fast == slow  # answers, reasons, documents, pages and passages, for every rule and agency
    answers = {a.answer for per_rule in fast.values() for a in per_rule.values()}
    assert answers == {"yes", "no", "unknown"}  # the fixture exercises all three


def test_the_fast_evaluator_agrees_for_some_agencies_only(varied):
    some = sorted(varied.requests.values_list("agency_id", flat=True))[::4]
    assert evidence_answers(varied, RULES, agency_ids=some) == rule_answers(varied, RULES, agency_ids=some)


def test_cells_are_written_then_only_changed_ones_again_and_overrides_are_flagged(varied, sent_tasks, alice):
    question = CampaignQuestion.objects.create(campaign=varied, slug="promote", phrases="encourage adoption")
    assert cells_compute(campaign=varied) == 31  # one cell per agency, listed ones included
    assert cells_compute(campaign=varied) == 0  # nothing changed, nothing written
    cell = FindingCell.objects.filter(question=question, answer="yes").first()
    cell_decide(cell=cell, answer="yes", note="read it", user=alice)
    question.phrases = "nowhere to be found"
    question.save()
    cells_compute(campaign=varied)
    cell.refresh_from_db()
    assert cell.answer != "yes"  # no or unknown: the machine moved under the person's answer
    assert (cell.human_answer, cell.note, cell.needs_review) == ("yes", "read it", True)
    assert cell.decided_by == alice
    assert not FindingCell.objects.filter(question=question, human_answer="", needs_review=True).exists()
