"""A campaign: one request written once, sent to many agencies.

The limits that protect agencies (follow-up rhythm and count, send rate, money, tracking prefix) are the
field validators and clean() below; the campaign form, the API serializer and the admin all run them.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

# Calendar days (the field's unit): five always hold at least three business days, whatever the weekday.
FOLLOWUP_MIN_DAYS = 5
FOLLOWUP_MAX_DAYS = 365
FOLLOWUP_MAX_COUNT = 10
SEND_PER_HOUR_MAX = 3600
MONEY_MAX = Decimal("9999999.99")  # max_digits=9, decimal_places=2
TRACKING_PREFIX = re.compile(r"[A-Z][A-Z0-9]{1,11}")


def validate_followup_every_days(value: int) -> None:
    """Agencies get time to answer: no follow-up sooner than FOLLOWUP_MIN_DAYS after the last."""
    if not FOLLOWUP_MIN_DAYS <= value <= FOLLOWUP_MAX_DAYS:
        raise ValidationError(
            f"Between {FOLLOWUP_MIN_DAYS} and {FOLLOWUP_MAX_DAYS} days (at least three business days "
            "between follow-ups).",
            code="followup_every_days",
        )


def validate_followup_max(value: int) -> None:
    """At most FOLLOWUP_MAX_COUNT follow-ups per request; after that a person decides (call, appeal)."""
    if not 0 <= value <= FOLLOWUP_MAX_COUNT:
        raise ValidationError(f"Between 0 and {FOLLOWUP_MAX_COUNT} follow-ups.", code="followup_max")


def validate_money(value: Decimal) -> None:
    """An amount in dollars: not negative."""
    if value is not None and value < 0:
        raise ValidationError("The amount cannot be negative.", code="negative")


def validate_send_per_hour(value: int) -> None:
    """Staggered sending needs at least one email an hour; more than one a second is a typo."""
    if not 1 <= value <= SEND_PER_HOUR_MAX:
        raise ValidationError(f"Between 1 and {SEND_PER_HOUR_MAX} emails per hour.", code="send_per_hour")


def validate_tracking_prefix(value: str) -> None:
    """Letters and digits only: the prefix goes into subject tags, file names and URLs."""
    if not TRACKING_PREFIX.fullmatch(value or ""):
        raise ValidationError(
            "Use 2–12 capital letters or digits, starting with a letter, e.g. RING.", code="tracking_prefix"
        )


class FollowupMode(models.TextChoices):
    OFF = "off", "Off"
    DRAFT = "draft", "Draft for review"
    SEND = "send", "Send automatically"


class Campaign(models.Model):
    title = models.CharField(max_length=200, help_text='e.g. "Ring partnerships with police"')
    slug = models.SlugField(max_length=60, unique=True)
    tracking_prefix = models.CharField(
        max_length=12,
        unique=True,
        validators=[validate_tracking_prefix],
        help_text='Start of every tracking number, e.g. "RING" gives RING-0042. Fixed once requests exist.',
    )
    description = models.TextField(blank=True, help_text="What the campaign is after, for the newsroom.")
    records_wanted = models.TextField(
        blank=True,
        help_text="One record category per line, e.g. 'Contracts and MOUs with Ring LLC or Amazon'.",
    )
    date_from = models.DateField(null=True, blank=True, help_text="Records created on or after this date.")
    date_to = models.DateField(null=True, blank=True, help_text="Records created on or before this date.")
    requester_name = models.CharField(max_length=200, blank=True)
    requester_outlet = models.CharField(max_length=200, blank=True)
    requester_email = models.EmailField(blank=True)
    requester_address = models.TextField(blank=True)
    requester_phone = models.CharField(max_length=40, blank=True)
    fee_waiver_text = models.TextField(blank=True, help_text="Fee-waiver / public-interest paragraph.")
    fee_cap = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validate_money],
        help_text="Ask before charging more than this.",
    )
    preferred_format = models.CharField(
        max_length=200, default="electronic copies (PDF or native format) sent by email"
    )
    subject_template = models.CharField(
        max_length=300, blank=True, help_text="Overrides the default subject line (Django template syntax)."
    )
    body_template = models.TextField(
        blank=True, help_text="Overrides the default letter body (Django template syntax)."
    )
    followup_mode = models.CharField(max_length=8, choices=FollowupMode.choices, default=FollowupMode.DRAFT)
    followup_every_days = models.PositiveSmallIntegerField(
        default=10,
        validators=[validate_followup_every_days],
        help_text=f"Days between follow-ups to an agency, {FOLLOWUP_MIN_DAYS} to {FOLLOWUP_MAX_DAYS}.",
    )
    followup_max = models.PositiveSmallIntegerField(
        default=3,
        validators=[validate_followup_max],
        help_text=f"Follow-ups per request, at most {FOLLOWUP_MAX_COUNT}.",
    )
    send_per_hour = models.PositiveIntegerField(
        default=60,
        validators=[validate_send_per_hour],
        help_text=f"Staggered sending: at most this many emails per hour (1 to {SEND_PER_HOUR_MAX}).",
    )
    is_demo = models.BooleanField(
        default=False,
        editable=False,
        help_text="The demo campaign (manage.py load_demo): its activity is simulated and labelled so.",
    )
    agencies = models.ManyToManyField("foia.Agency", related_name="campaigns", blank=True)
    # Letters area: the next tracking number; only ever increases, so a number is never reused.
    tracking_next = models.PositiveIntegerField(default=1, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Rules across fields: a date range in order, and a tracking prefix fixed once requests exist."""
        errors = {}
        if self.date_from and self.date_to and self.date_from > self.date_to:
            errors["date_to"] = "The end of the date range is before its start."
        if self.pk:
            stored = Campaign.objects.filter(pk=self.pk).values_list("tracking_prefix", flat=True).first()
            if stored is not None and stored != self.tracking_prefix and self.requests.exists():
                # Tracking numbers already issued must stay readable as this campaign's.
                errors["tracking_prefix"] = (
                    f"Fixed once requests exist: tracking numbers {stored}-… are already issued."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def records_list(self) -> list[str]:
        return [line.strip(" -*\t") for line in self.records_wanted.splitlines() if line.strip(" -*\t")]
