"""Campaign services: agencies join, one request per agency with its letter, PDFs in bulk, zip, merged PDF."""

from __future__ import annotations

import datetime
import logging
import secrets
import shutil
import time
import zipfile
from collections import Counter
from collections.abc import Iterable
from typing import IO

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify

from .letters import (
    LETTER_MAX_CHARS,
    LetterError,
    letter_compose,
    letter_compose_bounded,
    letter_html,
    pdf_from_html,
    requester_limit_warning,
    template_check,
)
from .models import Agency, Campaign, Law, RecordsRequest, RequestEvent, RequestEventKind, Status
from .models.request import LetterState
from .queue import task_enqueue_on_commit
from .wording import counted

logger = logging.getLogger(__name__)

# The PDF task's limits (seconds): a letter is at most LETTER_MAX_CHARS, which renders in well under this.
LETTER_PDF_SOFT_LIMIT, LETTER_PDF_HARD_LIMIT = 120, 150
# A rendering claimed longer ago than this is presumed lost (worker killed) and may be taken over.
LETTER_CLAIM_TIMEOUT = datetime.timedelta(minutes=10)
MAX_LISTED = 12
# Writing a campaign's letters (in the web request) stops past this; one letter was checked under limits.
GENERATE_MAX_SECONDS = 60

GENERATE_TASK = "foia.tasks.letters.generate_letter"
# Bulk generation sends letters in chunks: one broker message, ack and pool hand-off per chunk instead of per
# letter (bench/letters.py). Small enough that two workers finish within a chunk of each other and a chunk's
# letters render far inside the task's time limit; each letter is still claimed and stored on its own.
GENERATE_CHUNK_TASK = "foia.tasks.letters.generate_letters"
LETTER_TASK_CHUNK = 8


class CampaignError(ValidationError):
    """The campaign cannot be generated as it stands; `messages` says what to fix, and where."""


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return "; ".join(items[:MAX_LISTED]) + more


def campaign_add_agencies(*, campaign: Campaign, agencies: Iterable[Agency] | Iterable[int]) -> int:
    """Add agencies (rows or ids) to the campaign; returns how many were new."""
    ids = {getattr(agency, "pk", agency) for agency in agencies}
    already = set(campaign.agencies.filter(pk__in=ids).values_list("pk", flat=True))
    new = ids - already
    campaign.agencies.add(*new)
    return len(new)


def campaign_problems(*, campaign: Campaign, agencies: list[Agency], laws: dict[str, Law]) -> list[str]:
    """Everything that stops generation, each with what and where; empty when the campaign is ready."""
    problems = []
    if not campaign.records_list:
        problems.append("Records wanted: the campaign lists no records; add at least one line.")
    if not campaign.requester_email:
        problems.append("Requester email: the requester has no email address; agencies need one to reply.")
    if not campaign.requester_name:
        problems.append("Requester name: the letter needs a name to sign.")
    if not agencies:
        problems.append("Agencies: the campaign has no agencies yet; add some first.")
    for field, source in (
        ("Subject template", campaign.subject_template),
        ("Body template", campaign.body_template),
    ):
        if source.strip():
            try:
                template_check(source=source, field=field)
            except LetterError as exc:
                problems.append(str(exc))
    first = next((agency for agency in agencies if agency.state in laws), None)
    if first is not None and not problems:
        # The real data (the campaign's own records list, say) under the limits, before any letter is written.
        try:
            letter_compose_bounded(
                campaign=campaign,
                agency=first,
                law=laws[first.state],
                tracking_number=f"{campaign.tracking_prefix}-0000",
                reply_address="records+check@newsroom.example",
                today=timezone.localdate(),
            )
        except LetterError as exc:
            problems.append(f"{first.name} ({first.state}): {exc}")
    no_law = sorted({a.state for a in agencies if a.state not in laws})
    if no_law:
        problems.append(
            f"No public-records law on file for {', '.join(no_law)} (agencies in those jurisdictions). "
            "Load the laws (manage.py load_laws) or add the missing rows."
        )
    return problems


def campaign_contact_warning(*, campaign: Campaign) -> str:
    """Agencies without any contact get their letter, but it cannot go out until one is added; say so."""
    names = [f"{a.name} ({a.state})" for a in campaign.agencies.needing_contact().order_by("state", "name")]
    if not names:
        return ""
    verb = "has" if len(names) == 1 else "have"
    return (
        f"{counted(len(names), 'agency', 'agencies')} {verb} no email, portal, "
        f"postal address or fax: {_listed(names)}. Their "
        "letters are written but cannot be sent until you add a contact (then generate again to update the "
        "address)."
    )


