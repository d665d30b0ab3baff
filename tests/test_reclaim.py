"""Crash recovery from the rows: the reclaim scan, the retry on the campaign page, time limits."""

import datetime
import io

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from foia import campaigns
from foia.campaigns import GENERATE_TASK, LETTER_PDF_HARD_LIMIT, LETTER_PDF_SOFT_LIMIT
from foia.celery import app
from foia.documents import EXTRACT_HARD_LIMIT, EXTRACT_TASK, document_store
from foia.models import Document, ExtractionStatus, RecordsRequest
from foia.models.request import LetterState
from foia.reclaim import campaign_letters_retry, work_reclaim

from .factories import RecordsRequestFactory, pdf_bytes
from .test_campaign_views import campaign as two_agency_campaign

campaign = two_agency_campaign  # the fixture: Alice's campaign of two agencies
LATER = datetime.timedelta(minutes=11)  # past FOIA_RECLAIM_AFTER_SECONDS (10 minutes)


@pytest.fixture
def queued_letters(campaign, sent_tasks):
    """The campaign's two letters written and queued (their tasks recorded, not run)."""
    campaigns.campaign_generate_requests(campaign=campaign)
    campaigns.campaign_queue_letters(campaign=campaign)
    sent_tasks.clear()
    return list(campaign.requests.order_by("pk"))


def refuse(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


# --- Letters --------------------------------------------------------------------------------------------


def test_letters_queued_with_the_broker_down_say_so_and_are_rendered_after_the_next_scan(
    transactional_db, alice_client, campaign, monkeypatch, sent_tasks
):
    # Committed for real (transactional_db): the enqueue runs at commit, inside the view, as in production.
    monkeypatch.setattr(app, "send_task", refuse)
    response = alice_client.post(reverse("campaign-generate", args=[campaign.pk]), follow=True)
    texts = [str(message) for message in response.context["messages"]]
    assert response.status_code == 200
    assert any("task queue could not be reached: 2 PDFs" in text for text in texts)
    assert set(campaign.requests.values_list("letter_state", flat=True)) == {LetterState.QUEUED}

    monkeypatch.setattr(
        app, "send_task", lambda name, args=(), **options: sent_tasks.append((name, tuple(args)))
    )
    assert work_reclaim(now=timezone.now()).letters == []  # not yet: the queue may still be catching up
    reclaimed = work_reclaim(now=timezone.now() + LATER)
    ids = sorted(campaign.requests.values_list("pk", flat=True))
    assert sorted(reclaimed.letters) == ids
    assert sorted(sent_tasks) == [(GENERATE_TASK, (pk,)) for pk in ids]
    for name, (pk,) in sent_tasks:
        assert campaigns.letter_generate(records_request_id=pk) == LetterState.READY


def test_a_letter_left_working_by_a_dead_worker_is_queued_again_once(queued_letters, sent_tasks, db):
    first, second = queued_letters
    claimed_at = timezone.now()
    assert campaigns.letter_claim(records_request_id=first.pk, now=claimed_at)  # then the worker is killed

    assert work_reclaim(now=claimed_at + datetime.timedelta(minutes=5)).letters == []
    later = claimed_at + LATER
    assert sorted(work_reclaim(now=later).letters) == [first.pk, second.pk]
    assert RecordsRequest.objects.get(pk=first.pk).letter_state == LetterState.QUEUED
    assert work_reclaim(now=later + datetime.timedelta(minutes=1)).letters == []  # dated: not again at once
    assert campaigns.letter_generate(records_request_id=first.pk) == LetterState.READY
    assert campaigns.letter_generate(records_request_id=first.pk) == "skipped"  # the duplicate message


def test_ready_failed_and_unwritten_letters_are_left_to_people(queued_letters, db):
    first, second = queued_letters
    RecordsRequest.objects.filter(pk=first.pk).update(letter_state=LetterState.READY)
    RecordsRequest.objects.filter(pk=second.pk).update(letter_state=LetterState.FAILED, letter_error="x")
    assert work_reclaim(now=timezone.now() + LATER).letters == []


def test_the_campaign_page_lists_stuck_and_failed_letters_with_a_retry(
    alice_client, queued_letters, sent_tasks, django_capture_on_commit_callbacks
):
    first, second = queued_letters
    long_ago = timezone.now() - LATER
    RecordsRequest.objects.filter(pk=first.pk).update(
        letter_state=LetterState.WORKING, letter_claimed_at=long_ago
    )
    RecordsRequest.objects.filter(pk=second.pk).update(
        letter_state=LetterState.FAILED, letter_error="Boom: font"
    )

    page = alice_client.get(reverse("campaign-detail", args=[first.campaign_id])).content.decode()
    assert "stuck while rendering" in page and "Boom: font" in page
    assert "Retry stuck and failed letters" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("campaign-retry-letters", args=[first.campaign_id]), follow=True)
    assert "2 letters queued again." in [str(m) for m in response.context["messages"]]
    assert set(RecordsRequest.objects.values_list("letter_state", flat=True)) == {LetterState.QUEUED}
    assert sorted(sent_tasks) == [(GENERATE_TASK, (first.pk,)), (GENERATE_TASK, (second.pk,))]


