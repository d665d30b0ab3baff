"""Storing response files: one Document per SHA-256, generated names, links to requests and messages."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from .filetypes import CHUNK, EXTENSIONS, NO_TEXT_TYPES, ZIP, FileRejected, file_type_sniff, filename_clean
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
from .zips import ZipBudget, zip_expand

logger = logging.getLogger(__name__)

EXTRACT_TASK = "foia.tasks.documents.extract_document"


@dataclass
class StoreResult:
    """What one stored file produced: links made (zip entries included) and entries refused, with reasons."""

    links: list[RequestDocument] = field(default_factory=list)
    rejected: list[FileRejected] = field(default_factory=list)
    new_documents: int = 0


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
    budget = ZipBudget(entries=settings.FOIA_ZIP_MAX_ENTRIES, bytes=settings.FOIA_ZIP_MAX_TOTAL_BYTES)
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
    budget = ZipBudget(entries=settings.FOIA_ZIP_MAX_ENTRIES, bytes=settings.FOIA_ZIP_MAX_TOTAL_BYTES)
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
        members = zip_expand(spool.name, display, depth, budget)  # raises for a bomb or a path escape
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


def document_set_kind(*, document: Document, kind: str) -> Document:
    """A person sets the kind (the suggestion stays as it was)."""
    document.kind = DocumentKind(kind)
    document.save(update_fields=["kind"])
    return document


def document_copy_to(document: Document, destination: IO[bytes]) -> None:
    """Copy a stored document's bytes into an open file (for extraction from any storage backend)."""
    with default_storage.open(document.file.name, "rb") as source:
        shutil.copyfileobj(source, destination, CHUNK)
    destination.flush()
