"""Campaign generation: one draft per agency, stable tracking numbers, all-or-nothing on bad input; PDFs."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from foia import campaigns
from foia.letters import pdf_text
from foia.models import RecordsRequest, RequestEvent, Status
from foia.models.request import LetterState

from .conftest import WORKER_DEADLINE, wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory


@pytest.fixture
def campaign(db):
    LawFactory()
    LawFactory(
        jurisdiction="OH", jurisdiction_name="Ohio", law_name="Ohio Public Records Act", citation="ORC 149.43"
    )
    campaign = CampaignFactory(tracking_prefix="RING", slug="ring")
    campaign.agencies.add(
        AgencyFactory(name="Auburn Hills Police Department", state="MI"),
        AgencyFactory(name="Akron Police Department", state="OH"),
        AgencyFactory(name="Zeeland Police Department", state="MI"),
    )
    return campaign


def test_generating_creates_one_draft_per_agency_with_tracking_numbers_and_reply_tokens(campaign, alice):
    generated = campaigns.campaign_generate_requests(campaign=campaign, actor=alice)

    requests = list(campaign.requests.order_by("tracking_number"))
    assert len(generated) == 3
    assert [r.tracking_number for r in requests] == ["RING-0001", "RING-0002", "RING-0003"]
    assert all(r.status == Status.DRAFT and r.owner == alice for r in requests)
    assert len({r.reply_token for r in requests}) == 3
    akron = campaign.requests.get(agency__name="Akron Police Department")
    assert "Ohio Public Records Act (ORC 149.43)" in akron.letter_body
    assert akron.tracking_number in akron.letter_subject
    assert RequestEvent.objects.filter(request=akron, kind="created").count() == 1


def test_generating_again_never_duplicates_and_keeps_tracking_numbers(campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    before = dict(campaign.requests.values_list("agency_id", "tracking_number"))

    again = campaigns.campaign_generate_requests(campaign=campaign)

    assert again == []  # nothing changed, nothing rewritten
    assert dict(campaign.requests.values_list("agency_id", "tracking_number")) == before


def test_drafts_are_regenerated_but_sent_letters_never_change(campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    sent = campaign.requests.get(tracking_number="RING-0001")
    RecordsRequest.objects.filter(pk=sent.pk).update(status=Status.SENT, letter_frozen_at=timezone.now())
    frozen_text = sent.letter_body

    campaign.records_wanted = "Neighbors portal request logs"
    campaign.save()
    changed = campaigns.campaign_generate_requests(campaign=campaign)

    assert {r.tracking_number for r in changed} == {"RING-0002", "RING-0003"}
    assert "Neighbors portal request logs" in campaign.requests.get(tracking_number="RING-0002").letter_body
    assert campaign.requests.get(pk=sent.pk).letter_body == frozen_text


def test_regenerating_a_changed_draft_drops_its_stale_pdf(campaign, django_capture_on_commit_callbacks):
    _generate_pdfs(campaign)
    first = campaign.requests.get(tracking_number="RING-0001")
    old = first.letter_pdf.name
    campaign.records_wanted = "Something else entirely"
    campaign.save()

    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_generate_requests(campaign=campaign)

    first.refresh_from_db()
    assert (first.letter_pdf.name, first.letter_state) == ("", LetterState.NONE)
    assert not first.letter_pdf.storage.exists(old)


def test_tracking_numbers_are_never_reused(campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    campaign.requests.get(tracking_number="RING-0003").delete()

    campaigns.campaign_generate_requests(campaign=campaign)

    assert set(campaign.requests.values_list("tracking_number", flat=True)) == {
        "RING-0001",
        "RING-0002",
        "RING-0004",
    }


def assert_refused(campaign, text):
    with pytest.raises(campaigns.CampaignError) as error:
        campaigns.campaign_generate_requests(campaign=campaign)
    assert any(text in message for message in error.value.messages), error.value.messages
    assert campaign.requests.count() == 0  # nothing half-generated


def test_a_campaign_with_no_records_listed_is_refused(campaign):
    campaign.records_wanted = "  \n - \n"
    assert_refused(campaign, "Records wanted: the campaign lists no records")


def test_a_requester_without_an_email_is_refused(campaign):
    campaign.requester_email = ""
    assert_refused(campaign, "Requester email: the requester has no email address")


def test_an_agency_without_any_contact_gets_a_flagged_draft_that_cannot_be_emailed(campaign):
    from foia import sending

    ghost = AgencyFactory(
        name="Ghost Town PD", email="", address="", portal_url="", fax="", city="Ghost Town"
    )
    campaign.agencies.add(ghost)

    campaigns.campaign_generate_requests(campaign=campaign)

    records_request = campaign.requests.get(agency=ghost)
    assert "Ghost Town PD\nGhost Town, MI" in records_request.letter_body
    warning = campaigns.campaign_contact_warning(campaign=campaign)
    assert warning.startswith("1 agency has no email, portal, postal address or fax: Ghost Town PD (MI).")
    assert sending.request_send_method(records_request) == ""
    assert "has no email address" in sending.request_send_problem(records_request)


def test_a_template_error_is_refused_with_its_line(campaign):
    campaign.body_template = "Dear officer,\n{{ agency.nmae }}"
    assert_refused(campaign, 'Body template, line 2: unknown variable "agency.nmae"')


def test_a_template_syntax_error_is_refused_with_its_line(campaign):
    campaign.subject_template = "Records {% if agency.name %}"
    assert_refused(campaign, "Subject template, line 1:")


def test_an_agency_in_a_state_with_no_law_row_is_refused(campaign):
    campaign.agencies.add(AgencyFactory(name="Guam PD", state="GU"))
    assert_refused(campaign, "No public-records law on file for GU")


def test_a_letter_that_fails_to_render_leaves_nothing_behind(campaign, monkeypatch):
    from foia import letters

    real = campaigns.letter_compose

    def flaky(**kwargs):
        if kwargs["agency"].state == "OH":
            raise letters.LetterError("boom", field="Body template")
        return real(**kwargs)

    monkeypatch.setattr(campaigns, "letter_compose", flaky)
    assert_refused(campaign, "Akron Police Department (OH): Body template: boom")
    campaign.refresh_from_db()
    assert campaign.tracking_next == 1


def test_letter_pdfs_are_generated_once_and_a_duplicate_task_does_nothing(campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    ids = campaigns.campaign_queue_letters(campaign=campaign)

    results = [campaigns.letter_generate(records_request_id=pk) for pk in ids]
    again = campaigns.letter_generate(records_request_id=ids[0])

    assert results == [LetterState.READY] * 3
    assert again == "skipped"
    first = RecordsRequest.objects.get(pk=ids[0])
    assert first.letter_pdf.name.endswith(".pdf")
    assert first.tracking_number in pdf_text(first.letter_pdf.read())
    assert campaigns.campaign_progress(campaign=campaign) | {} == {
        "total": 3,
        "ready": 3,
        "failed": 0,
        "pending": 0,
        "not_generated": 0,
        "percent": 100,
        "running": False,
    }


def test_a_chunk_task_renders_its_letters_and_hands_the_rest_on_past_its_deadline(
    campaign, sent_tasks, monkeypatch
):
    from foia.tasks import letters as letter_tasks

    campaigns.campaign_generate_requests(campaign=campaign)
    ids = campaigns.campaign_queue_letters(campaign=campaign, enqueue=False)
    clock = iter([0.0, 1.0, 10_000.0])  # the task starts; the first letter starts in time, the second is late
    monkeypatch.setattr(letter_tasks.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(campaigns.time, "monotonic", lambda: next(clock))

    handed_on = letter_tasks.generate_letters(ids)

    states = dict(RecordsRequest.objects.values_list("pk", "letter_state"))
    assert handed_on == 2 and states[ids[0]] == LetterState.READY
    assert [states[pk] for pk in ids[1:]] == [
        LetterState.QUEUED
    ] * 2  # still queued: the reclaim scan's backstop
    assert sent_tasks == [(campaigns.GENERATE_CHUNK_TASK, (ids[1:],))]
    monkeypatch.undo()
    assert letter_tasks.generate_letters(ids[1:]) == 0  # the new chunk renders the rest
    assert set(RecordsRequest.objects.values_list("letter_state", flat=True)) == {LetterState.READY}


def test_one_failed_letter_records_its_error_and_the_others_still_render(campaign, monkeypatch):
    campaigns.campaign_generate_requests(campaign=campaign)
    ids = campaigns.campaign_queue_letters(campaign=campaign)
    real = campaigns.pdf_from_html

    def broken_for_akron(html):
        if "Akron" in html:
            raise RuntimeError("font cache exploded")
        return real(html)

    monkeypatch.setattr(campaigns, "pdf_from_html", broken_for_akron)
    for pk in ids:
        campaigns.letter_generate(records_request_id=pk)

    akron = campaign.requests.get(agency__name="Akron Police Department")
    assert akron.letter_state == LetterState.FAILED
    assert "font cache exploded" in akron.letter_error
    assert campaign.requests.filter(letter_state=LetterState.READY).count() == 2
    assert campaigns.campaign_progress(campaign=campaign)["failed"] == 1
    # Generating all again retries only the failed one.
    assert campaigns.campaign_queue_letters(campaign=campaign) == [akron.pk]


def test_a_stale_rendering_claim_is_taken_over_but_a_fresh_one_is_not(campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    pk = campaigns.campaign_queue_letters(campaign=campaign)[0]
    now = timezone.now()
    assert campaigns.letter_claim(records_request_id=pk, now=now)
    assert not campaigns.letter_claim(records_request_id=pk, now=now)
    assert campaigns.letter_claim(records_request_id=pk, now=now + campaigns.LETTER_CLAIM_TIMEOUT * 2)


def _generate_pdfs(campaign):
    campaigns.campaign_generate_requests(campaign=campaign)
    for pk in campaigns.campaign_queue_letters(campaign=campaign):
        campaigns.letter_generate(records_request_id=pk)


def test_the_zip_has_one_pdf_per_agency_named_by_tracking_number_state_and_agency(campaign):
    _generate_pdfs(campaign)
    buffer = io.BytesIO()

    count = campaigns.campaign_write_zip(campaign=campaign, fileobj=buffer)

    names = zipfile.ZipFile(buffer).namelist()
    assert count == 3
    assert names == [
        "RING-0001-MI-auburn-hills-police-department.pdf",
        "RING-0002-MI-zeeland-police-department.pdf",
        "RING-0003-OH-akron-police-department.pdf",
    ]


def test_file_names_are_ascii_and_unique():
    from foia.models import Agency

    requests = [
        RecordsRequest(agency=Agency(name="Cañon City Police Dept.", state="CO"), tracking_number="X-0001"),
        RecordsRequest(agency=Agency(name="Canon City Police Dept", state="CO"), tracking_number="X-0002"),
    ]
    names = [name for _, name in campaigns.unique_filenames(requests)]
    assert names == ["X-0001-CO-canon-city-police-dept.pdf", "X-0002-CO-canon-city-police-dept.pdf"]


def test_the_merged_pdf_holds_every_letter(campaign):
    _generate_pdfs(campaign)
    buffer = io.BytesIO()

    pages = campaigns.campaign_write_merged_pdf(campaign=campaign, fileobj=buffer)

    text = pdf_text(buffer.getvalue())
    assert pages >= 3
    for tracking_number in ("RING-0001", "RING-0002", "RING-0003"):
        assert tracking_number in text


def test_generate_letters_command_writes_one_pdf_per_agency_and_a_merged_pdf(campaign, tmp_path):
    out = io.StringIO()
    call_command("generate_letters", "ring", "--out", str(tmp_path / "out"), stdout=out, stderr=io.StringIO())

    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [
        "RING-0001-MI-auburn-hills-police-department.pdf",
        "RING-0002-MI-zeeland-police-department.pdf",
        "RING-0003-OH-akron-police-department.pdf",
        "ring-all-letters.pdf",
    ]
    assert "3 letters ready" in out.getvalue()
    assert campaign.requests.filter(letter_state=LetterState.READY).count() == 3


def test_generate_letters_command_explains_what_is_wrong(campaign):
    from django.core.management.base import CommandError

    campaign.requester_email = ""
    campaign.save()
    with pytest.raises(CommandError, match="Requester email"):
        call_command("generate_letters", str(campaign.pk), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="No campaign"):
        call_command("generate_letters", "nope", stdout=io.StringIO(), stderr=io.StringIO())


def test_bulk_generation_on_a_real_worker_renders_every_letter_once(start_worker):
    from django.db import transaction

    from foia.tasks.letters import generate_letter

    LawFactory()
    campaign = CampaignFactory(tracking_prefix="BULK", slug="bulk")
    campaign.agencies.add(*[AgencyFactory() for _ in range(4)])
    campaigns.campaign_generate_requests(campaign=campaign)
    start_worker(concurrency=2)

    with transaction.atomic():
        ids = campaigns.campaign_queue_letters(campaign=campaign)
        transaction.on_commit(lambda: [generate_letter.delay(pk) for pk in ids + ids[:2]])  # two redelivered

    wait_until(
        lambda: campaigns.campaign_progress(campaign=campaign)["ready"] == 4,
        WORKER_DEADLINE,
        message="four letters ready",
    )
    names = [r.letter_pdf.name for r in campaign.requests.all()]
    assert len(set(names)) == 4
    stored = list((Path(settings.MEDIA_ROOT) / Path(names[0]).parent).iterdir())
    assert len(stored) == 4  # the duplicate tasks stored nothing extra
