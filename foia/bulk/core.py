"""The bulk mechanism: the action registry, the preview, starting a run and processing it (see foia.bulk)."""

from __future__ import annotations

import datetime
import hashlib
import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import BulkItem, BulkItemState, BulkRun, BulkStatus, RecordsRequest
from ..permissions import can_work_request
from ..queue import task_enqueue_on_commit

# Modules whose import registers actions; the views and the worker load them all before looking one up.
ACTION_MODULES = ["foia.bulk.actions"]
BULK_TASK = "foia.tasks.bulk.run"
# A run whose claim is older than this (no heartbeat) lost its worker; the scan queues it again.
STALE_AFTER = datetime.timedelta(minutes=10)
HEARTBEAT_EVERY = 25  # items between claim refreshes
NOT_YOURS = "owned by someone else"

_REGISTRY: dict[str, BulkAction] = {}


@dataclass(frozen=True)
class BulkAction:
    """One thing that can be done to many requests; see the package docstring."""

    name: str
    label: str
    verb: str
    form_class: type
    check: Callable[[RecordsRequest, dict], str]
    apply: Callable[[RecordsRequest, dict, object], object]
    fields: tuple[str, ...] = ("status",)


class BulkSelectionChanged(ValidationError):
    """The selection is not the one previewed (or nothing in it can take the action); nothing was started."""


def register(action: BulkAction) -> BulkAction:
    """Add an action to the registry (at import of its module, listed in ACTION_MODULES)."""
    _REGISTRY[action.name] = action
    return action


def _load() -> None:
    for module in ACTION_MODULES:
        importlib.import_module(module)


def registered_actions() -> list[BulkAction]:
    _load()
    return list(_REGISTRY.values())


def get_action(name: str) -> BulkAction | None:
    _load()
    return _REGISTRY.get(name)


def params_from(cleaned: dict) -> dict:
    """A form's cleaned data as JSON: dates and Decimals as ISO strings, rows as their ids."""

    def plain(value):
        if isinstance(value, datetime.date | Decimal):
            return value.isoformat() if isinstance(value, datetime.date) else str(value)
        if isinstance(value, models.Model):
            return value.pk
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return {name: plain(value) for name, value in cleaned.items()}


def _reason(action: BulkAction, rr: RecordsRequest, params: dict, user) -> str:
    if user is None or not can_work_request(user, rr):
        return NOT_YOURS
    return action.check(rr, params)


@dataclass
class BulkPreview:
    action: BulkAction
    eligible: list[int] = field(default_factory=list)
    cannot: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return len(self.eligible) + sum(self.cannot.values())

    @property
    def fingerprint(self) -> str:
        """Identifies the eligible set: the apply refuses if it moved since the person saw the counts."""
        digest = hashlib.sha256(",".join(map(str, sorted(self.eligible))).encode()).hexdigest()[:16]
        return f"{len(self.eligible)}-{digest}"

    @property
    def message(self) -> str:
        """ "23 requests will be withdrawn; 2 cannot: already closed"."""
        n = len(self.eligible)
        text = f"{n} request{'' if n == 1 else 's'} will be {self.action.verb}"
        if not self.cannot:
            return text
        skipped = sum(self.cannot.values())
        if len(self.cannot) == 1:
            return f"{text}; {skipped} cannot: {next(iter(self.cannot))}"
        reasons = ", ".join(f"{count} {reason}" for reason, count in self.cannot.most_common())
        return f"{text}; {skipped} cannot: {reasons}"


def bulk_preview(*, action: BulkAction, requests, user, params: dict) -> BulkPreview:
    """Which requests of `requests` would take the action, and why the others cannot (counted by reason)."""
    preview = BulkPreview(action=action)
    fields = {"pk", "owner_id", "tracking_number", *action.fields}
    rows = requests.select_related(None).order_by("pk").only(*fields)
    for rr in rows.iterator(chunk_size=2000):
        reason = _reason(action, rr, params, user)
        if reason:
            preview.cannot[reason] += 1
        else:
            preview.eligible.append(rr.pk)
    return preview


