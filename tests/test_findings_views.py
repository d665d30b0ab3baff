"""Findings pages and API: the matrix with evidence, overriding a cell (owner or editor; viewers read),
questions from a form and a CSV upload, exports, and a real worker updating a cell when a document arrives."""

import html
import io
import json

import pytest
from django.urls import reverse

from foia.documents import document_store
from foia.findings.cells import cells_compute
from foia.findings.questions import questions_load
from foia.models import CampaignQuestion, FindingCell

from .conftest import wait_until
from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory, pdf_bytes
from .test_findings import QUESTIONS, ring  # noqa: F401 - the fixture


@pytest.fixture
def matrix(ring, alice, sent_tasks):  # noqa: F811
    ring.owner = alice
    ring.save(update_fields=["owner"])
    questions_load(campaign=ring, text=QUESTIONS)
    cells_compute(campaign=ring)
    return ring


def mesa_cell(campaign, slug="promote"):
    return FindingCell.objects.get(question__campaign=campaign, question__slug=slug, agency__name="Mesa PD")


def test_the_matrix_shows_every_agency_with_its_evidence(matrix, victor_client):
    page = victor_client.get(reverse("findings-matrix", args=[matrix.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    for name in ("Mesa PD", "Tempe PD", "Gilbert PD", "Peoria PD"):
        assert name in body
    assert "mesa-mou.pdf</a>, p. 1" in body
    assert "1 document awaiting OCR" in body and "no documents yet" in body
    assert "Confirm / override" not in body  # a viewer reads only


def test_the_owner_overrides_a_cell_with_a_note_kept_apart(matrix, alice_client, alice):
    cell = mesa_cell(matrix)
    url = reverse("findings-cell", args=[matrix.pk, cell.pk])
    response = alice_client.post(url, {"answer": "no", "note": "read p. 4: clause struck out by hand"})
    assert response.status_code == 302
    cell.refresh_from_db()
    assert (cell.answer, cell.human_answer, cell.note, cell.decided_by) == (
        "yes",
        "no",
        "read p. 4: clause struck out by hand",
        alice,
    )
    body = alice_client.get(reverse("findings-matrix", args=[matrix.pk])).content.decode()
    assert "→ <b>No</b>" in body and "clause struck out by hand" in body


def test_a_viewer_and_another_reporter_cannot_override(matrix, client, victor, bob):
    cell = mesa_cell(matrix)
    url = reverse("findings-cell", args=[matrix.pk, cell.pk])
    for person in (victor, bob):
        client.force_login(person)
        assert client.post(url, {"answer": "no", "note": "x"}).status_code == 403
    cell.refresh_from_db()
    assert cell.human_answer == ""


def test_exports_carry_machine_and_human_answers_note_evidence_and_amount(matrix, alice_client, alice):
    from foia.findings.cells import cell_decide

    cell_decide(cell=mesa_cell(matrix), answer="no", note="struck out", user=alice)
    url = reverse("findings-matrix", args=[matrix.pk])
    csv_text = alice_client.get(url, {"format": "csv"}).content.decode()
    header = csv_text.splitlines()[0]
    assert header.startswith("agency,state,question,answer,reason,human_answer,note,document,page,amount")
    assert 'Mesa PD,AZ,promote,yes,"found in mesa-mou.pdf, page 1",no,struck out,mesa-mou.pdf,1' in csv_text
    data = json.loads(alice_client.get(url, {"format": "json"}).content)
    assert data["count"] == 12
    mesa = next(r for r in data["results"] if r["agency"] == "Mesa PD" and r["question"] == "promote")
    assert mesa["human_answer"] == "no" and mesa["decided_by"] == "alice" and "encour-" in mesa["passage"]


def test_questions_are_added_on_the_page_and_a_bad_csv_stores_nothing(matrix, alice_client, sent_tasks):
    url = reverse("findings-questions", args=[matrix.pk])
    response = alice_client.post(
        url, {"slug": "scripts", "question": "Scripts?", "phrases": "talking points", "mode": "near:0"}
    )
    assert response.status_code == 200 and "N in near:N must be" in response.content.decode()
    response = alice_client.post(
        url,
        {
            "slug": "scripts",
            "question": "Scripts?",
            "phrases": "talking points",
            "mode": "any",
            "position": 4,
        },
    )
    assert response.status_code == 302 and CampaignQuestion.objects.filter(slug="scripts").exists()
    bad = io.BytesIO(b"slug,question,phrases,mode\nnew,Q,x,any\npromote,Dup,y,all\npromote,Dup again,y,all\n")
    bad.name = "q.csv"
    response = alice_client.post(url, {"file": bad})
    assert 'line 4: slug "promote" is already on line 3' in html.unescape(response.content.decode())
    assert not CampaignQuestion.objects.filter(slug="new").exists()
    assert CampaignQuestion.objects.get(slug="promote").mode == "any"


def test_the_api_lists_cells_scoped_to_a_campaign_and_takes_a_decision(matrix, client, alice, victor):
    other = CampaignFactory()
    questions_load(campaign=other, text=QUESTIONS)
    RecordsRequestFactory(campaign=other, agency=AgencyFactory(name="Elsewhere PD"))
    cells_compute(campaign=other)
    client.force_login(victor)
    listing = client.get("/api/findings/", {"campaign": matrix.pk, "page_size": 100}).json()
    assert listing["count"] == 12
    assert {row["agency"] for row in listing["results"]} == {"Mesa PD", "Tempe PD", "Gilbert PD", "Peoria PD"}
    assert set(listing["results"][0]) >= {"answer", "reason", "human_answer", "note", "passage", "amount"}
    assert client.get("/api/findings/", {"campaign": "x"}).status_code == 400
    cell = mesa_cell(matrix)
    url = f"/api/findings/{cell.pk}/decide/"
    body = json.dumps({"answer": "no", "note": "struck"})
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.force_login(alice)
    decided = client.post(url, body, content_type="application/json")
    assert decided.status_code == 200 and decided.json()["human_answer"] == "no"
    bad = client.post(url, json.dumps({"answer": "maybe"}), content_type="application/json")
    assert bad.status_code == 400 and "answer" in bad.json()


def test_the_api_creates_questions_with_clear_errors(matrix, alice_client, sent_tasks):
    create = {"campaign": matrix.pk, "slug": "scripts", "question": "Scripts?", "phrases": "talking points"}
    made = alice_client.post("/api/questions/", json.dumps(create), content_type="application/json")
    assert made.status_code == 201 and made.json()["mode"] == "any"
    bad = alice_client.post(
        "/api/questions/",
        json.dumps({**create, "slug": "other", "mode": "near:x"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "near:N" in json.dumps(bad.json())
    dup = alice_client.post("/api/questions/", json.dumps(create), content_type="application/json")
    assert dup.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_updates_the_agencys_cell_when_its_document_is_extracted(start_worker):
    campaign = CampaignFactory()
    questions_load(campaign=campaign, text=QUESTIONS)
    records_request = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Late PD"))
    cells_compute(campaign=campaign)
    cell = FindingCell.objects.get(question__slug="promote", agency__name="Late PD")
    assert cell.reason == "no documents yet"
    worker = start_worker()
    document_store(
        fileobj=io.BytesIO(pdf_bytes(["Officers will encourage adoption of the Neighbors app."])),
        name="late.pdf",
        records_request=records_request,
    )
    wait_until(
        lambda: FindingCell.objects.get(pk=cell.pk).answer == "yes",
        timeout=90,
        message=f"the worker to update the cell\n{worker.log()}",
    )
    assert FindingCell.objects.get(pk=cell.pk).filename == "late.pdf"


def test_the_matrix_page_runs_the_same_queries_whatever_the_number_of_agencies(matrix, victor_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("findings-matrix", args=[matrix.pk])
    with CaptureQueriesContext(connection) as few:
        victor_client.get(url)
    for number in range(60):
        RecordsRequestFactory(
            campaign=matrix, agency=AgencyFactory(name=f"Extra {number:02d} PD", state="WY")
        )
    cells_compute(campaign=matrix)
    with CaptureQueriesContext(connection) as many:
        page = victor_client.get(url, {"page": 2})
    # Session, user, campaign, questions, the agencies in order, this page's cells, their documents, the
    # comparisons (none to read when the page's agencies have no documents), amount questions, reviews.
    assert len(many) <= len(few) == 10
    names = [agency.name for agency, _cells, _differs in page.context["page"].object_list]
    assert names == [f"Extra {n:02d} PD" for n in range(46, 60)]  # AZ, IL, then WY: the second page of 50
