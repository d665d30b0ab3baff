"""An agency CSV import: the uploaded file, its check, the person's confirmation and the write, as one row."""

from django.conf import settings
from django.db import models


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded, waiting to be checked"
    CHECKING = "checking", "Checking"
    CHECKED = "checked", "Checked, waiting for confirmation"
    INVALID = "invalid", "The file has problems; nothing was imported"
    CONFIRMED = "confirmed", "Confirmed, waiting to be written"
    WRITING = "writing", "Writing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed; nothing was imported"


class AgencyImport(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_imports"
    )
    file = models.FileField(upload_to="agency-imports/%Y/%m/", help_text="The uploaded CSV, as received.")
    filename = models.CharField(max_length=255, help_text="The name the file had on the person's computer.")
    campaign = models.ForeignKey(
        "foia.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="agency_imports"
    )
    new_campaign = models.CharField(max_length=200, blank=True, help_text="Created on confirm when set.")
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    rows_total = models.PositiveIntegerField(
        default=0, help_text="Lines in the file (an estimate until read)."
    )
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows read so far, for the progress bar.")
    # The checked rows, kept so the file is parsed once: {"columns": {...}, "rows": [[line, values, extra]]}.
    rows = models.JSONField(default=dict, blank=True, editable=False)
    problems = models.JSONField(default=list, blank=True, help_text='["line 3, column state: ...", ...]')
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    needing_contact = models.PositiveIntegerField(default=0)
    added_to_campaign = models.PositiveIntegerField(default=0)
    # Set by the conditional UPDATE that hands the check or the write to exactly one process.
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        """Still moving on its own: the page keeps polling."""
        return self.status in (
            ImportStatus.UPLOADED,
            ImportStatus.CHECKING,
            ImportStatus.CONFIRMED,
            ImportStatus.WRITING,
        )

    @property
    def percent(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def notices(self) -> list[str]:
        """What the check read differently from the letter of the file (merged repeats, encoding), by line."""
        return (self.rows or {}).get("notices", [])

    def summary(self) -> str:
        return import_summary(self.created, self.updated, self.unchanged, self.added_to_campaign)


def import_summary(created: int, updated: int, unchanged: int, added_to_campaign: int) -> str:
    """ "3 created, 1 updated, 0 unchanged; 4 added to the campaign": what an import did, in one line."""
    text = f"{created} created, {updated} updated, {unchanged} unchanged"
    if added_to_campaign:
        text += f"; {added_to_campaign} added to the campaign"
    return text