def bulk_start(*, action: BulkAction, requests, user, params: dict, expect: str = "") -> BulkRun:
    """Record the run and its requests; apply it here when small, else queue it for a worker after commit."""
    preview = bulk_preview(action=action, requests=requests, user=user, params=params)
    if expect and preview.fingerprint != expect:
        raise BulkSelectionChanged(
            f"The selection changed since the preview; now {preview.message}. "
            "Check the counts and apply again."
        )
    if not preview.eligible:
        raise BulkSelectionChanged(f"Nothing to do: {preview.message}.")
    inline = len(preview.eligible) <= settings.FOIA_BULK_INLINE_MAX
    with transaction.atomic():
        run = BulkRun.objects.create(
            action=action.name, params=params, created_by=user, total=len(preview.eligible)
        )
        BulkItem.objects.bulk_create(
            [BulkItem(run=run, request_id=pk) for pk in preview.eligible], batch_size=1000
        )
        if not inline:
            task_enqueue_on_commit(BULK_TASK, run.pk)
    if inline:
        bulk_run_process(run_id=run.pk)
        run.refresh_from_db()
    return run


def _apply_one(run: BulkRun, action: BulkAction, item_id: int) -> None:
    """One request, wholly or not at all: its change, its timeline, its item and the run's counter."""
    with transaction.atomic():
        item = BulkItem.objects.select_for_update().filter(pk=item_id, state=BulkItemState.PENDING).first()
        if item is None:  # done by an earlier claim of this run
            return
        rr = (
            RecordsRequest.objects.select_for_update(of=("self",))
            .select_related("agency", "campaign", "owner")
            .get(pk=item.request_id)
        )
        reason = _reason(action, rr, run.params, run.created_by)
        if not reason:
            try:
                with transaction.atomic():
                    action.apply(rr, run.params, run.created_by)
            except ValidationError as error:  # LifecycleError: the same words as on the request's own page
                reason = error.describe() if hasattr(error, "describe") else " ".join(error.messages)
        item.state = BulkItemState.SKIPPED if reason else BulkItemState.DONE
        item.message = reason
        item.save(update_fields=["state", "message"])
        counter = "skipped" if reason else "done"
        BulkRun.objects.filter(pk=run.pk).update(**{counter: F(counter) + 1})


def bulk_run_process(*, run_id: int, now: datetime.datetime | None = None) -> str:
    """Claim the run and apply its pending requests one by one; a second claim of a live run does nothing."""
    now = now or timezone.now()
    claim = BulkRun.objects.filter(pk=run_id).exclude(status=BulkStatus.DONE)
    claim = claim.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_AFTER))
    if not claim.update(status=BulkStatus.RUNNING, claimed_at=now):
        return "done or claimed elsewhere"
    run = BulkRun.objects.select_related("created_by").get(pk=run_id)
    action = get_action(run.action)
    if action is None:
        raise LookupError(f"bulk run {run_id}: no action named {run.action!r} is registered")
    pending = BulkItem.objects.filter(run=run, state=BulkItemState.PENDING).order_by("pk")
    for n, item_id in enumerate(list(pending.values_list("pk", flat=True)), start=1):
        _apply_one(run, action, item_id)
        if n % HEARTBEAT_EVERY == 0:
            beat = timezone.now()
            if not BulkRun.objects.filter(pk=run_id, claimed_at=now).update(claimed_at=beat):
                return "taken over"  # another process resumed it after our claim went stale
            now = beat
    BulkRun.objects.filter(pk=run_id, claimed_at=now).update(
        status=BulkStatus.DONE, finished_at=timezone.now()
    )
    return "done"


def bulk_recover_stale(*, now: datetime.datetime) -> list[int]:
    """Runs whose task was lost (never claimed) or whose worker died (claim gone stale): queue them again."""
    lost = Q(claimed_at__isnull=True, created_at__lt=now - datetime.timedelta(minutes=1))
    stale = Q(claimed_at__lt=now - STALE_AFTER)
    ids = list(
        BulkRun.objects.exclude(status=BulkStatus.DONE).filter(lost | stale).values_list("pk", flat=True)
    )
    for run_id in ids:
        task_enqueue_on_commit(BULK_TASK, run_id)
    return ids
