"""An appeal of one agency decision: a denial, a partial grant, "no records", or silence past the deadline."""

from django.conf import settings
from django.db import models


class AppealStatus(models.TextChoices):
    DRAFTED = "drafted", "Drafted"
    FILED = "filed", "Filed"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the body"
    GRANTED = "granted", "Granted"
    PARTLY_GRANTED = "partly_granted", "Partly granted"
    DENIED = "denied", "Denied"
    LITIGATION = "litigation", "Litigation considered"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AppealBasis(models.TextChoices):
    REJECTED = "rejected", "Denial"
    NO_RECORDS = "no_records", "No responsive records"
    PARTIAL = "partial", "Partial denial"
    DEEMED = "deemed", "Deemed denial (no answer by the deadline)"


class AppealKind(models.TextChoices):
    APPEAL = "appeal", "Administrative appeal"
    # Court-only states: no administrative appeal; a last demand to the agency and a litigation checklist.
    DEMAND = "demand", "Demand letter (court only)"


class Appeal(models.Model):
    request = models.ForeignKey("foia.RecordsRequest", on_delete=models.CASCADE, related_name="appeals")
    kind = models.CharField(max_length=8, choices=AppealKind.choices, default=AppealKind.APPEAL)
    basis = models.CharField(max_length=12, choices=AppealBasis.choices)
    decided_on = models.DateField(
        help_text="The date on the denial, or the day the response deadline passed."
    )
    # The rule as it stood when drafted (foia/data/appeals.csv), kept with the appeal for the record.
    jurisdiction = models.CharField(max_length=2)
    route = models.CharField(max_length=12)
    body = models.CharField(max_length=300, help_text="Who hears the appeal.")
    file_how = models.TextField(blank=True)
    citation = models.CharField(max_length=400, blank=True)
    window_closes_on = models.DateField(
        null=True,
        blank=True,
        help_text="The requester's last day to appeal (empty: no deadline or court only).",
    )
    window_rule = models.CharField(max_length=600, blank=True)
    is_late = models.BooleanField(default=False, help_text="Drafted after the window closed.")
    status = models.CharField(
        max_length=16, choices=AppealStatus.choices, default=AppealStatus.DRAFTED, db_index=True
    )
    exemptions = models.TextField(blank=True, help_text="The exemptions the agency cited, one per line.")
    template_source = models.TextField(blank=True, help_text="The letter's template; empty uses the default.")
    subject = models.CharField(max_length=400, blank=True)
    letter = models.TextField(blank=True, help_text="The appeal's text, exactly as sent once filed.")
    to_address = models.CharField(
        max_length=320, blank=True, help_text="The body's email address, when the appeal goes by email."
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(null=True, blank=True)
    filed_via = models.CharField(max_length=8, blank=True)
    filed_reference = models.CharField(max_length=120, blank=True)
    received_on = models.DateField(null=True, blank=True, help_text="When the body counts as having it.")
    # The body's decision deadline (foia.deadlines); read by the appeal follow-up scan and the overdue page.
    decision_due_on = models.DateField(null=True, blank=True, db_index=True)
    decision_rule = models.CharField(max_length=600, blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    # Follow-ups to the body: the day after decision_due_on, then every campaign.followup_every_days, up to
    # campaign.followup_max (foia.appeals.followups, from the reminder scan).
    next_followup_on = models.DateField(null=True, blank=True, db_index=True)
    followups_sent = models.PositiveSmallIntegerField(default=0)
    batch = models.ForeignKey(
        "foia.AppealBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="appeals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            # Never two appeals of the same decision.
            models.UniqueConstraint(fields=["request", "decided_on"], name="one_appeal_per_decision")
        ]

    def __str__(self) -> str:
        return f"Appeal of {self.request_id} ({self.decided_on})"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def exemption_list(self) -> list[str]:
        return [line.strip() for line in self.exemptions.splitlines() if line.strip()]


class AppealBatch(models.Model):
    """No longer used: batch appeals are foia.bulk runs (foia.appeals.batch). Kept: its table is in 0014."""

    campaign = models.ForeignKey("foia.Campaign", null=True, blank=True, on_delete=models.CASCADE)
    request_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, help_text="[tracking number, why] for requests not drafted.")
    finished_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Appeal batch {self.pk}: {self.done}/{self.total}"
