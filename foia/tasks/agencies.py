"""Celery task for the agency CSV import: runs a confirmed upload and writes its progress for the page."""

import json
import logging
import os
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import transaction

from foia.imports import AgencyImportError, agencies_import, agency_file_parse, campaign_for_import

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 500  # rows between progress writes while the file is read


def import_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "agency-imports"


def import_progress_read(token: str) -> dict | None:
    """The progress a running import last wrote, or None when there is no such import."""
    try:
        return json.loads((import_folder() / f"{token}.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def import_progress_write(token: str, **progress) -> None:
    """Replace the progress file atomically, so the web process never reads half of it."""
    target = import_folder() / f"{token}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(progress))
    os.replace(temporary, target)


def _claim(token: str) -> bool:
    """Create the claim file; False when another delivery of this task got there first."""
    try:
        os.close(os.open(import_folder() / f"{token}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def agency_import_run(
    *, token: str, total: int, campaign_id: int | None, new_campaign: str, owner_id: int | None
) -> str:
    """Read, check and write a confirmed upload in one transaction, reporting rows read and the counts."""
    from foia.models import Campaign, User

    if not _claim(token):
        return "already claimed"
    csv_path = import_folder() / f"{token}.csv"
    queued = import_progress_read(token) or {}
    base = {"total": total, "filename": queued.get("filename", "")}

    def counted(rows):
        for done, cells in enumerate(rows, start=1):
            if done % PROGRESS_EVERY == 0:
                import_progress_write(token, state="running", done=min(done, total), phase="reading", **base)
            yield cells

    try:
        parsed = agency_file_parse(csv_path.read_bytes(), progress=counted)
        import_progress_write(token, state="running", done=total, phase="writing", **base)
        with transaction.atomic():
            campaign = Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None
            if new_campaign and campaign is None:
                owner = User.objects.filter(pk=owner_id).first() if owner_id else None
                campaign, _ = campaign_for_import(name=new_campaign, owner=owner)
            result = agencies_import(parsed=parsed, campaign=campaign)
    except (AgencyImportError, OSError) as error:
        import_progress_write(token, state="failed", done=0, error=str(error), **base)
        return "failed"
    except Exception as error:  # the page must not poll forever; the worker log keeps the traceback
        logger.exception("agency import %s failed", token)
        import_progress_write(token, state="failed", done=0, error=f"unexpected error: {error}", **base)
        raise
    finally:
        csv_path.unlink(missing_ok=True)
    import_progress_write(
        token,
        state="done",
        done=total,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        added_to_campaign=result.added_to_campaign,
        summary=result.summary(),
        campaign=campaign.title if campaign else "",
        **base,
    )
    return "done"


@shared_task(name="foia.tasks.agencies.import_agencies")
def import_agencies(
    token: str, total: int, campaign_id: int | None, new_campaign: str, owner_id: int | None
) -> str:
    """Import one confirmed agency CSV (token names the stored upload)."""
    return agency_import_run(
        token=token, total=total, campaign_id=campaign_id, new_campaign=new_campaign, owner_id=owner_id
    )
