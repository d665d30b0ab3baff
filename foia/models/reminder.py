"""Reminders to reporters and follow-ups to agencies: rows with a unique key, claimed before sending."""

from django.conf import settings
from django.db import models


class ReminderKind(models.TextChoices):
    DIGEST = "digest", "Daily digest to a reporter"
    FOLLOWUP = "followup", "Follow-up to an agency"
    REPLY = "reply", "Reply notification to a reporter"
    APPEAL_FOLLOWUP = "appeal", "Follow-up to an appeal body"


class ReminderState(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed by a worker"
    QUEUED = "queued", "Handed to the outbound queue"
    SENT = "sent", "Sent"
    DRAFTED = "drafted", "Drafted for review"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class Reminder(models.Model):
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    # (kind, request or user, date) made unique by `key`; created before anything is sent.
    key = models.CharField(max_length=120, unique=True)
    request = models.ForeignKey(
        "foia.RecordsRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    for_date = models.DateField()
    state = models.CharField(
        max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING, db_index=True
    )
    # Last time a scan put a send task on the queue for this row; re-queued only after the claim timeout.
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-for_date", "id"]

    def __str__(self) -> str:
        return self.key
