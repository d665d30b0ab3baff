"""Storing response files: type decided by content, generated names, one Document per SHA-256, safe zips."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    Document,
    DocumentKind,
    ExtractionStatus,
    MessageAttachment,
    RecordsRequest,
    RequestDocument,
    RequestEvent,
    RequestEventKind,
)
from .queue import task_enqueue, task_enqueue_on_commit

logger = logging.getLogger(__name__)

EXTRACT_TASK = "foia.tasks.documents.extract_document"

CHUNK = 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
MSG = "application/vnd.ms-outlook"
ZIP = "application/zip"
EML = "message/rfc822"
TEXT = "text/plain"
PNG, JPEG, GIF, TIFF = "image/png", "image/jpeg", "image/gif", "image/tiff"

EXTENSIONS = {
    PDF: ".pdf",
    DOCX: ".docx",
    XLSX: ".xlsx",
    DOC: ".doc",
    XLS: ".xls",
    MSG: ".msg",
    ZIP: ".zip",
    EML: ".eml",
    TEXT: ".txt",
    PNG: ".png",
    JPEG: ".jpg",
    GIF: ".gif",
    TIFF: ".tif",
}
# Browsers render these safely inside a sandboxed response; everything else is only ever downloaded.
INLINE_TYPES = frozenset({PDF, PNG, JPEG, GIF})
# Types with no text for extraction to find (archives are expanded instead). PNG, JPEG and TIFF are OCR'd.
NO_TEXT_TYPES = frozenset({ZIP, DOC, XLS, MSG, GIF})

MAGIC = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta)\b", re.I)
EMAIL_HEADER = re.compile(
    rb"^(from|to|cc|subject|date|message-id|received|mime-version|return-path|reply-to):", re.I | re.M
)


class FileRejected(Exception):
    """A file that was not stored, with a reason a person can read."""

    def __init__(self, reason: str, name: str = ""):
        super().__init__(f"{name}: {reason}" if name else reason)
        self.reason = reason
        self.name = name


@dataclass
class StoreResult:
    """What one stored file produced: links made (zip entries included) and entries refused, with reasons."""

    links: list[RequestDocument] = field(default_factory=list)
    rejected: list[FileRejected] = field(default_factory=list)
    new_documents: int = 0


@dataclass
class _Budget:
    """Limits shared by a zip and every zip nested in it, so nesting cannot multiply them."""

    entries: int
    bytes: int


def filename_clean(name: str) -> str:
    """A display name: last path part only, no control characters, never empty; never used as a path."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    return name[:200] or "unnamed"


def kind_suggest(text: str) -> str:
    """The document kind its words suggest (a person decides); multi-word phrases weigh more."""
    return kind_suggestion(text)[0]


# A suggestion is confident with a phrase or two keywords (score >= 4) and twice the next kind's score.
KIND_CONFIDENT_SCORE = 4


