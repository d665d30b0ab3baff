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
import shutil
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


def html_to_text(markup: str) -> str:
    """Readable text from an HTML email body: tags dropped, entities decoded, scripts and styles removed."""
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<\s*(br|/p|/div|/tr|/li|/h\d)\b[^>]*>", "\n", markup)
    text = html.unescape(re.sub(r"(?s)<[^>]*>", " ", markup))
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
    if not any(text.strip() for text in pages):
        return Extracted(NEEDS_OCR, pages=pages, error="No text layer: a scan that needs OCR.")
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
            result = pdf_pages(path)
            if result.status == NEEDS_OCR and shutil.which("ocrmypdf"):
                result = _ocr_then_extract(path, result)
            return result
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


def _ocr_then_extract(path: str, before: Extracted) -> Extracted:
    """Optional OCR with ocrmypdf when it is installed; the scan stays "needs OCR" if that fails."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as output:
        try:
            subprocess.run(  # noqa: S603
                ["ocrmypdf", "--quiet", "--skip-text", path, output.name],  # noqa: S607
                check=True,
                capture_output=True,
                timeout=600,
            )
        except (subprocess.SubprocessError, OSError):
            return before
        after = pdf_pages(output.name)
    return after if after.status == DONE else before


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


def document_extract(*, document) -> Extracted:
    """Extract a stored document and save its pages, status and suggested kind in one transaction."""
    from django.conf import settings
    from django.db import transaction

    from foia.documents import document_copy_to, kind_suggest

    with tempfile.NamedTemporaryFile(prefix="foia-extract-") as copy:
        try:
            document_copy_to(document, copy)
        except OSError as exc:
            result = Extracted(FAILED, error=f"The stored file could not be read ({exc}).")
        else:
            result = text_extract_isolated(
                copy.name,
                document.mime_type,
                timeout=settings.FOIA_EXTRACT_TIMEOUT,
                memory_mb=settings.FOIA_EXTRACT_MEMORY_MB,
            )
    pages = [_clean(text) for text in result.pages][:MAX_PAGES]
    with transaction.atomic():
        document_pages_replace(document=document, texts=pages)
        document.extraction_status = result.status
        document.extraction_error = result.error
        document.page_count = len(pages) if pages else None
        document.suggested_kind = kind_suggest("\n".join(pages)[:200_000]) if pages else ""
        document.save(update_fields=["extraction_status", "extraction_error", "page_count", "suggested_kind"])
    return result


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
