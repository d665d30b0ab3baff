"""Public-records laws: one row per jurisdiction (50 states, DC, and "US" for the federal FOIA)."""

from django.db import models


class DayType(models.TextChoices):
    BUSINESS = "business", "business days"
    CALENDAR = "calendar", "calendar days"
    NONE = "none", "no fixed number of days"


class RequesterLimit(models.TextChoices):
    NONE = "", "Anyone may request"
    CITIZENS = "citizens", "State citizens only"
    RESIDENTS = "residents", "State residents only"
    US_RESIDENTS = "us_residents", "US residents only"


class LawQuerySet(models.QuerySet):
    """The one way to find a jurisdiction's law (Agency.law uses it too)."""

    def for_jurisdiction(self, code: str) -> "Law | None":
        """The law of one jurisdiction with its closed-day overrides, or None when none is on file."""
        return self.filter(jurisdiction=code).prefetch_related("closed_days").first()

    def by_jurisdiction(self, codes=None) -> dict[str, "Law"]:
        """{code: law} for these jurisdictions (all when codes is None), in one query."""
        laws = self if codes is None else self.filter(jurisdiction__in=set(codes))
        return {law.jurisdiction: law for law in laws}


class Law(models.Model):
    jurisdiction = models.CharField(
        max_length=2, unique=True, help_text='Postal code, e.g. "MI"; "US" for the federal FOIA.'
    )
    jurisdiction_name = models.CharField(max_length=64, help_text='e.g. "Michigan"')
    law_name = models.CharField(max_length=200, help_text='e.g. "Michigan Freedom of Information Act"')
    citation = models.CharField(max_length=400, help_text='e.g. "MCL 15.231 et seq."')
    response_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="First statutory clock after receipt; empty when the law sets none."
    )
    day_type = models.CharField(max_length=8, choices=DayType.choices, default=DayType.BUSINESS)
    response_wording = models.CharField(
        max_length=200,
        blank=True,
        help_text='The law\'s own words when it sets no number of days, e.g. "promptly".',
    )
    ack_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Acknowledgment clock where the law has one (days)."
    )
    ack_day_type = models.CharField(max_length=8, choices=DayType.choices, blank=True)
    extension_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Longest extension the agency may claim, in days; empty if none."
    )
    extension_day_type = models.CharField(max_length=8, choices=DayType.choices, blank=True)
    extension_notes = models.TextField(blank=True)
    appeal_path = models.TextField(blank=True)
    requester_limit = models.CharField(
        max_length=16, choices=RequesterLimit.choices, blank=True, default=RequesterLimit.NONE
    )
    requester_limit_notes = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    source = models.TextField(help_text="Where each fact was checked.")
    verified_on = models.DateField(help_text="When this row was last checked against the statute.")
    confidence = models.CharField(max_length=200, blank=True)

    objects = LawQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction"]

    def __str__(self) -> str:
        return f"{self.jurisdiction}: {self.law_name}"

    @property
    def has_fixed_deadline(self) -> bool:
        return self.day_type != DayType.NONE and self.response_days is not None

    @property
    def response_period_text(self) -> str:
        """The response period in the law's own terms: "within 10 business days" or "promptly"."""
        if self.has_fixed_deadline:
            unit = "business day" if self.day_type == DayType.BUSINESS else "calendar day"
            plural = "" if self.response_days == 1 else "s"
            return f"within {self.response_days} {unit}{plural}"
        return self.response_wording or "within a reasonable time"


class ClosedDay(models.Model):
    """A per-jurisdiction override of the holiday calendar: a day the offices close, or open after all."""

    law = models.ForeignKey(Law, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField()
    closed = models.BooleanField(
        default=True,
        help_text="Checked: offices are closed that day. Unchecked: open despite a legal holiday.",
    )
    reason = models.CharField(max_length=200, help_text='e.g. "Governor closed state offices (storm)"')

    class Meta:
        ordering = ["law", "date"]
        constraints = [models.UniqueConstraint(fields=["law", "date"], name="closed_day_once_per_law")]

    def __str__(self) -> str:
        return f"{self.law.jurisdiction} {self.date}: {'closed' if self.closed else 'open'} ({self.reason})"