def campaign_requester_warnings(*, campaign: Campaign) -> list[str]:
    """One line per state whose law limits who may request, with the campaign's agencies there."""
    limited = {law.jurisdiction: law for law in Law.objects.exclude(requester_limit="")}
    by_state: dict[str, list[str]] = {}
    for agency in campaign.agencies.filter(state__in=limited).order_by("state", "name"):
        by_state.setdefault(agency.state, []).append(agency.name)
    return [
        f"Requester limit — {requester_limit_warning(limited[state])} "
        f"{counted(len(names), 'agency', 'agencies')}: {_listed(names)}."
        for state, names in by_state.items()
    ]


def _regenerable(records_request: RecordsRequest) -> bool:
    """A draft whose letter nobody has sent or queued for sending: its words may still change."""
    return (
        records_request.status == Status.DRAFT
        and records_request.letter_frozen_at is None
        and records_request.send_queued_at is None
    )


def campaign_generate_requests(
    *, campaign: Campaign, actor=None, today: datetime.date | None = None
) -> list[RecordsRequest]:
    """One draft RecordsRequest per agency with its letter; re-running regenerates drafts, never sent letters.

    All or nothing: any problem (see campaign_problems, or a letter that fails to render) raises
    CampaignError and leaves nothing behind. Agencies without a contact do get a draft (flagged by
    campaign_contact_warning; sending is blocked until they have one). Returns the requests created or whose
    letter changed.
    """
    today = today or timezone.localdate()
    agencies = list(campaign.agencies.order_by("state", "name"))
    laws = Law.objects.by_jurisdiction(a.state for a in agencies)
    problems = campaign_problems(campaign=campaign, agencies=agencies, laws=laws)
    if problems:
        raise CampaignError(problems)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        existing = {r.agency_id: r for r in locked.requests.all()}
        created, changed, errors, stale = [], [], [], []
        number = locked.tracking_next
        started = time.monotonic()
        for agency in agencies:
            if time.monotonic() - started > GENERATE_MAX_SECONDS:
                too_long = f"Writing the letters took longer than {GENERATE_MAX_SECONDS} seconds"
                raise CampaignError([f"{too_long}; simplify the templates."])
            records_request = existing.get(agency.pk)
            if records_request is None:
                records_request = RecordsRequest(
                    campaign=locked,
                    agency=agency,
                    tracking_number=f"{locked.tracking_prefix}-{number:04d}",
                    reply_token=secrets.token_hex(8),
                    owner=actor if actor is not None else locked.owner,
                    status=Status.DRAFT,
                )
                number += 1
            elif not _regenerable(records_request):
                continue
            records_request.agency = agency
            try:
                letter = letter_compose(
                    campaign=locked,
                    agency=agency,
                    law=laws[agency.state],
                    tracking_number=records_request.tracking_number,
                    reply_address=records_request.reply_address,
                    today=today,
                )
            except LetterError as exc:
                errors.append(f"{agency.name} ({agency.state}): {exc}")
                continue
            if records_request.pk is None:
                _set_letter(records_request, letter)
                created.append(records_request)
            elif (letter.subject, letter.text) != (
                records_request.letter_subject,
                records_request.letter_body,
            ):
                if records_request.letter_pdf:
                    stale.append(records_request.letter_pdf.name)
                _set_letter(records_request, letter)
                changed.append(records_request)
        if errors:
            raise CampaignError([f"Letters could not be written: {_listed(errors)}"])
        locked.tracking_next = number
        locked.save(update_fields=["tracking_next", "updated_at"])
        _save_generated(created=created, changed=changed, actor=actor, campaign=locked)
        transaction.on_commit(lambda: _delete_files(stale))
    campaign.tracking_next = number
    return created + changed


def _delete_files(names: list[str]) -> None:
    """PDFs of letters whose words changed: they no longer match any letter."""
    storage = RecordsRequest._meta.get_field("letter_pdf").storage
    for name in names:
        storage.delete(name)


def _set_letter(records_request: RecordsRequest, letter) -> None:
    records_request.letter_subject = letter.subject
    records_request.letter_body = letter.text
    # The words changed, so any PDF is stale; "Generate all letters" renders it again.
    records_request.letter_pdf = ""
    records_request.letter_state = LetterState.NONE
    records_request.letter_error = ""


