"""A records request: one agency, one campaign, one letter, one clock."""

from django.conf import settings
from django.db import models

from ..querysets import RecordsRequestQuerySet

# Status and its groups live in foia.statuses (the querysets need them too); re-exported here.
from ..statuses import CLOSED_STATUSES, OPEN_STATUSES, PAUSED_STATUSES, Status  # noqa: F401
from .campaign import FollowupMode


class SendMethod(models.TextChoices):
    EMAIL = "email", "Email"
    PORTAL = "portal", "Portal"
    MAIL = "mail", "Postal mail"
    FAX = "fax", "Fax"
    HAND = "hand", "Hand delivery"


class LetterState(models.TextChoices):
    NONE = "", "Not generated"
    QUEUED = "queued", "Queued"
    WORKING = "working", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class RecordsRequest(models.Model):
    campaign = models.ForeignKey("foia.Campaign", on_delete=models.PROTECT, related_name="requests")
    agency = models.ForeignKey("foia.Agency", on_delete=models.PROTECT, related_name="requests")
    tracking_number = models.CharField(max_length=32, unique=True, help_text='e.g. "RING-0042"')
    reply_token = models.CharField(
        max_length=24, unique=True, help_text="Part of the reply address records+<token>@…"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    followup_mode = models.CharField(
        max_length=8,
        choices=[("", "As the campaign"), *FollowupMode.choices],
        blank=True,
        help_text="This request's follow-ups; empty follows the campaign's setting.",
    )

    # The letter. Regenerated freely while a draft; frozen (never rewritten) once sent.
    letter_subject = models.CharField(max_length=400, blank=True)
    letter_body = models.TextField(blank=True, help_text="The letter's text, exactly as sent once sent.")
    letter_pdf = models.FileField(upload_to="letters/%Y/%m/", blank=True)
    letter_state = models.CharField(max_length=8, choices=LetterState.choices, blank=True)
    letter_error = models.TextField(blank=True)
    letter_generated_at = models.DateTimeField(null=True, blank=True)
    letter_frozen_at = models.DateTimeField(null=True, blank=True)
    # Letters area: when a task claimed the PDF rendering (a stale claim may be taken over).
    letter_claimed_at = models.DateTimeField(null=True, blank=True)

    # Sending.
    send_method = models.CharField(max_length=8, choices=SendMethod.choices, blank=True)
    send_queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_reference = models.CharField(
        max_length=120, blank=True, help_text="Portal request number, certified-mail number, fax receipt."
    )

    # The clock. received_on is when the agency counts as having received it (next business day if sent
    # after hours). due_on is recomputed only by foia.deadlines via foia.lifecycle, with a RequestEvent.
    received_on = models.DateField(null=True, blank=True)
    receipt_estimated = models.BooleanField(
        default=False,
        help_text="True while received_on is our estimate (mail), not a date entered.",
    )
    receipt_reason = models.CharField(max_length=400, blank=True, help_text="Why received_on is that day.")
    ack_due_on = models.DateField(null=True, blank=True)
    acknowledged_on = models.DateField(
        null=True, blank=True, help_text="When the agency acknowledged; two-stage laws count from it."
    )
    promised_on = models.DateField(
        null=True, blank=True, help_text="The agency's own promised date, when beyond what the law allows."
    )
    # Read by the daily reminder scan (foia.tasks.scan_reminders) and the overdue page.
    due_on = models.DateField(null=True, blank=True, db_index=True)
    due_is_statutory = models.BooleanField(
        default=True, help_text="False when the law sets no number and due_on is our follow-up target."
    )
    due_rule = models.CharField(max_length=400, blank=True, help_text="How due_on was computed, for people.")
    paused_on = models.DateField(null=True, blank=True, help_text="When the clock paused (requester to act).")
    paused_days_left = models.IntegerField(null=True, blank=True)
    fee_amount = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    exemptions_cited = models.TextField(blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    followups_sent = models.PositiveSmallIntegerField(default=0)
    # When the next follow-up to the agency is due: the day after due_on, then every
    # campaign.followup_every_days.
    # Set by foia.lifecycle and foia.reminders; read by the reminder scan (foia.tasks.reminders.scan).
    next_followup_on = models.DateField(null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecordsRequestQuerySet.as_manager()

    class Meta:
        ordering = ["tracking_number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "agency"], name="one_request_per_agency_per_campaign")
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="request_status_due"),
            # The dashboard's "longest overdue" (foia.stats): open requests in due-date order, a range scan.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(status__in=sorted(s.value for s in OPEN_STATUSES)),
                name="request_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.agency.name}"

    @property
    def effective_followup_mode(self) -> str:
        """The request's own follow-up mode, or its campaign's."""
        return self.followup_mode or self.campaign.followup_mode

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.status in PAUSED_STATUSES

    @property
    def reply_address(self) -> str:
        return f"{settings.FOIA_REPLY_LOCALPART}+{self.reply_token}@{settings.FOIA_REPLY_DOMAIN}"

    @property
    def subject_tag(self) -> str:
        return f"[{self.tracking_number}]"


class RequestEventKind(models.TextChoices):
    CREATED = "created", "Created"
    LETTER = "letter", "Letter generated"
    STATUS = "status", "Status changed"
    SENT = "sent", "Sent"
    DUE_DATE = "due_date", "Due date computed"
    EXTENSION = "extension", "Extension claimed"
    COMMUNICATION = "communication", "Communication"
    DOCUMENT = "document", "Document received"
    FOLLOWUP = "followup", "Follow-up"
    NOTE = "note", "Note"
    APPEAL = "appeal", "Appeal"


class RequestEvent(models.Model):
    """One line on a request's timeline: every status change, due-date recomputation, extension and note."""

    request = models.ForeignKey(RecordsRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=RequestEventKind.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    due_before = models.DateField(null=True, blank=True)
    due_after = models.DateField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="The reason, the note, or what happened.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.created_at:%Y-%m-%d}"
