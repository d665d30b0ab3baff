"""A real worker killed with SIGKILL mid-task: nothing lost, nothing done twice, on the configured broker.

Each test kills the worker's whole process group while a row is claimed, checks what was left in between,
runs the reclaim scan as of later (no waiting: `now` is an argument), starts a fresh worker and waits until
every row is finished, then counts: one PDF per letter, one set of pages per document, one email per agency.
"""

import datetime
import io

from django.utils import timezone

from foia import campaigns, sending
from foia.documents import EXTRACT_HARD_LIMIT, document_store
from foia.models import Communication, Document, DocumentPage, ExtractionStatus, RecordsRequest, Status
from foia.models.communication import DeliveryState
from foia.models.request import LetterState
from foia.outbound import outbound_enqueue, outbound_recover_stale
from foia.reclaim import work_reclaim

from .conftest import wait_until
from .factories import AgencyFactory, CampaignFactory, LawFactory, RecordsRequestFactory, pdf_bytes

LETTERS = 6
# Long letters (about 25 KB each, well under the limit) keep each PDF rendering for a moment to kill it in.
LONG_BODY = (
    "Dear records officer at {{ agency.name }},\n\n"
    + (
        "Under the public records law I ask for every contract, memorandum and email about Ring. " * 12
        + "\n\n"
    )
    * 24
)


def campaign_with_letters(n: int, **fields):
    LawFactory()
    campaign = CampaignFactory(tracking_prefix="RING", slug="ring", **fields)
    campaign.agencies.add(*[AgencyFactory() for _ in range(n)])
    campaigns.campaign_generate_requests(campaign=campaign)
    return campaign


def test_letters_survive_a_worker_killed_mid_render(start_worker):
    campaign = campaign_with_letters(LETTERS, body_template=LONG_BODY)
    worker = start_worker()
    campaigns.campaign_queue_letters(campaign=campaign)  # autocommit: the tasks are sent at once

    wait_until(
        lambda: campaign.requests.filter(letter_state=LetterState.WORKING).exists(),
        60,
        0.02,
        message=f"a letter to be rendering\n{worker.log()}",
    )
    worker.kill()

    states = list(campaign.requests.values_list("letter_state", flat=True))
    assert LetterState.WORKING in states  # left in between: its task died with the worker
    work_reclaim(now=timezone.now() + datetime.timedelta(minutes=11))
    second = start_worker()
    wait_until(
        lambda: campaign.requests.filter(letter_state=LetterState.READY).count() == LETTERS,
        120,
        message=f"every letter to be ready\n{second.log()}",
    )
    letters = list(campaign.requests.all())
    assert len({r.letter_pdf.name for r in letters}) == LETTERS
    assert all(r.letter_pdf.storage.exists(r.letter_pdf.name) and not r.letter_error for r in letters)


def test_extractions_survive_a_worker_killed_mid_extraction(start_worker):
    worker = start_worker()
    records_request = RecordsRequestFactory()
    for n in range(8):
        document_store(  # autocommit: each extraction is queued at once
            fileobj=io.BytesIO(pdf_bytes([f"Memorandum number {n} about Ring"])),
            name=f"memo{n}.pdf",
            records_request=records_request,
        )
    in_flight = Document.objects.filter(
        extraction_status=ExtractionStatus.PENDING, extraction_started_at__isnull=False
    )
    wait_until(in_flight.exists, 60, 0.02, message=f"an extraction to be running\n{worker.log()}")
    worker.kill()

    assert Document.objects.filter(extraction_status=ExtractionStatus.PENDING).exists()
    dead = timezone.now() + datetime.timedelta(seconds=EXTRACT_HARD_LIMIT + 660)
    work_reclaim(now=dead)
    second = start_worker()
    wait_until(
        lambda: not Document.objects.filter(extraction_status=ExtractionStatus.PENDING).exists(),
        120,
        message=f"every extraction to finish\n{second.log()}",
    )
    assert set(Document.objects.values_list("extraction_status", flat=True)) == {ExtractionStatus.DONE}
    assert DocumentPage.objects.count() == 8  # one page each: none extracted twice into duplicate pages
    for document in Document.objects.all():
        number = document.original_name.removeprefix("memo").removesuffix(".pdf")
        assert f"Memorandum number {number}" in document.pages.get().text


def test_emails_survive_a_worker_killed_mid_send_and_none_goes_out_twice(start_worker, smtp_server):
    campaign = campaign_with_letters(3, send_per_hour=3600)
    for pk in campaigns.campaign_queue_letters(campaign=campaign, enqueue=False):
        campaigns.letter_generate(records_request_id=pk)
    smtp_server.answer_after = 120  # the first message is handed over and the answer held: mid-send
    worker = start_worker(EMAIL_URL=smtp_server.url)
    sending.campaign_queue_emails(campaign=campaign)
    wait_until(lambda: smtp_server.data_started == 1, 60, message=f"a send to be in progress\n{worker.log()}")
    worker.kill()

    smtp_server.answer_after = 0
    later = timezone.now() + datetime.timedelta(hours=1)
    assert len(outbound_recover_stale(now=later)) == 1  # the one mid-send: "probably sent", never resent
    outbound_enqueue([(pk, 0) for pk in sending.sends_release_due(now=later)])  # what scan_sends does
    second = start_worker(EMAIL_URL=smtp_server.url)
    wait_until(
        lambda: Communication.objects.filter(delivery_state=DeliveryState.SENT).count() == 2,
        60,
        message=f"the other emails to be sent\n{second.log()}",
    )
    states = sorted(Communication.objects.values_list("delivery_state", "attempts"))
    assert states == [(DeliveryState.SENT, 1), (DeliveryState.SENT, 1), (DeliveryState.UNKNOWN, 1)]
    assert smtp_server.data_started == 3  # one hand-over per agency, none twice
    assert sorted(m["to"][0] for m in smtp_server.messages) == sorted(
        Communication.objects.filter(delivery_state=DeliveryState.SENT).values_list("to_address", flat=True)
    )
    assert set(RecordsRequest.objects.values_list("status", flat=True)) == {Status.SENT}