def _save_generated(*, created, changed, actor, campaign) -> None:
    RecordsRequest.objects.bulk_create(created, batch_size=200)
    fields = ["letter_subject", "letter_body", "letter_pdf", "letter_state", "letter_error", "updated_at"]
    now = timezone.now()
    for records_request in changed:
        records_request.updated_at = now
    RecordsRequest.objects.bulk_update(changed, fields, batch_size=200)
    events = [
        RequestEvent(
            request=r,
            kind=RequestEventKind.CREATED,
            to_status=Status.DRAFT,
            actor=actor,
            message=f"Draft created for campaign “{campaign.title}” as {r.tracking_number}.",
        )
        for r in created
    ] + [
        RequestEvent(request=r, kind=RequestEventKind.LETTER, actor=actor, message="Letter text regenerated.")
        for r in changed
    ]
    RequestEvent.objects.bulk_create(events, batch_size=200)


# --- PDFs -----------------------------------------------------------------------------------------------


def campaign_queue_letters(*, campaign: Campaign, enqueue: bool = True) -> list[int]:
    """Mark every letter without a current PDF as queued and, after commit, queue them in chunks.

    Returns their ids. enqueue=False leaves them for the caller to render in-process (the management command).
    """
    pending = campaign.requests.filter(
        letter_state__in=[LetterState.NONE, LetterState.FAILED], letter_body__gt=""
    ).values_list("pk", flat=True)
    ids = list(pending)
    # letter_claimed_at also dates the queueing: a letter queued long ago and never claimed lost its task.
    RecordsRequest.objects.filter(pk__in=ids, letter_state__in=[LetterState.NONE, LetterState.FAILED]).update(
        letter_state=LetterState.QUEUED, letter_error="", letter_claimed_at=timezone.now()
    )
    if enqueue:
        for start in range(0, len(ids), LETTER_TASK_CHUNK):
            task_enqueue_on_commit(GENERATE_CHUNK_TASK, ids[start : start + LETTER_TASK_CHUNK])
    return ids


def letter_queue_pdf(*, records_request_id: int) -> bool:
    """Queue one letter's PDF again (after a failure, say); False when it is rendering or has no letter."""
    queued = RecordsRequest.objects.filter(
        pk=records_request_id,
        letter_state__in=[LetterState.NONE, LetterState.FAILED, LetterState.READY],
        letter_body__gt="",
    ).update(letter_state=LetterState.QUEUED, letter_error="", letter_claimed_at=timezone.now())
    if queued:
        task_enqueue_on_commit(GENERATE_TASK, records_request_id)
    return bool(queued)


def letter_claim(*, records_request_id: int, now: datetime.datetime) -> bool:
    """Claim one queued letter for rendering (or take over a stale claim); True if this caller won."""
    stale = Q(letter_state=LetterState.WORKING, letter_claimed_at__lt=now - LETTER_CLAIM_TIMEOUT)
    return (
        RecordsRequest.objects.filter(
            Q(letter_state=LetterState.QUEUED) | stale, pk=records_request_id
        ).update(letter_state=LetterState.WORKING, letter_claimed_at=now)
        == 1
    )


def letter_generate(*, records_request_id: int) -> str:
    """Render and store the PDF of one queued letter; returns the letter state afterwards.

    A failure is recorded on the request (letter_error) instead of raised, so one bad letter never stops
    the others. Redelivered or duplicate calls find the letter no longer queued and do nothing.
    """
    now = timezone.now()
    if not letter_claim(records_request_id=records_request_id, now=now):
        return "skipped"
    records_request = RecordsRequest.objects.select_related("agency").get(pk=records_request_id)
    claimed = RecordsRequest.objects.filter(
        pk=records_request_id, letter_state=LetterState.WORKING, letter_claimed_at=now
    )
    if len(records_request.letter_body) > LETTER_MAX_CHARS:  # written by an older version, or by hand
        size = f"{len(records_request.letter_body):,}"
        error = f"The letter is {size} characters long; the limit is {LETTER_MAX_CHARS:,}. Shorten it."
        claimed.update(letter_state=LetterState.FAILED, letter_error=error)
        return LetterState.FAILED
    try:
        pdf = pdf_from_html(
            letter_html(subject=records_request.letter_subject, text=records_request.letter_body)
        )
        field = records_request.letter_pdf
        name = field.storage.save(
            field.field.generate_filename(records_request, pdf_filename(records_request)), ContentFile(pdf)
        )
    except SoftTimeLimitExceeded:
        error = f"Rendering the PDF took longer than {LETTER_PDF_SOFT_LIMIT} seconds and was stopped."
        claimed.update(letter_state=LetterState.FAILED, letter_error=error)
        return LetterState.FAILED
    except Exception as exc:
        logger.exception("letter %s failed", records_request.tracking_number)
        claimed.update(letter_state=LetterState.FAILED, letter_error=f"{type(exc).__name__}: {exc}"[:2000])
        return LetterState.FAILED
    old_name = records_request.letter_pdf.name
    if claimed.update(
        letter_state=LetterState.READY, letter_pdf=name, letter_generated_at=timezone.now(), letter_error=""
    ):
        if old_name and old_name != name:
            records_request.letter_pdf.storage.delete(old_name)
        return LetterState.READY
    field.storage.delete(name)  # the letter changed while rendering; this PDF is stale
    return "superseded"


