"""A campaign: one request written once, sent to many agencies."""

from django.conf import settings
from django.db import models


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
        help_text='Start of every tracking number, e.g. "RING" gives RING-0042.',
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
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="Ask before charging more than this."
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
    followup_every_days = models.PositiveSmallIntegerField(default=10)
    followup_max = models.PositiveSmallIntegerField(default=3)
    send_per_hour = models.PositiveIntegerField(
        default=60, help_text="Staggered sending: at most this many emails per hour."
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

    @property
    def records_list(self) -> list[str]:
        return [line.strip(" -*\t") for line in self.records_wanted.splitlines() if line.strip(" -*\t")]
