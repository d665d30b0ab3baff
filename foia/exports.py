"""Campaign exports: the per-agency dataset (CSV / JSON) and a zip of every document received."""

import datetime
import json
import zipfile
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_safe

from .csvutil import csv_response
from .downloads import download_response, safe_name
from .models import Appeal, Campaign, RecordsRequest, RequestDocument
from .models.request import OPEN_STATUSES

EXPORT_COLUMNS = [
    "agency_id", "agency", "state", "city", "agency_kind", "tracking_number", "status", "status_label",
    "sent_on", "received_on", "due_on", "first_response_on", "closed_on", "days_to_first_response",
    "days_to_complete", "days_overdue", "fee_amount", "exemptions_cited", "documents", "document_kinds",
    # The request's latest appeal (foia.appeals), appended so existing spreadsheets keep their columns.
    "appeal_status", "appeal_body", "appeal_decided_on", "appeal_window_closes_on", "appeal_late",
    "appeal_filed_on", "appeal_decision_due_on", "appeal_outcome_on",
]  # fmt: skip


def _local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value else None


def _days(start: datetime.datetime | None, end: datetime.datetime | None) -> int | None:
    if not (start and end):
        return None
    return max((end - start).days, 0)


def _appeal_columns(appeal: Appeal | None) -> dict:
    if appeal is None:
        return dict.fromkeys(EXPORT_COLUMNS[-8:]) | {"appeal_status": ""}
    return {
        "appeal_status": appeal.status,
        "appeal_body": appeal.body,
        "appeal_decided_on": appeal.decided_on,
        "appeal_window_closes_on": appeal.window_closes_on,
        "appeal_late": appeal.is_late,
        "appeal_filed_on": _local_date(appeal.filed_at),
        "appeal_decision_due_on": appeal.decision_due_on,
        "appeal_outcome_on": appeal.outcome_on,
    }


def export_rows(*, campaign: Campaign, today: datetime.date) -> list[dict]:
    """One row per agency of the campaign (requests first, then agencies with no request yet); 4 queries."""
    requests = (
        RecordsRequest.objects.filter(campaign=campaign)
        .select_related("agency")
        .annotate(document_count=Count("documents"))
        .order_by("agency__state", "agency__name", "id")
    )
    kinds: dict[int, set[str]] = {}
    for request_id, kind in (
        RequestDocument.objects.filter(request__campaign=campaign)
        .order_by()
        .values_list("request_id", "document__kind")
        .distinct()
    ):
        kinds.setdefault(request_id, set()).add(kind)
    latest = {
        appeal.request_id: appeal
        for appeal in Appeal.objects.filter(request__campaign=campaign).order_by("id")
    }
    rows = []
    for rr in requests:
        overdue = rr.status in OPEN_STATUSES and rr.due_on is not None and rr.due_on < today
        rows.append(
            {
                "agency_id": rr.agency_id,
                "agency": rr.agency.name,
                "state": rr.agency.state,
                "city": rr.agency.city,
                "agency_kind": rr.agency.kind,
                "tracking_number": rr.tracking_number,
                "status": rr.status,
                "status_label": rr.get_status_display(),
                "sent_on": _local_date(rr.sent_at),
                "received_on": rr.received_on,
                "due_on": rr.due_on,
                "first_response_on": _local_date(rr.first_response_at),
                "closed_on": _local_date(rr.closed_at),
                "days_to_first_response": _days(rr.sent_at, rr.first_response_at),
                "days_to_complete": _days(rr.sent_at, rr.closed_at),
                "days_overdue": (today - rr.due_on).days if overdue else 0,
                "fee_amount": str(rr.fee_amount) if rr.fee_amount is not None else None,
                "exemptions_cited": rr.exemptions_cited,
                "documents": rr.document_count,
                "document_kinds": sorted(kinds.get(rr.pk, ())),
                **_appeal_columns(latest.get(rr.pk)),
            }
        )
    with_request = {row["agency_id"] for row in rows}
    for agency in campaign.agencies.exclude(pk__in=with_request).order_by("state", "name"):
        rows.append(
            dict.fromkeys(EXPORT_COLUMNS)
            | {"agency_id": agency.pk, "agency": agency.name, "state": agency.state, "city": agency.city,
               "agency_kind": agency.kind, "status": "", "status_label": "No request yet", "documents": 0,
               "document_kinds": []}
        )  # fmt: skip
    return rows


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign, pk=pk)


