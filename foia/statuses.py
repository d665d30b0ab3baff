"""A request's statuses and the groups the clock reads; shared by the model and its querysets."""

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    PROCESSING = "processing", "Processing"
    FIX_REQUIRED = "fix_required", "Fix required"
    PAYMENT_REQUIRED = "payment_required", "Payment required"
    PARTIAL = "partial", "Partially completed"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    NO_RECORDS = "no_records", "No responsive records"
    APPEALED = "appealed", "Appealed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Statuses in which the agency owes an answer and the clock runs.
OPEN_STATUSES = frozenset(
    {Status.SENT, Status.ACKNOWLEDGED, Status.PROCESSING, Status.PARTIAL, Status.APPEALED}
)
# Statuses in which the requester must act; the clock is paused.
PAUSED_STATUSES = frozenset({Status.FIX_REQUIRED, Status.PAYMENT_REQUIRED})
CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.REJECTED, Status.NO_RECORDS, Status.WITHDRAWN})