def kind_suggestion(text: str) -> tuple[str, bool]:
    """The suggested kind and whether it is confident enough to set on a document nobody has classified."""
    lowered = " ".join(text.lower().split())
    scores = sorted(
        (
            (
                sum(len(re.findall(rf"\b{re.escape(k)}", lowered)) * (len(k.split()) * 2) for k in keywords),
                kind,
            )
            for kind, keywords in KIND_KEYWORDS
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    (best_score, best), (second_score, _) = scores[0], scores[1]
    if best_score == 0:
        return str(DocumentKind.OTHER), False
    return str(best), best_score >= KIND_CONFIDENT_SCORE and best_score >= 2 * second_score


KIND_KEYWORDS = [
    (DocumentKind.MOU, ("memorandum of understanding", "memorandum of agreement", "mou")),
    (DocumentKind.SCRIPT, ("talking points", "script")),
    (DocumentKind.DENIAL, ("exempt", "denied", "withheld", "denial")),
    (DocumentKind.INVOICE, ("invoice", "fee", "cost estimate", "amount due")),
    (DocumentKind.CONTRACT, ("agreement", "contract")),
    (DocumentKind.POLICY, ("policy", "general order", "standard operating procedure")),
    (DocumentKind.CORRESPONDENCE, ("dear", "sincerely", "regards")),
]


def file_type_sniff(path: str) -> str:
    """The MIME type decided from the bytes; FileRejected for HTML, SVG and anything not allowed."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head:
        raise FileRejected("the file is empty")
    if head.lstrip(b"\x00\t\r\n \xef\xbb\xbf")[:5] == b"%PDF-":
        return PDF
    for magic, mime in MAGIC:
        if head.startswith(magic):
            return mime
    if head.startswith(ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(path)
    return _text_kind(head)


def _zip_kind(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(f"damaged zip archive ({exc})") from None
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
        raise FileRejected("an Office file of a kind not accepted (only Word and Excel are); ask for a PDF")
    if names and names[0] == "mimetype":
        raise FileRejected("an OpenDocument file, not accepted; ask for PDF, Word or Excel")
    return ZIP


def _ole_kind(path: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read(16 * CHUNK)
    for stream, mime in (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS), ("__substg1.0_", MSG)):
        if stream.encode("utf-16-le") in data:
            return mime
    raise FileRejected("an old-style Office file that is neither Word nor Excel")


def _text_kind(head: bytes) -> str:
    if b"\x00" in head:
        raise FileRejected("a file type that is not accepted (PDF, Word, Excel, text, email, images, zip)")
    if MARKUP.search(head[:4096]) or (head.lstrip().startswith(b"<?xml") and b"<svg" in head.lower()):
        raise FileRejected("HTML or SVG, which is never accepted (it could run scripts); ask for a PDF")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut in half at the end of the sample is still UTF-8; anything else is Latin-1.
        cut = exc.start >= len(head) - 4
        text = head[: exc.start].decode("utf-8") if cut else head.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(2, len(text) // 100):
        raise FileRejected("a binary file of a type that is not accepted")
    top = head.lstrip()
    if top.startswith(b"From ") or len(EMAIL_HEADER.findall(top[:4096])) >= 2 and EMAIL_HEADER.match(top):
        return EML
    return TEXT


def _spool(fileobj: IO[bytes], limit: int) -> tuple[IO[bytes], str, int]:
    """Copy to a temporary file while hashing; stops reading as soon as the limit is passed."""
    if hasattr(fileobj, "seek"):
        with contextlib.suppress(OSError, ValueError):
            fileobj.seek(0)
    digest, size = hashlib.sha256(), 0
    spool = tempfile.NamedTemporaryFile(prefix="foia-doc-", suffix=".bin")  # noqa: SIM115
    try:
        while chunk := fileobj.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise FileRejected(f"larger than the limit of {limit:,} bytes")
            digest.update(chunk)
            spool.write(chunk)
        spool.flush()
    except BaseException:
        spool.close()
        raise
    return spool, digest.hexdigest(), size


def _declared_size(fileobj) -> int | None:
    size = getattr(fileobj, "size", None)
    if size is None and hasattr(fileobj, "fileno"):
        import os

        try:
            size = os.fstat(fileobj.fileno()).st_size
        except (OSError, ValueError, AttributeError):
            size = None
    return size


def document_store(
    *,
    fileobj: IO[bytes],
    name: str,
    records_request: RecordsRequest,
    communication=None,
    added_by=None,
) -> StoreResult:
    """Store one file on a request (a zip also as its entries); FileRejected says why a file was refused."""
    display = filename_clean(name)
    limit = settings.FOIA_MAX_UPLOAD_BYTES
    declared = _declared_size(fileobj)
    if declared is not None and declared > limit:
        # Refused from its size alone: a 2 GB upload is never read.
        raise FileRejected(f"larger than the limit of {limit:,} bytes", display)
    budget = _Budget(entries=settings.FOIA_ZIP_MAX_ENTRIES, bytes=settings.FOIA_ZIP_MAX_TOTAL_BYTES)
    result = StoreResult()
    try:
        spool, sha256, size = _spool(fileobj, limit)
    except FileRejected as exc:
        raise FileRejected(exc.reason, display) from None
    with spool:
        _store_spooled(
            spool, sha256, size, display, records_request, communication, added_by, 0, budget, result
        )
    return result


def document_store_unsorted(*, fileobj: IO[bytes], name: str, communication) -> StoreResult:
    """Store a file of an unsorted message (within FOIA_UNSORTED_QUOTA_BYTES), linked to the message only;
    its text is extracted (OCR waits until a person files the message). FileRejected says why not."""
    display = filename_clean(name)
    limit = settings.FOIA_MAX_UPLOAD_BYTES
    budget = _Budget(entries=settings.FOIA_ZIP_MAX_ENTRIES, bytes=settings.FOIA_ZIP_MAX_TOTAL_BYTES)
    result = StoreResult()
    try:
        spool, sha256, size = _spool(fileobj, limit)
    except FileRejected as exc:
        raise FileRejected(exc.reason, display) from None
    with spool:
        quota = settings.FOIA_UNSORTED_QUOTA_BYTES
        if unsorted_bytes() + size > quota and not Document.objects.filter(sha256=sha256).exists():
            raise FileRejected(
                f"the storage for unsorted mail is full ({quota:,} bytes); the message is kept and its "
                "attachments are stored when it is filed on a request",
                display,
            )
        _store_spooled(spool, sha256, size, display, None, communication, None, 0, budget, result)
    return result


def unsorted_bytes() -> int:
    """Bytes of documents that only unsorted messages hold (what FOIA_UNSORTED_QUOTA_BYTES limits)."""
    from django.db.models import Sum

    only_unsorted = Document.objects.filter(unsorted_links__isnull=False, links__isnull=True).distinct()
    return Document.objects.filter(pk__in=only_unsorted).aggregate(total=Sum("size"))["total"] or 0


def _store_spooled(
    spool, sha256, size, display, records_request, communication, added_by, depth, budget, result
):
    """Sniff, expand (zips), then write: nothing is stored for a file refused as a whole."""
    if size == 0:
        raise FileRejected("the file is empty", display)
    try:
        mime = file_type_sniff(spool.name)
    except FileRejected as exc:
        raise FileRejected(exc.reason, display) from None
    members = []
    if mime == ZIP:  # expanded every time, so each request it arrives on gets its entries linked
        members = _zip_expand(spool.name, display, depth, budget)  # raises for a bomb or a path escape
    try:
        with transaction.atomic():
            link, created = _document_link(
                spool, sha256, size, mime, display, records_request, communication, added_by
            )
            result.links.append(link)
            result.new_documents += int(created)
            for member_name, member_file in members:
                try:
                    member_sha, member_size = _hash_file(member_file)
                    _store_spooled(
                        member_file,
                        member_sha,
                        member_size,
                        member_name,
                        records_request,
                        communication,
                        added_by,
                        depth + 1,
                        budget,
                        result,
                    )
                except FileRejected as exc:
                    result.rejected.append(exc)
    finally:
        for _, member_file in members:
            member_file.close()


def _hash_file(handle) -> tuple[str, int]:
    handle.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def _document_link(spool, sha256, size, mime, display, records_request, communication, added_by):
    """The Document for these bytes (created once, never overwritten) and its link to the request."""
    document, created = Document.objects.filter(sha256=sha256).first(), False
    if document is None:
        # A generated name: the sender's name is for display only and never part of a path.
        spool.seek(0)
        stored_name = default_storage.save(
            f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{EXTENSIONS[mime]}", File(spool)
        )
        status = ExtractionStatus.NO_TEXT if mime in NO_TEXT_TYPES else ExtractionStatus.PENDING
        try:
            with transaction.atomic():
                document = Document.objects.create(
                    sha256=sha256,
                    file=stored_name,
                    size=size,
                    mime_type=mime,
                    original_name=display,
                    extraction_status=status,
                )
            created = True
        except IntegrityError:  # the same file stored at the same moment by someone else: use theirs
            default_storage.delete(stored_name)
            document = Document.objects.get(sha256=sha256)
        else:
            if status == ExtractionStatus.PENDING:
                transaction.on_commit(lambda: _queue_extraction(document.pk))
    if records_request is None:  # an unsorted message's file: linked to the message until it is filed
        attachment, _ = MessageAttachment.objects.get_or_create(
            communication=communication, document=document, defaults={"filename": display}
        )
        return attachment, created
    link, linked = RequestDocument.objects.get_or_create(
        request=records_request,
        document=document,
        defaults={"filename": display, "communication": communication, "added_by": added_by},
    )
    if linked:
        RequestEvent.objects.create(
            request=records_request,
            kind=RequestEventKind.DOCUMENT,
            actor=added_by,
            message=f"Document added: {display}" + ("" if created else " (already stored; linked again)"),
        )
        from .findings.notify import document_changed

        document_changed(document.pk)  # its agency is no longer "no documents yet" in the findings matrix
    return link, created


def _queue_extraction(document_id: int) -> None:
    task_enqueue(EXTRACT_TASK, document_id)


def document_extract_again(*, document_id: int) -> bool:
    """Queue a document's text extraction again (a person asked); False for files that have no text."""
    updated = (
        Document.objects.filter(pk=document_id)
        .exclude(extraction_status=ExtractionStatus.NO_TEXT)
        .update(extraction_status=ExtractionStatus.PENDING, extraction_started_at=None, extraction_error="")
    )
    if updated:
        task_enqueue_on_commit(EXTRACT_TASK, document_id)
    return bool(updated)


def _zip_expand(path: str, display: str, depth: int, budget: _Budget) -> list[tuple[str, IO[bytes]]]:
    """Entries of a zip in temporary files, or FileRejected for a bomb, an escape or too deep nesting."""
    if depth >= settings.FOIA_ZIP_MAX_DEPTH + 1:
        raise FileRejected(f"zip nested more than {settings.FOIA_ZIP_MAX_DEPTH} levels deep", display)
    members: list[tuple[str, IO[bytes]]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            _zip_check_headers(infos, display, budget)
            for info in infos:
                if info.flag_bits & 0x1:
                    raise FileRejected(f"zip entry {info.filename!r} is encrypted", display)
                member = _zip_read(archive, info, display, budget)
                members.append((f"{display}/{filename_clean(info.filename)}"[-250:], member))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        for _, handle in members:
            handle.close()
        raise FileRejected(f"damaged zip archive ({exc})", display) from None
    except FileRejected:
        for _, handle in members:
            handle.close()
        raise
    return members


def _zip_check_headers(infos, display: str, budget: _Budget) -> None:
    """Refuse before decompressing anything: too many entries, paths outside, declared sizes too large."""
    budget.entries -= len(infos)
    if budget.entries < 0:
        raise FileRejected(f"zip has too many entries (limit {settings.FOIA_ZIP_MAX_ENTRIES})", display)
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in PurePosixPath(name).parts:
            raise FileRejected(f"zip entry {info.filename!r} points outside the archive", display)
        if info.file_size > settings.FOIA_MAX_UPLOAD_BYTES:
            raise FileRejected(f"zip entry {info.filename!r} is larger than the per-file limit", display)
        if (
            info.file_size > CHUNK
            and info.file_size > max(info.compress_size, 1) * settings.FOIA_ZIP_MAX_RATIO
        ):
            raise FileRejected(f"zip entry {info.filename!r} expands suspiciously (a zip bomb?)", display)
    if sum(info.file_size for info in infos) > budget.bytes:
        raise FileRejected(f"zip expands to more than {settings.FOIA_ZIP_MAX_TOTAL_BYTES:,} bytes", display)


def _zip_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, display: str, budget: _Budget) -> IO[bytes]:
    """One entry into a temporary file, counting real bytes: headers can lie about sizes."""
    allowed = min(settings.FOIA_MAX_UPLOAD_BYTES, max(info.compress_size, 1) * settings.FOIA_ZIP_MAX_RATIO)
    allowed = max(allowed, min(CHUNK, settings.FOIA_MAX_UPLOAD_BYTES))
    handle = tempfile.NamedTemporaryFile(prefix="foia-zip-", suffix=".bin")  # noqa: SIM115
    written = 0
    with archive.open(info) as source:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            budget.bytes -= len(chunk)
            if written > allowed or budget.bytes < 0:
                handle.close()
                raise FileRejected(
                    f"zip entry {info.filename!r} expands beyond the limits (a zip bomb?)", display
                )
            handle.write(chunk)
    handle.flush()
    handle.seek(0)
    return handle


def document_set_kind(*, document: Document, kind: str) -> Document:
    """A person sets the kind (the suggestion stays as it was)."""
    from .findings.notify import document_changed

    document.kind = DocumentKind(kind)
    document.save(update_fields=["kind"])
    document_changed(document.pk)  # questions limited to some kinds may answer differently now
    return document


def document_copy_to(document: Document, destination: IO[bytes]) -> None:
    """Copy a stored document's bytes into an open file (for extraction from any storage backend)."""
    with default_storage.open(document.file.name, "rb") as source:
        shutil.copyfileobj(source, destination, CHUNK)
    destination.flush()