def test_another_reporter_and_a_viewer_cannot_retry_a_campaigns_letters(client, bob, victor, queued_letters):
    first, second = queued_letters
    RecordsRequest.objects.filter(pk=second.pk).update(letter_state=LetterState.FAILED)
    url = reverse("campaign-retry-letters", args=[first.campaign_id])
    for person in (bob, victor):
        client.force_login(person)
        assert client.post(url).status_code == 403
    assert RecordsRequest.objects.get(pk=second.pk).letter_state == LetterState.FAILED


def test_retrying_leaves_letters_that_are_rendering_now_alone(queued_letters, sent_tasks, db):
    first, second = queued_letters
    assert campaigns.letter_claim(records_request_id=first.pk, now=timezone.now())
    ids = campaign_letters_retry(campaign=first.campaign, now=timezone.now())
    assert ids == [] and RecordsRequest.objects.get(pk=first.pk).letter_state == LetterState.WORKING


# --- Time limits ------------------------------------------------------------------------------------------


def test_every_task_has_soft_and_hard_time_limits_and_pdfs_have_their_own(settings):
    assert 0 < settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    task = app.tasks[GENERATE_TASK]
    assert (task.soft_time_limit, task.time_limit) == (LETTER_PDF_SOFT_LIMIT, LETTER_PDF_HARD_LIMIT)
    assert app.tasks[EXTRACT_TASK].time_limit == EXTRACT_HARD_LIMIT


def test_a_pdf_stopped_at_its_soft_limit_is_marked_failed_with_the_reason(queued_letters, monkeypatch):
    def too_slow(html, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(campaigns, "pdf_from_html", too_slow)
    first = queued_letters[0]
    assert campaigns.letter_generate(records_request_id=first.pk) == LetterState.FAILED
    first.refresh_from_db()
    assert f"took longer than {LETTER_PDF_SOFT_LIMIT} seconds" in first.letter_error


def test_the_beat_runs_the_reclaim_scan():
    assert any(entry["task"] == "foia.tasks.reclaim.scan" for entry in app.conf.beat_schedule.values())


# --- Extraction -------------------------------------------------------------------------------------------


@pytest.fixture
def pending_document(db, sent_tasks):
    document_store(
        fileobj=io.BytesIO(pdf_bytes(["Ring MOU"])), name="mou.pdf", records_request=RecordsRequestFactory()
    )
    sent_tasks.clear()
    return Document.objects.get()


def test_an_extraction_whose_task_was_lost_is_queued_again_by_the_scan(
    pending_document, sent_tasks, django_capture_on_commit_callbacks
):
    assert pending_document.extraction_queued_at is not None
    assert work_reclaim(now=timezone.now()).extractions == []
    later = timezone.now() + LATER
    with django_capture_on_commit_callbacks(execute=True):
        assert work_reclaim(now=later).extractions == [pending_document.pk]
    assert sent_tasks == [(EXTRACT_TASK, (pending_document.pk,))]
    assert work_reclaim(now=later + datetime.timedelta(minutes=1)).extractions == []


def test_an_extraction_claimed_by_a_dead_worker_is_queued_again_after_the_hard_limit(pending_document):
    from foia.tasks.documents import extract_document

    claimed_at = timezone.now() + LATER  # claimed late (its task waited behind others)
    Document.objects.filter(pk=pending_document.pk).update(extraction_started_at=claimed_at)
    assert work_reclaim(now=claimed_at + datetime.timedelta(minutes=1)).extractions == []  # still running
    dead = claimed_at + datetime.timedelta(seconds=EXTRACT_HARD_LIMIT + 60)
    assert work_reclaim(now=dead).extractions == [pending_document.pk]
    assert Document.objects.get(pk=pending_document.pk).extraction_started_at is None
    assert extract_document(pending_document.pk) == ExtractionStatus.DONE


# --- Agency imports -----------------------------------------------------------------------------------------


def test_agency_imports_left_checking_or_writing_by_a_dead_worker_go_back_a_step_and_run_once(
    alice_client, sent_tasks, django_capture_on_commit_callbacks
):
    from foia.imports.runs import IMPORT_HARD_LIMIT, IMPORT_TASK, agency_import_process
    from foia.models import Agency, AgencyImport, ImportStatus

    from .test_agency_views import big_csv, confirm, last_import, upload

    upload(alice_client, big_csv(5))
    checked = last_import()
    confirm(alice_client, checked)  # small: written at once
    upload(alice_client, big_csv(3), name="other.csv")
    waiting = last_import()
    claimed_at = timezone.now()
    # A worker claimed the write (CONFIRMED -> WRITING), then died: its transaction wrote nothing.
    AgencyImport.objects.filter(pk=waiting.pk).update(status=ImportStatus.WRITING, claimed_at=claimed_at)
    sent_tasks.clear()

    assert work_reclaim(now=claimed_at + LATER).imports == []  # the write may still be running
    dead = claimed_at + datetime.timedelta(seconds=IMPORT_HARD_LIMIT + 120)
    with django_capture_on_commit_callbacks(execute=True):
        assert work_reclaim(now=dead).imports == [waiting.pk]
    assert sent_tasks == [(IMPORT_TASK, (waiting.pk,))]
    assert AgencyImport.objects.get(pk=waiting.pk).status == ImportStatus.CONFIRMED
    assert agency_import_process(import_id=waiting.pk) == "done"
    assert agency_import_process(import_id=waiting.pk) == "nothing to do (done)"  # the duplicate message
    assert Agency.objects.count() == 5  # the three were in the first file too: nothing doubled
    assert AgencyImport.objects.get(pk=checked.pk).status == ImportStatus.DONE
