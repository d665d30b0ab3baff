"""Text out of response files, page by page: PDF (pypdfium2), Word, Excel, plain text and email.

The extractor runs in a child process (`text_extract_isolated`) with a time limit and a memory cap, so a
hostile or broken file can at worst fail its own extraction, never the Celery worker. The module's top half
imports nothing from Django, because the child runs this file as a script.
"""

from __future__ import annotations

import email
import html
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from email import policy

DONE, NEEDS_OCR, FAILED, NO_TEXT = "done", "needs_ocr", "failed", "no_text"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EML = "message/rfc822"
IMAGES = frozenset({"image/png", "image/jpeg", "image/tiff"})
# Long non-PDF text is cut into parts of about this many characters, so that a hit points somewhere useful
# and no single row outgrows PostgreSQL's 1 MB tsvector.
PART_CHARS = 50_000
MAX_PAGES = 5_000
MAX_CHARS = 20_000_000


@dataclass
class Extracted:
    """The outcome of one extraction: a status from ExtractionStatus, the text of each page, a reason."""

    status: str
    pages: list[str] = field(default_factory=list)
    error: str = ""


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL; PDFium ends lines with \r\n.
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _parts(text: str) -> list[str]:
    """Split long text at line ends into parts of about PART_CHARS; form feeds always start a new part."""
    parts: list[str] = []
    for block in _clean(text).split("\f"):
        while len(block) > PART_CHARS:
            cut = block.rfind("\n", 0, PART_CHARS)
            cut = cut if cut > PART_CHARS // 2 else PART_CHARS
            parts.append(block[:cut])
            block = block[cut:]
        parts.append(block)
    return [part for part in parts if part.strip()] or [""]


# Linear-time on hostile markup: a tag is matched up to the next "<" or ">", never across the rest of the text
# (the former `<[^>]*>` and `<script.*?</script>` rescanned to the end from every unclosed "<": quadratic).
BLOCK_OPEN = re.compile(r"(?i)<(script|style)\b")
LINE_BREAK_TAG = re.compile(r"(?i)<\s*(br|/p|/div|/tr|/li|/h\d)\b[^<>]*>")
ANY_TAG = re.compile(r"<[^<>]*>")


def _drop_blocks(markup: str) -> str:
    """Markup without <script>/<style> blocks; an unclosed one drops the rest. One pass, left to right."""
    lowered, kept, position = markup.lower(), [], 0
    while opened := BLOCK_OPEN.search(markup, position):
        kept.append(markup[position : opened.start()])
        closing = lowered.find(f"</{opened.group(1).lower()}", opened.end())
        if closing == -1:
            return " ".join(kept)
        end = lowered.find(">", closing)
        position = len(markup) if end == -1 else end + 1
    kept.append(markup[position:])
    return " ".join(kept)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML email body: tags dropped, entities decoded, scripts and styles removed."""
    markup = LINE_BREAK_TAG.sub("\n", _drop_blocks(markup))
    text = html.unescape(ANY_TAG.sub(" ", markup))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def email_body_text(message) -> str:
    """The body of a parsed email (plain text preferred, else HTML made into text)."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError, AttributeError):
        part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    return _clean(html_to_text(content) if part.get_content_type() == "text/html" else content).strip()