@require_safe
def campaign_export_csv(request, pk):
    """The campaign's per-agency dataset as a spreadsheet-safe CSV download."""
    campaign = _campaign(pk)
    rows = export_rows(campaign=campaign, today=timezone.localdate())
    lines = ([", ".join(row[c]) if c == "document_kinds" else row[c] for c in EXPORT_COLUMNS] for row in rows)
    return csv_response(f"{safe_name(campaign.slug, 'campaign')}.csv", EXPORT_COLUMNS, lines)


@require_safe
def campaign_export_json(request, pk):
    """The same dataset as JSON: {"campaign": {...}, "generated_at": ..., "rows": [...]}."""
    campaign = _campaign(pk)
    payload = {
        # The demo campaign's sends, answers and documents are simulated.
        "campaign": {
            "id": campaign.pk,
            "title": campaign.title,
            "slug": campaign.slug,
            "simulated": campaign.is_demo,
        },
        "generated_at": timezone.now(),
        "columns": EXPORT_COLUMNS,
        "rows": export_rows(campaign=campaign, today=timezone.localdate()),
    }
    return download_response(
        json.dumps(payload, cls=DjangoJSONEncoder, indent=1),
        filename=f"{safe_name(campaign.slug, 'campaign')}.json",
        content_type="application/json",
    )


class _ChunkSink:
    """A write-only, non-seekable file for zipfile: what it is given is handed out as chunks."""

    def __init__(self):
        self._chunks: list[bytes] = []
        self._offset = 0

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def zip_entries(*, campaign: Campaign) -> Iterator[tuple[str, RequestDocument]]:
    """(path in the zip, link) for every document received on the campaign, foldered by agency."""
    links = (
        RequestDocument.objects.filter(request__campaign=campaign)
        .select_related("document", "request__agency")
        .order_by("request__agency__state", "request__agency__name", "request_id", "id")
    )
    used: set[str] = set()
    for link in links.iterator(chunk_size=500):
        agency = link.request.agency
        folder = safe_name(f"{agency.state} - {agency.name}", f"agency-{agency.pk}")
        name = safe_name(link.filename or link.document.original_name, f"document-{link.document_id}")
        path = f"{folder}/{name}"
        stem, dot, ext = name.rpartition(".")
        counter = 2
        while path.lower() in used:
            path = f"{folder}/{stem} ({counter}).{ext}" if dot else f"{folder}/{name} ({counter})"
            counter += 1
        used.add(path.lower())
        yield path, link


def zip_stream(*, campaign: Campaign) -> Iterator[bytes]:
    """The zip, produced piece by piece so a large campaign never sits in memory."""
    sink = _ChunkSink()
    missing = []
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, link in zip_entries(campaign=campaign):
            try:
                source = link.document.file.open("rb")
            except (FileNotFoundError, ValueError):
                missing.append(path)
                continue
            info = zipfile.ZipInfo(path, date_time=timezone.localtime(link.added_at).timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with source, archive.open(info, mode="w") as target:
                for chunk in source.chunks():
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
        if missing:
            archive.writestr("MISSING.txt", "Files listed but not found in storage:\n" + "\n".join(missing))
    yield sink.take()


@require_safe
def campaign_documents_zip(request, pk):
    """Every document received on the campaign as one zip, a folder per agency, streamed."""
    campaign = _campaign(pk)
    return download_response(
        zip_stream(campaign=campaign),
        filename=f"{safe_name(campaign.slug, 'campaign')}-documents.zip",
        content_type="application/zip",
    )
