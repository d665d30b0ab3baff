"""A bulk action on many requests (foia.bulk): the run with its parameters and progress; a row per request."""

from django.conf import settings
from django.db import models


class BulkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class BulkItemState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class BulkRun(models.Model):
    action = models.CharField(max_length=40, help_text='A name in foia.bulk\'s registry, e.g. "withdraw".')
    params = models.JSONField(default=dict, blank=True, help_text="The action's checked form data.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="bulk_runs"
    )
    status = models.CharField(max_length=8, choices=BulkStatus.choices, default=BulkStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0, help_text="Requests changed so far.")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Requests that changed under us and were left."
    )
    # Set by the conditional UPDATE that hands the run to one process; a stale claim is taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} x{self.total} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status != BulkStatus.DONE

    @property
    def percent(self) -> int:
        return round(100 * (self.done + self.skipped) / self.total) if self.total else 100


class BulkItem(models.Model):
    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="items")
    request = models.ForeignKey("foia.RecordsRequest", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=BulkItemState.choices, default=BulkItemState.PENDING)
    message = models.TextField(blank=True, help_text="Why it was skipped (the lifecycle's words).")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "request"], name="bulk_item_once_per_run")]
        indexes = [models.Index(fields=["run", "state"], name="bulk_item_run_state")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.request_id} {self.state}"
