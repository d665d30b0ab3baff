"""Messages to and from agencies: every send, every reply, the raw message kept."""

from django.conf import settings
from django.db import models


class Direction(models.TextChoices):
    OUTGOING = "out", "Outgoing"
    INCOMING = "in", "Incoming"


class CommunicationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    PORTAL = "portal", "Portal"
    MAIL = "mail", "Postal mail"
    FAX = "fax", "Fax"
    PHONE = "phone", "Phone"
    UPLOAD = "upload", "Uploaded by a person"


class DeliveryState(models.TextChoices):
    NONE = "", "—"
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DRAFT = "draft", "Draft for review"
    # At most once: the server may have accepted it (no answer came back); counts as sent, a person confirms.
    UNKNOWN = "unknown", "Probably sent — please confirm"


class Communication(models.Model):
    # Null while an incoming message is unsorted (no request matched yet).
    request = models.ForeignKey(
        "foia.RecordsRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="communications"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    channel = models.CharField(max_length=8, choices=CommunicationChannel.choices)
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    to_address = models.CharField(max_length=1000, blank=True)
    message_id = models.CharField(max_length=500, null=True, blank=True, unique=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    matched_by = models.CharField(
        max_length=20,
        blank=True,
        help_text='How an incoming message found its request, e.g. "reply address".',
    )
    # Matched only by a guessable tracking tag, from an address not known for the agency (foia.mail_senders).
    sender_unverified = models.BooleanField(
        default=False, help_text="Filed by its tracking tag alone; a person confirms the sender."
    )
    raw_message = models.FileField(upload_to="mail/%Y/%m/", blank=True, help_text="The message as received.")
    # Outgoing sends: the key is stored before anything is sent, so a retry never sends twice.
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    delivery_state = models.CharField(max_length=8, choices=DeliveryState.choices, blank=True)
    delivery_error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Letters area: staggered sending; a pending email goes out at or after this time (read by the
    # foia.tasks.letters.scan_sends beat scan).
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    occurred_at = models.DateTimeField(help_text="When it was sent or received.", db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.channel}: {self.subject[:60]}"

    @property
    def is_unsorted(self) -> bool:
        return self.request_id is None