def pdf_pages(path: str) -> Extracted:
    """Text of every page; an encrypted, damaged or empty PDF fails with the reason."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return Extracted(FAILED, error="The PDF is encrypted (password protected); ask for an open copy.")
        return Extracted(FAILED, error=f"The PDF is damaged or not really a PDF ({exc}).")
    try:
        if len(pdf) == 0:
            return Extracted(FAILED, error="The PDF has no pages.")
        pages = []
        for index in range(min(len(pdf), MAX_PAGES)):
            page = pdf[index]
            textpage = page.get_textpage()
            pages.append(_clean(textpage.get_text_range()))
            textpage.close()
            page.close()
    finally:
        pdf.close()
    blank = sum(1 for text in pages if not text.strip())
    if blank:  # scanned pages among typed ones are common in records responses
        return Extracted(NEEDS_OCR, pages=pages, error=f"{blank} page(s) without a text layer need OCR.")
    return Extracted(DONE, pages=pages)


def docx_text(path: str) -> str:
    """Paragraphs and table cells of a Word file, in order."""
    import docx

    document = docx.Document(path)
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def xlsx_pages(path: str) -> list[str]:
    """One page per sheet: rows as tab-separated lines."""
    import openpyxl

    handle = open(path, "rb")  # noqa: SIM115 - a file object: openpyxl refuses names without .xlsx
    workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    pages, total = [], 0
    try:
        for sheet in workbook.worksheets:
            lines = [f"Sheet: {sheet.title}"]
            for row in sheet.iter_rows(values_only=True):
                line = "\t".join("" if value is None else str(value) for value in row).rstrip()
                total += len(line)
                if total > MAX_CHARS:
                    break
                lines.append(line)
            pages.extend(_parts("\n".join(lines)))
    finally:
        workbook.close()
        handle.close()
    return pages


def eml_text(path: str) -> str:
    """Headers a reader needs and the body of an email file."""
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=policy.default)
    head = [
        f"{name}: {message.get(name, '')}" for name in ("From", "To", "Date", "Subject") if message.get(name)
    ]
    return "\n".join(head) + "\n\n" + email_body_text(message)


def plain_text(path: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read(MAX_CHARS)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def text_extract(path: str, mime_type: str) -> Extracted:
    """Extract in this process (the child); every failure becomes a FAILED result with its reason."""
    try:
        if mime_type == PDF:
            return pdf_pages(path)
        if mime_type in IMAGES:
            return Extracted(NEEDS_OCR, error="An image: its text needs OCR.")
        if mime_type == XLSX:
            return Extracted(DONE, pages=xlsx_pages(path))
        readers = {DOCX: docx_text, EML: eml_text, "text/plain": plain_text}
        if mime_type not in readers:
            return Extracted(NO_TEXT)
        pages = _parts(readers[mime_type](path)[:MAX_CHARS])
        return Extracted(DONE if any(p.strip() for p in pages) else NO_TEXT, pages=pages)
    except MemoryError:
        return Extracted(FAILED, error="The file needs more memory than extraction is allowed.")
    except Exception as exc:  # noqa: BLE001 - a broken file must end as a reason, whatever the library raises
        return Extracted(FAILED, error=f"Could not read the file ({type(exc).__name__}: {str(exc)[:300]}).")


def text_extract_isolated(path: str, mime_type: str, *, timeout: int, memory_mb: int) -> Extracted:
    """Run `text_extract` in a child process capped in time and address space."""

    def cap_memory() -> None:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        completed = subprocess.run(  # noqa: S603
            [sys.executable, __file__, path, mime_type],
            capture_output=True,
            timeout=timeout,
            preexec_fn=cap_memory,  # noqa: PLW1509
        )
    except subprocess.TimeoutExpired:
        return Extracted(FAILED, error=f"Extraction took longer than {timeout} seconds and was stopped.")
    if completed.returncode != 0:
        last = (completed.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        return Extracted(FAILED, error=f"The extractor stopped (exit {completed.returncode}): {last[:300]}")
    try:
        data = json.loads(completed.stdout)
        return Extracted(data["status"], pages=data["pages"], error=data["error"])
    except (ValueError, KeyError, TypeError):
        return Extracted(FAILED, error="The extractor returned something unreadable.")


def document_extract(*, document, ocr: bool = True) -> Extracted:
    """Extract a stored document (OCR for scans and images unless `ocr` is False) and save its pages,
    status, OCR figures and suggested kind in one transaction."""
    from django.conf import settings
    from django.db import transaction

    from foia.documents import document_copy_to, kind_suggestion
    from foia.findings.notify import document_changed
    from foia.models import Document, DocumentKind

    def isolated(path: str, mime_type: str) -> Extracted:
        timeout, memory = settings.FOIA_EXTRACT_TIMEOUT, settings.FOIA_EXTRACT_MEMORY_MB
        return text_extract_isolated(path, mime_type, timeout=timeout, memory_mb=memory)

    ocr_pages = ocr_confidence = None
    with tempfile.NamedTemporaryFile(prefix="foia-extract-") as copy:
        try:
            document_copy_to(document, copy)
        except OSError as exc:
            result = Extracted(FAILED, error=f"The stored file could not be read ({exc}).")
        else:
            result = isolated(copy.name, document.mime_type)
            if result.status == NEEDS_OCR and ocr:
                result, ocr_pages, ocr_confidence = _with_ocr(copy.name, document.mime_type, result, isolated)
            elif result.status == NEEDS_OCR:
                result.error += " OCR runs once the message it came on is filed on a request."
    pages = [_clean(text) for text in result.pages][:MAX_PAGES]
    with transaction.atomic():
        document_pages_replace(document=document, texts=pages)
        document.extraction_status = result.status
        document.extraction_error = result.error
        document.page_count = len(pages) if pages else None
        suggested, confident = kind_suggestion("\n".join(pages)[:200_000]) if pages else ("", False)
        document.suggested_kind = suggested
        document.ocr_pages, document.ocr_confidence = ocr_pages, ocr_confidence
        document.save(
            update_fields=[
                "extraction_status",
                "extraction_error",
                "page_count",
                "suggested_kind",
                "ocr_pages",
                "ocr_confidence",
            ]
        )
        # Nobody has classified it yet: take a clear suggestion (a person may change it). A conditional
        # UPDATE, so a kind a person sets meanwhile is never overwritten.
        unclassified = Document.objects.filter(pk=document.pk, kind=DocumentKind.OTHER)
        if confident and unclassified.update(kind=suggested):
            document.kind = suggested
        document_changed(document.pk)  # the findings matrix's rows for its agencies, after commit
    return result


def _with_ocr(path: str, mime_type: str, before: Extracted, isolated):
    """(result, OCR pages, mean confidence): the OCR'd text, or the reason OCR did not give any."""
    from django.conf import settings

    from foia.ocr import ocr_then_pages

    outcome, after = ocr_then_pages(
        path,
        mime_type,
        timeout=settings.FOIA_OCR_TIMEOUT,
        memory_mb=settings.FOIA_OCR_MEMORY_MB,
        languages=settings.FOIA_OCR_LANGUAGES,
        extract=lambda pdf: isolated(pdf, PDF),
    )
    if not outcome.ok:
        # Not installed: still waiting for OCR. Installed but failed: a failure (the agency stays Unknown).
        status = NEEDS_OCR if "not installed" in outcome.error else FAILED
        return Extracted(status, pages=before.pages, error=outcome.error), None, None
    if after.status == NEEDS_OCR and not any(text.strip() for text in after.pages):
        after = Extracted(NO_TEXT, pages=after.pages, error="OCR found no text on these pages.")
    elif after.status == NEEDS_OCR:  # OCR ran; pages still blank are blank pages
        after = Extracted(DONE, pages=after.pages)
    return after, outcome.pages, outcome.confidence


def document_pages_replace(*, document, texts: list[str]) -> None:
    """Store a document's pages (numbered from 1) with the folded text exact search looks in."""
    from foia.models import DocumentPage
    from foia.search.text import pages_search_text

    DocumentPage.objects.filter(document=document).delete()
    DocumentPage.objects.bulk_create(
        [
            DocumentPage(document=document, number=n, text=text, search_text=folded, search_own_length=own)
            for n, (text, (folded, own)) in enumerate(zip(texts, pages_search_text(texts), strict=True), 1)
        ],
        batch_size=200,
    )


if __name__ == "__main__":
    outcome = text_extract(sys.argv[1], sys.argv[2])
    sys.stdout.write(json.dumps({"status": outcome.status, "pages": outcome.pages, "error": outcome.error}))
