"""Text out of response files, page by page, in a child process that cannot take the worker down."""

import io

import pytest

from foia.documents import DOCX, document_store
from foia.extraction import document_extract, text_extract, text_extract_isolated
from foia.models import Document, DocumentPage, ExtractionStatus

from .conftest import WORKER_DEADLINE, wait_until
from .factories import RecordsRequestFactory, eml_bytes, encrypted_pdf_bytes, pdf_bytes
from .test_documents import docx_bytes, xlsx_bytes


def stored(data: bytes, name: str) -> Document:
    result = document_store(fileobj=io.BytesIO(data), name=name, records_request=RecordsRequestFactory())
    return result.links[0].document


def test_pdf_text_is_kept_per_page(db):
    document = stored(pdf_bytes(["First page text", "We encourage adoption of the app"]), "mou.pdf")
    document_extract(document=document)
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE
    assert document.page_count == 2
    pages = list(DocumentPage.objects.filter(document=document).values_list("number", "text"))
    assert pages[0] == (1, "First page text")
    assert pages[1][0] == 2 and "encourage adoption" in pages[1][1]


def test_a_scanned_pdf_without_a_text_layer_needs_ocr(db):
    document = stored(pdf_bytes(["", ""]), "scan.pdf")
    document_extract(document=document, ocr=False)
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.NEEDS_OCR
    assert "2 page(s) without a text layer need OCR" in document.extraction_error


def test_blank_scanned_pages_are_ocrd_and_found_to_have_no_text(db):
    document = stored(pdf_bytes(["", ""]), "blank.pdf")
    document_extract(document=document)
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.NO_TEXT
    assert document.extraction_error == "OCR found no text on these pages."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encrypted_pdf_bytes(), "encrypted"),
        (b"%PDF-1.7\n" + b"\x13\x37 not really a pdf " * 50, "damaged"),
        (pdf_bytes([]), "damaged"),  # an empty PDF: no pages at all
    ],
    ids=["encrypted", "corrupt", "empty"],
)
def test_bad_pdfs_fail_with_a_reason(db, data, reason):
    document = stored(data, "bad.pdf")
    result = document_extract(document=document)
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.FAILED
    assert reason in document.extraction_error
    assert result.pages == [] and document.pages.count() == 0


def test_word_excel_text_and_email_are_extracted(db):
    assert "Talking points" in text_of(docx_bytes("Talking points for the launch"), "t.docx")
    assert "Ring LLC\t1200" in text_of(xlsx_bytes([["Ring LLC", 1200]]), "budget.xlsx")
    assert "fee of $25" in text_of(b"The fee of $25 is due.", "fee.txt")
    assert "records are attached" in text_of(eml_bytes(body="The records are attached."), "reply.eml")


def text_of(data: bytes, name: str) -> str:
    document = stored(data, name)
    document_extract(document=document)
    return "\n".join(document.pages.values_list("text", flat=True))


def test_a_runaway_extraction_is_stopped_at_the_time_limit(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf_bytes(["x"]))
    result = text_extract_isolated(str(path), "application/pdf", timeout=0.001, memory_mb=1024)
    assert result.status == "failed" and "longer than" in result.error


def test_a_file_needing_too_much_memory_fails_without_harming_this_process(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf_bytes(["x"]))
    result = text_extract_isolated(str(path), "application/pdf", timeout=60, memory_mb=20)
    assert result.status == "failed"


def test_unreadable_office_files_fail_with_a_reason(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 truncated")
    result = text_extract(str(path), DOCX)
    assert result.status == "failed" and "Could not read" in result.error


def test_a_real_worker_extracts_the_text_of_an_uploaded_pdf(start_worker):
    worker = start_worker()
    records_request = RecordsRequestFactory()
    document_store(  # queues extraction on commit (no transaction here: autocommit)
        fileobj=io.BytesIO(pdf_bytes(["Officers will encourage adoption of the Neighbors app."])),
        name="mou.pdf",
        records_request=records_request,
    )
    document = Document.objects.get()
    wait_until(
        lambda: Document.objects.get(pk=document.pk).extraction_status != ExtractionStatus.PENDING,
        timeout=WORKER_DEADLINE,
        message=lambda: f"the worker to extract the document\n{worker.log()}",
    )
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE
    assert "encourage adoption" in document.pages.get(number=1).text


def test_an_extraction_is_claimed_once(db):
    from foia.tasks.documents import extract_document

    document = stored(pdf_bytes(["claimed once"]), "once.pdf")
    assert extract_document(document.pk) == ExtractionStatus.DONE
    assert extract_document(document.pk) == "skipped"  # done: a second delivery of the task does nothing


def test_a_claim_left_by_a_dead_worker_is_taken_over(db):
    import datetime

    from django.utils import timezone

    from foia.tasks.documents import HARD_LIMIT, extract_document

    document = stored(pdf_bytes(["stale claim"]), "stale.pdf")
    Document.objects.filter(pk=document.pk).update(extraction_started_at=timezone.now())
    assert extract_document(document.pk) == "skipped"  # another worker is on it
    long_ago = timezone.now() - datetime.timedelta(seconds=HARD_LIMIT + 60)
    Document.objects.filter(pk=document.pk).update(extraction_started_at=long_ago)
    assert extract_document(document.pk) == ExtractionStatus.DONE


SCAN_LINES = [
    "MEMORANDUM OF UNDERSTANDING",
    "The Department shall encourage adoption",
    "of the Neighbors app by residents.",
]


def scan_images(pages: list[list[str]], *, seed: int = 1):
    """Pages of text rendered as 200 dpi greyscale images with a little speckle noise, like a scan."""
    import random

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 36)
    rng, images = random.Random(seed), []
    for lines in pages:
        image = Image.new("L", (1700, 2200), 255)
        draw = ImageDraw.Draw(image)
        for number, line in enumerate(lines):
            draw.text((150, 200 + number * 70), line, fill=0, font=font)
        pixels = image.load()
        for _ in range(15000):
            pixels[rng.randrange(1700), rng.randrange(2200)] = rng.choice((0, 128, 255))
        images.append(image.rotate(0.4, fillcolor=255))  # a slightly crooked page
    return images


