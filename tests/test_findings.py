"""The findings matrix: questions answered for every agency (any / all / near), overrides kept apart and
flagged for review, questions loaded from CSV all or nothing, and the `findings` command's table."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from foia.findings.cells import cell_decide, cells_compute, findings_for_document
from foia.findings.questions import QuestionsProblem, questions_load, questions_parse
from foia.findings.values import amount_near, date_near
from foia.models import CampaignQuestion, ExtractionStatus, FindingCell
from foia.search.rules import Rule, mode_parse, near_enough, rule_answers

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory
from .test_search_exact import add_document

QUESTIONS = """slug,question,phrases,mode
promote,Must police promote Ring?,encourage adoption|promote the Neighbors app
approve,Does Ring approve statements?,approved by Ring|statement,all
subsidy,Is there a subsidy?,subsidy|matching,near:8
"""


@pytest.fixture
def ring(db):
    """Four agencies: Mesa has the template, Tempe a struck version, Gilbert only scans, Peoria nothing."""
    campaign = CampaignFactory(slug="ring")
    mesa = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Mesa PD", state="AZ"))
    add_document(
        mesa,
        [
            "MOU\nThe Department will encour-\nage adoption of the app.",
            "Every public statement must be approved by Ring first.",
            "Ring will match the city's subsidy of $10,000 per camera program, signed January 5, 2019.",
        ],
        "mesa-mou.pdf",
    )
    tempe = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Tempe PD", state="AZ"))
    add_document(tempe, ["The statement is the Department's own.", "Nothing approved by Ring."], "tempe.pdf")
    gilbert = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Gilbert PD", state="AZ"))
    add_document(gilbert, [""], "scan.pdf", status=ExtractionStatus.NEEDS_OCR)
    RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Peoria PD", state="IL"))
    return campaign


def by_agency(campaign, slug):
    cells = FindingCell.objects.filter(question__campaign=campaign, question__slug=slug).select_related(
        "agency"
    )
    return {cell.agency.name: cell for cell in cells}


def test_modes_parse_and_bad_modes_say_what_is_allowed():
    assert mode_parse("any") == ("any", 0)
    assert mode_parse("near:5") == ("near", 5)
    for bad in ("near:0", "near:x", "nearby", "near:"):
        with pytest.raises(ValueError, match="near:N"):
            mode_parse(bad)


def test_near_counts_the_words_between_phrases():
    # "a" at words 0-1, "b" at word 5: three words between them.
    assert near_enough([[(0, 1)], [(5, 5)]], 3)
    assert not near_enough([[(0, 1)], [(5, 5)]], 2)
    assert near_enough([[(9, 9)], [(5, 5)]], 3)  # either order
    assert not near_enough([[(0, 1)], []], 100)


def test_every_agency_gets_yes_no_or_unknown_with_its_reason(ring, sent_tasks):
    questions_load(campaign=ring, text=QUESTIONS)
    cells_compute(campaign=ring)
    promote = by_agency(ring, "promote")
    assert promote["Mesa PD"].answer == "yes"
    assert (promote["Mesa PD"].filename, promote["Mesa PD"].page) == ("mesa-mou.pdf", 1)
    assert "encour-" in promote["Mesa PD"].passage  # the faithful text, the hyphenated phrase found
    assert (promote["Tempe PD"].answer, promote["Tempe PD"].reason) == (
        "no",
        "none of its 1 document contains any of the 2 phrases",
    )
    assert (promote["Gilbert PD"].answer, promote["Gilbert PD"].reason) == (
        "unknown",
        "1 document awaiting OCR",
    )
    assert (promote["Peoria PD"].answer, promote["Peoria PD"].reason) == ("unknown", "no documents yet")


def test_all_of_needs_every_phrase_in_one_document(ring, sent_tasks):
    questions_load(campaign=ring, text=QUESTIONS)
    cells_compute(campaign=ring)
    approve = by_agency(ring, "approve")
    assert approve["Mesa PD"].answer == "yes"
    assert approve["Tempe PD"].answer == "yes"  # both phrases, on different pages of one document
    assert approve["Peoria PD"].answer == "unknown"


def test_all_of_is_not_satisfied_by_two_documents_each_with_one_phrase(db):
    campaign = CampaignFactory()
    split = RecordsRequestFactory(campaign=campaign)
    add_document(split, ["approved by Ring"], "one.pdf")
    add_document(split, ["the statement"], "two.pdf")
    answers = rule_answers(campaign, {"q": Rule(("approved by Ring", "statement"), "all")})["q"]
    assert answers[split.agency_id].answer == "no"


def test_near_finds_phrases_within_n_words_only(ring, sent_tasks):
    questions_load(campaign=ring, text=QUESTIONS)
    cells_compute(campaign=ring)
    assert by_agency(ring, "subsidy")["Mesa PD"].answer == "no"  # "match" is not "matching"
    CampaignQuestion.objects.filter(slug="subsidy").update(phrases="subsidy\nmatch", mode="near:3")
    cells_compute(campaign=ring)
    assert by_agency(ring, "subsidy")["Mesa PD"].answer == "yes"  # "match the city's subsidy": 2 between
    CampaignQuestion.objects.filter(slug="subsidy").update(mode="near:1")
    cells_compute(campaign=ring)
    assert by_agency(ring, "subsidy")["Mesa PD"].answer == "no"


def test_amounts_and_dates_are_picked_up_near_the_phrase_with_their_passage(ring, sent_tasks):
    questions_load(
        campaign=ring,
        text="slug,question,phrases,mode,pick\nmoney,How much?,subsidy,any,amount\n"
        "signed,When?,signed,any,date\n",
    )
    cells_compute(campaign=ring)
    money = by_agency(ring, "money")["Mesa PD"]
    assert money.amount == Decimal("10000")
    assert "$10,000" in money.value_passage
    assert by_agency(ring, "signed")["Mesa PD"].found_date.isoformat() == "2019-01-05"


def test_amount_and_date_pick_up_is_the_figure_nearest_the_phrase():
    assert amount_near("Cost $5 for paper. The \x02subsidy\x03 is $1.2 million per year.")[0] == Decimal(
        "1200000"
    )
    assert amount_near("no money here") == (None, "")
    assert date_near("dated 2019-08-28 and \x02signed\x03 on 3/4/2020")[0].isoformat() == "2020-03-04"
    assert date_near("on February 30, 2019") == (None, "")


def test_an_override_is_kept_apart_and_flagged_when_the_machine_changes_its_answer(ring, sent_tasks, alice):
    questions_load(campaign=ring, text=QUESTIONS)
    cells_compute(campaign=ring)
    cell = by_agency(ring, "promote")["Tempe PD"]
    cell_decide(cell=cell, answer="yes", note="read p. 2: clause struck out by hand", user=alice)
    cells_compute(campaign=ring)
    cell.refresh_from_db()
    assert (cell.answer, cell.human_answer, cell.needs_review) == ("no", "yes", False)
    add_document(cell.agency.requests.get(), ["We encourage adoption."], "tempe-2.pdf")
    findings_for_document(cell.agency.requests.get().documents.get(filename="tempe-2.pdf").document_id)
    cell.refresh_from_db()
    assert (cell.answer, cell.human_answer, cell.note) == (
        "yes",
        "yes",
        "read p. 2: clause struck out by hand",
    )
    assert cell.needs_review and cell.decided_by == alice


def test_a_new_document_recomputes_only_its_agencys_row(ring, sent_tasks, django_capture_on_commit_callbacks):
    questions_load(campaign=ring, text=QUESTIONS)
    cells_compute(campaign=ring)
    other = by_agency(ring, "promote")["Mesa PD"]
    peoria = by_agency(ring, "promote")["Peoria PD"]
    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        link = add_document(peoria.agency.requests.get(), ["They will promote the Neighbors app."], "p.pdf")
    assert ("foia.tasks.findings.findings_document", (link.document_id,)) in sent_tasks
    findings_for_document(link.document_id)
    peoria.refresh_from_db()
    assert peoria.answer == "yes"
    assert FindingCell.objects.get(pk=other.pk).computed_at == other.computed_at  # untouched


def test_saving_a_question_queues_its_column(ring, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        questions_load(campaign=ring, text=QUESTIONS)
    ids = set(CampaignQuestion.objects.values_list("pk", flat=True))
    assert {args[0] for name, args in sent_tasks if name == "foia.tasks.findings.findings_question"} == ids


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("slug,question\npromote,Q\n", "line 1: the header must be"),
        ("question,slug,phrases\n", "line 1: the header must be"),
        (QUESTIONS + "bad,Q,x,near:0\n", "line 5: "),
        (QUESTIONS + "bad,Q,x,near:x\n", "line 5: "),
        (QUESTIONS + "bad,Q,x,sometimes\n", 'line 5: Unknown mode "sometimes"'),
        (QUESTIONS + "bad,Q, | ,any\n", "line 5: no phrases"),
        (QUESTIONS + "promote,Again,x\n", 'line 5: slug "promote" is already on line 2'),
        (QUESTIONS + "Bad Slug,Q,x\n", "line 5: slug"),
        ("slug,question,phrases,kinds\nq,Q,x,contract|poem\n", "line 2: unknown document kind poem"),
    ],
)
def test_a_bad_questions_file_names_the_line_and_stores_nothing(ring, sent_tasks, text, message):
    with pytest.raises(QuestionsProblem) as problem:
        questions_load(campaign=ring, text=text)
    assert message in str(problem.value)
    assert not CampaignQuestion.objects.exists()


def test_loading_again_updates_questions_by_slug():
    rows = questions_parse("slug,question,phrases\nq,Q?,a|b\n")
    assert (rows[0].phrases, rows[0].mode) == (["a", "b"], "any")


def test_the_command_prints_every_agency_and_question_sorted(ring, sent_tasks, tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text(QUESTIONS)
    out = io.StringIO()
    call_command("findings", "ring", questions=str(path), stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert lines[0] == "agency,state,question,answer,reason,human_answer,note,document,page,amount"
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 4 * 3
    assert [(r["state"], r["agency"], r["question"]) for r in rows][:4] == [
        ("AZ", "Gilbert PD", "approve"),
        ("AZ", "Gilbert PD", "promote"),
        ("AZ", "Gilbert PD", "subsidy"),
        ("AZ", "Mesa PD", "approve"),
    ]
    mesa = next(r for r in rows if r["agency"] == "Mesa PD" and r["question"] == "promote")
    assert (mesa["answer"], mesa["document"], mesa["page"]) == ("yes", "mesa-mou.pdf", "1")
    out = io.StringIO()
    call_command("findings", str(ring.pk), format="json", stdout=out)
    assert json.loads(out.getvalue())[3] == {**rows[3], "page": 2}


def test_the_command_explains_an_unknown_campaign_and_a_bad_file(ring, sent_tasks, tmp_path):
    with pytest.raises(CommandError, match='No campaign with slug or id "nope"'):
        call_command("findings", "nope")
    with pytest.raises(CommandError, match="has no questions"):
        call_command("findings", "ring")
    path = tmp_path / "q.csv"
    path.write_text("slug,question,phrases,mode\nq,Q,x,near:0\n")
    with pytest.raises(CommandError, match="line 2"):
        call_command("findings", "ring", questions=str(path))
