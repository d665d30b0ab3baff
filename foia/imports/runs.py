"""An upload as a row: AgencyImport goes uploaded -> checked (or invalid) -> confirmed -> done (or failed).

The file is parsed once, by `agency_import_check`, which keeps the checked rows and the preview counts on the
row; `agency_import_write` writes those rows in one transaction. Small files run both steps inside the
request; large ones run them on a worker (foia.tasks.agencies) while the page polls the row's progress — the
same two functions either way. Each step starts with a conditional UPDATE of the status, so a redelivered task
or a double click never runs it twice.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ..models import AgencyImport, Campaign, ImportStatus, Role
from ..permissions import can_work_campaign
from ..queue import task_enqueue_on_commit
from .parse import AgencyRow, ParsedFile, agency_file_parse
from .write import AgencyImportError, agencies_import, campaign_for_import

logger = logging.getLogger(__name__)

# Files with at least this many lines are checked and written by a worker while the page shows progress.
BACKGROUND_IMPORT_ROWS = 2000
PROGRESS_EVERY = 500  # rows between progress writes while a worker reads the file
IMPORT_TASK = "foia.tasks.agencies.process_import"
# The import task's limits (seconds): 100,000 rows are checked or written well within them.
IMPORT_SOFT_LIMIT, IMPORT_HARD_LIMIT = 1500, 1560
# An upload checked but never confirmed is deleted (row and file) after this long.
ABANDONED_AFTER = datetime.timedelta(days=1)


def campaign_refusal(*, user, campaign: Campaign | None = None, new_campaign: str = "") -> str:
    """Why `user` may not import into this campaign (chosen, or named as a new one that exists), or ''."""
    if campaign is None and new_campaign.strip():
        name = new_campaign.strip()
        campaign = (
            Campaign.objects.filter(title__iexact=name).first() or Campaign.objects.filter(slug=name).first()
        )
    if campaign is not None and not can_work_campaign(user, campaign):
        title = campaign.title
        return f"The campaign “{title}” belongs to someone else; only its owner or an editor can add to it."
    return ""


def _queue(import_id: int) -> None:
    """Hand the next step to a worker once the row is committed (by task name: no import circle)."""
    task_enqueue_on_commit(IMPORT_TASK, import_id)


def _discard_abandoned(owner) -> None:
    """This person's earlier unconfirmed uploads, and anyone's abandoned for a day, with their files."""
    stale = AgencyImport.objects.filter(status=ImportStatus.CHECKED).filter(
        owner=owner
    ) | AgencyImport.objects.filter(
        status=ImportStatus.CHECKED, created_at__lt=timezone.now() - ABANDONED_AFTER
    )
    for old in stale:
        old.file.delete(save=False)
        old.delete()


def agency_import_create(
    *, owner, upload: UploadedFile, campaign: Campaign | None = None, new_campaign: str = ""
) -> AgencyImport:
    """Store an upload as a row and check it: now when it is small, on a worker when it is large."""
    if refusal := campaign_refusal(user=owner, campaign=campaign, new_campaign=new_campaign):
        raise PermissionDenied(refusal)
    _discard_abandoned(owner)
    data = upload.read()
    upload.seek(0)
    agency_import = AgencyImport(
        owner=owner,
        filename=upload.name[:255],
        campaign=campaign,
        new_campaign=new_campaign.strip(),
        rows_total=max(data.count(b"\n") - 1, 1),  # lines minus the header; exact once read
    )
    agency_import.file.save("upload.csv", upload, save=False)
    agency_import.save()
    if agency_import.rows_total < BACKGROUND_IMPORT_ROWS:
        agency_import_check(import_id=agency_import.pk)
        agency_import.refresh_from_db()
    else:
        _queue(agency_import.pk)
    return agency_import


def _claim(import_id: int, *, frm: str, to: str) -> bool:
    """Move the row from one status to the next; False when another process got there first."""
    return bool(
        AgencyImport.objects.filter(pk=import_id, status=frm).update(
            status=to, claimed_at=timezone.now(), updated_at=timezone.now()
        )
    )


def _finish(agency_import: AgencyImport, status: str, **fields) -> None:
    agency_import.file.delete(save=False)
    AgencyImport.objects.filter(pk=agency_import.pk).update(
        status=status, file="", rows={}, finished_at=timezone.now(), updated_at=timezone.now(), **fields
    )


def _by_line(notice):
    return notice.line


def agency_import_check(*, import_id: int) -> str:
    """Parse the upload once: keep the checked rows and the preview counts, or every problem by line."""
    if not _claim(import_id, frm=ImportStatus.UPLOADED, to=ImportStatus.CHECKING):
        return "already claimed"
    agency_import = AgencyImport.objects.select_related("owner").get(pk=import_id)

    def counted(rows):
        for done, cells in enumerate(rows, start=1):
            if done % PROGRESS_EVERY == 0:
                AgencyImport.objects.filter(pk=import_id).update(rows_done=done)
            yield cells

    with agency_import.file.open("rb") as stored:
        parsed = agency_file_parse(stored.read(), progress=counted)
    editor = agency_import.owner.has_role(Role.EDITOR)
    try:
        preview = agencies_import(parsed=parsed, dry_run=True, may_change_contacts=editor)
    except AgencyImportError as error:
        _finish(agency_import, ImportStatus.INVALID, problems=[str(problem) for problem in error.problems])
        return "invalid"
    rows = [[row.line, row.values, row.extra] for row in parsed.rows]
    AgencyImport.objects.filter(pk=import_id).update(
        status=ImportStatus.CHECKED,
        rows={
            "columns": parsed.columns,
            "rows": rows,
            "notices": [str(notice) for notice in sorted([*parsed.notices, *preview.notices], key=_by_line)],
        },
        rows_total=len(rows),
        rows_done=len(rows),
        created=preview.created,
        updated=preview.updated,
        unchanged=preview.unchanged,
        needing_contact=preview.needing_contact,
        updated_at=timezone.now(),
    )
    return "checked"


def agency_import_confirm(*, agency_import: AgencyImport, actor) -> bool:
    """The owner confirmed the preview: write now if small, on a worker if large; False if not waiting."""
    if agency_import.owner_id != actor.pk:
        raise PermissionDenied("Only the person who uploaded the file can confirm it.")
    if not _claim(agency_import.pk, frm=ImportStatus.CHECKED, to=ImportStatus.CONFIRMED):
        return False
    if agency_import.rows_total < BACKGROUND_IMPORT_ROWS:
        agency_import_write(import_id=agency_import.pk)
    else:
        _queue(agency_import.pk)
    return True


def agency_import_write(*, import_id: int) -> str:
    """Write the checked rows in one transaction (into the campaign), then keep the counts on the row."""
    if not _claim(import_id, frm=ImportStatus.CONFIRMED, to=ImportStatus.WRITING):
        return "already claimed"
    agency_import = AgencyImport.objects.select_related("owner", "campaign").get(pk=import_id)
    owner = agency_import.owner
    stored = agency_import.rows or {}
    parsed = ParsedFile(
        rows=[AgencyRow(line, values, extra) for line, values, extra in stored.get("rows", [])],
        columns=stored.get("columns", {}),
    )
    try:
        with transaction.atomic():
            campaign = agency_import.campaign
            if refusal := campaign_refusal(
                user=owner, campaign=campaign, new_campaign=agency_import.new_campaign
            ):
                raise PermissionDenied(refusal)
            if agency_import.new_campaign and campaign is None:
                campaign, _ = campaign_for_import(name=agency_import.new_campaign, owner=owner)
            result = agencies_import(
                parsed=parsed, campaign=campaign, actor=owner, may_change_contacts=owner.has_role(Role.EDITOR)
            )
    except AgencyImportError as error:
        _finish(agency_import, ImportStatus.FAILED, problems=[str(problem) for problem in error.problems])
        return "failed"
    except PermissionDenied as error:
        _finish(agency_import, ImportStatus.FAILED, problems=[str(error)])
        return "failed"
    except Exception as error:  # the page must not poll forever; the worker log keeps the traceback
        logger.exception("agency import %s failed", import_id)
        _finish(agency_import, ImportStatus.FAILED, problems=[f"unexpected error: {error}"])
        raise
    _finish(
        agency_import,
        ImportStatus.DONE,
        campaign=campaign,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        needing_contact=result.needing_contact,
        added_to_campaign=result.added_to_campaign,
    )
    return "done"


def agency_import_process(*, import_id: int) -> str:
    """The worker's entry: run whichever step the row waits for."""
    status = AgencyImport.objects.filter(pk=import_id).values_list("status", flat=True).first()
    if status == ImportStatus.UPLOADED:
        return agency_import_check(import_id=import_id)
    if status == ImportStatus.CONFIRMED:
        return agency_import_write(import_id=import_id)
    return f"nothing to do ({status})"