def scan_pdf_bytes(pages: list[list[str]]) -> bytes:
    """A PDF of scanned page images only: no text layer at all."""
    images = scan_images(pages)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return out.getvalue()


def scan_png_bytes(lines: list[str]) -> bytes:
    out = io.BytesIO()
    scan_images([lines])[0].save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def test_a_real_worker_ocrs_a_scan_and_its_phrase_is_found(start_worker):
    from foia.search import search

    worker = start_worker()
    document_store(
        fileobj=io.BytesIO(scan_pdf_bytes([["Cover letter from the records clerk"], SCAN_LINES])),
        name="scan.pdf",
        records_request=RecordsRequestFactory(),
    )
    document = Document.objects.get()
    wait_until(
        lambda: Document.objects.get(pk=document.pk).extraction_status != ExtractionStatus.PENDING,
        timeout=180,
        message=lambda: f"the worker to OCR the scan\n{worker.log()}",
    )
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE, document.extraction_error
    assert document.ocr_pages == 2 and document.ocr_confidence > 60
    assert document.ocr_summary.startswith("OCR done, 2 pages, mean confidence ")
    hits = search(query='"encourage adoption of the neighbors app"', sources=("document",))
    assert [(hit.link.filename, hit.page) for hit in hits] == [("scan.pdf", 2)]


def test_an_image_is_ocrd_into_a_searchable_page(db):
    document = stored(scan_png_bytes(SCAN_LINES), "photo.png")
    assert document.extraction_status == ExtractionStatus.PENDING  # queued for OCR, not "no text"
    document_extract(document=document)
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE
    assert "encourage adoption" in document.pages.get(number=1).text
    assert document.ocr_pages == 1


def test_a_document_whose_ocr_failed_keeps_its_agency_unknown(db, settings):
    from foia.search import phrase_answers

    from .factories import CampaignFactory

    settings.FOIA_OCR_TIMEOUT = 0.01
    records_request = RecordsRequestFactory(campaign=CampaignFactory())
    link = document_store(
        fileobj=io.BytesIO(scan_pdf_bytes([SCAN_LINES])), name="scan.pdf", records_request=records_request
    ).links[0]
    document_extract(document=link.document)
    link.document.refresh_from_db()
    assert link.document.extraction_status == ExtractionStatus.FAILED
    assert "OCR took longer than" in link.document.extraction_error
    answer = phrase_answers(records_request.campaign, "encourage adoption")[records_request.agency_id]
    assert (answer.answer, answer.reason) == ("unknown", "1 document whose text extraction failed")


def test_a_real_worker_files_a_forwarded_reply_and_tells_the_reporter(start_worker, smtp_server, alice):
    from foia.mail import mail_ingest

    from .test_mail import forwarded_reply

    records_request = RecordsRequestFactory(tracking_number="RING-0042", owner=alice)
    worker = start_worker(EMAIL_URL=smtp_server.url)
    mail_ingest(raw=forwarded_reply())  # autocommit: extraction and the notice are queued at once
    wait_until(
        lambda: (
            not Document.objects.filter(extraction_status=ExtractionStatus.PENDING).exists()
            and smtp_server.messages
        ),
        timeout=WORKER_DEADLINE,
        message=lambda: f"the worker to extract both PDFs and mail the reporter\n{worker.log()}",
    )
    assert set(Document.objects.values_list("extraction_status", flat=True)) == {ExtractionStatus.DONE}
    assert records_request.documents.count() == 2
    assert smtp_server.messages[0]["to"] == ["alice@newsroom.example"]
    assert "RING-0042" in smtp_server.messages[0]["message"]["Subject"]


def test_a_confident_kind_suggestion_classifies_a_document_nobody_has_classified(db):
    mou = stored(pdf_bytes(["This Memorandum of Understanding between the City and Ring LLC"]), "a.pdf")
    vague = stored(pdf_bytes(["The fee was discussed."]), "b.pdf")
    classified = stored(pdf_bytes(["Talking points for officers about the Neighbors app"]), "c.pdf")
    Document.objects.filter(pk=classified.pk).update(kind="policy")  # a person chose it

    for document in (mou, vague, classified):
        document_extract(document=Document.objects.get(pk=document.pk))

    kinds = dict(Document.objects.values_list("pk", "kind"))
    assert kinds[mou.pk] == "mou"
    assert kinds[vague.pk] == "other"  # one weak keyword: suggested, not set
    assert Document.objects.get(pk=vague.pk).suggested_kind == "invoice"
    assert kinds[classified.pk] == "policy"  # a person's choice stays