def letters_generate(*, records_request_ids: list[int], deadline: float | None = None) -> list[int]:
    """Render a chunk of queued letters one by one; returns the ids left untouched when `deadline` passed.

    `deadline` is a time.monotonic() value; letters not started by then stay queued for the caller to queue
    again, so one slow letter never makes the rest of its chunk run into the task's time limit.
    """
    for index, pk in enumerate(records_request_ids):
        if deadline is not None and time.monotonic() >= deadline:
            return list(records_request_ids[index:])
        letter_generate(records_request_id=pk)
    return []


def campaign_progress(*, campaign: Campaign) -> dict:
    """Letters ready / failed / pending out of all letters written for the campaign, for the progress bar."""
    counts = Counter(
        dict(
            campaign.requests.filter(letter_body__gt="")
            .values_list("letter_state")
            .annotate(n=Count("pk"))
            .values_list("letter_state", "n")
        )
    )
    total = sum(counts.values())
    ready = counts[LetterState.READY]
    failed = counts[LetterState.FAILED]
    pending = counts[LetterState.QUEUED] + counts[LetterState.WORKING]
    return {
        "total": total,
        "ready": ready,
        "failed": failed,
        "pending": pending,
        "not_generated": counts[LetterState.NONE],
        "percent": round(100 * ready / total) if total else 0,
        "running": pending > 0,
    }


# --- Downloads ------------------------------------------------------------------------------------------


def letter_filename(records_request: RecordsRequest) -> str:
    """An ASCII file name from the agency and state, e.g. "MI-auburn-hills-police-department.pdf"."""
    agency = records_request.agency
    stem = slugify(agency.name)[:80].strip("-") or "agency"
    return f"{slugify(agency.state).upper() or 'XX'}-{stem}.pdf"


def pdf_filename(records_request: RecordsRequest) -> str:
    """The letter PDF's name, tracking number first: "RING-0042-MI-auburn-hills-police-department.pdf"."""
    return f"{records_request.tracking_number}-{letter_filename(records_request)}"


def unique_filenames(requests: Iterable[RecordsRequest]) -> list[tuple[RecordsRequest, str]]:
    """Each request with its PDF's file name, unique since tracking numbers are."""
    return [(records_request, pdf_filename(records_request)) for records_request in requests]


def campaign_letters_with_pdf(*, campaign: Campaign):
    return (
        campaign.requests.exclude(letter_pdf="")
        .select_related("agency")
        .order_by("agency__state", "agency__name")
    )


def campaign_write_zip(*, campaign: Campaign, fileobj: IO[bytes]) -> int:
    """Write a zip of every stored letter PDF to fileobj, copying in chunks; returns the file count."""
    count = 0
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as archive:
        for records_request, name in unique_filenames(campaign_letters_with_pdf(campaign=campaign)):
            with records_request.letter_pdf.open("rb") as source, archive.open(name, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
            count += 1
    return count


def pdfs_merge(*, sources: Iterable[IO[bytes] | bytes], fileobj: IO[bytes]) -> int:
    """Concatenate PDFs (pypdfium2 import_pages) into fileobj; returns the page count."""
    import pypdfium2 as pdfium

    merged = pdfium.PdfDocument.new()
    try:
        for source in sources:
            data = source if isinstance(source, bytes) else source.read()
            document = pdfium.PdfDocument(data)
            merged.import_pages(document)
            document.close()  # pages are copied, so each source can go before the next is read
        pages = len(merged)
        merged.save(fileobj)
        return pages
    finally:
        merged.close()


def campaign_write_merged_pdf(*, campaign: Campaign, fileobj: IO[bytes]) -> int:
    """One PDF of every stored letter, in agency order, for printing and mailing; returns the page count."""

    def sources():
        for records_request in campaign_letters_with_pdf(campaign=campaign):
            with records_request.letter_pdf.open("rb") as handle:
                yield handle.read()

    return pdfs_merge(sources=sources(), fileobj=fileobj)
