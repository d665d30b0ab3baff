"""Agencies that receive requests."""

import re
import unicodedata
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property

from .law import Law

# The fields that say where a request goes: changing a stored one is an editor's job (it redirects letters).
CONTACT_FIELDS = ("email", "portal_url", "portal_name", "address", "phone", "fax")


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police department"
    SHERIFF = "sheriff", "Sheriff's office"
    PUBLIC_SAFETY = "public_safety", "Public safety department"
    STATE_POLICE = "state_police", "State police"
    CITY = "city", "City or town government"
    COUNTY = "county", "County government"
    STATE_AGENCY = "state_agency", "State agency"
    FEDERAL = "federal", "Federal agency"
    OTHER = "other", "Other"


def normalize_agency_name(name: str) -> str:
    """A key for "the same agency": case, accents, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return " ".join(text.split())


def _no_contact() -> Q:
    """No email that works (none, or the one that bounced), no portal, postal address or fax."""
    no_email = Q(email="") | Q(email__iexact=F("bounced_email"))
    return no_email & Q(portal_url="", address="", fax="")


class AgencyQuerySet(models.QuerySet):
    def needing_contact(self):
        """Agencies with no way to send them a request yet (a bounced email does not count)."""
        return self.filter(_no_contact())

    def namesakes(self, *, name: str, state: str, city: str):
        """Agencies a new one of this name, state and city would duplicate.

        Namesakes in two different cities are different agencies; without a city on either side they are taken
        to be the same one (as an import would: a row without a city matches the only agency of its name).
        """
        place = normalize_agency_name(city)
        same_place = Q(place_key=place) | Q(place_key="") if place else Q()
        return self.filter(same_place, normalized_name=normalize_agency_name(name), state=state)

    def with_contact(self):
        return self.exclude(_no_contact())

    def needing_contact_for(self, campaign):
        """Agencies with no contact this campaign may use: simulated demo contacts count only in the demo.

        `Campaign.is_demo` may not exist (the demo is being rebuilt); without it every campaign is real.
        """
        if getattr(campaign, "is_demo", False):
            return self.needing_contact()
        return self.filter(_no_contact() | Q(is_demo=True))


class Agency(models.Model):
    name = models.CharField(max_length=300, help_text='e.g. "Auburn Hills Police Department"')
    normalized_name = models.CharField(max_length=300, editable=False, db_index=True)
    state = models.CharField(
        max_length=2, help_text='Jurisdiction whose law applies: postal code, or "US" for federal agencies.'
    )
    city = models.CharField(max_length=120, blank=True)
    # The city as a key: two agencies of one name in one state are different agencies when their cities differ
    # (New Jersey has several "Washington Township Police Department"s); empty when the city is not known.
    place_key = models.CharField(max_length=120, blank=True, default="", editable=False)
    county = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices, default=AgencyKind.POLICE)
    email = models.EmailField(blank=True, help_text="Records officer's address, e.g. foia@city.gov")
    portal_url = models.URLField(blank=True, max_length=500, help_text="Online records portal, if any.")
    portal_name = models.CharField(max_length=120, blank=True, help_text='e.g. "NextRequest", "GovQA"')
    address = models.TextField(blank=True, help_text="Postal address, several lines.")
    phone = models.CharField(max_length=40, blank=True)
    fax = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text='Only outside the state\'s main zone, e.g. "America/Denver" for El Paso; '
        "decides after-hours receipt and the agency's today.",
    )
    extra = models.JSONField(
        default=dict, blank=True, help_text="Columns from an import this model has no field for."
    )
    is_demo = models.BooleanField(
        default=False,
        help_text="Simulated demo data (contacts at reserved .invalid addresses), never offered elsewhere.",
    )
    contact_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Who last changed the email, portal, address, phone or fax (web form or import).",
    )
    contact_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Mail side (foia.mail_reports): the email is bad while it equals the address that bounced; typing a
    # new one makes it good again without anyone clearing a flag.
    bounced_email = models.EmailField(blank=True, editable=False, help_text="The address that bounced.")
    bounced_at = models.DateTimeField(null=True, blank=True, editable=False)
    portal_suggestion_url = models.URLField(
        blank=True, max_length=500, editable=False, help_text="A records portal an agency reply pointed to."
    )
    portal_suggestion_name = models.CharField(max_length=120, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["state", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(
                fields=["normalized_name", "state", "place_key"], name="agency_unique_name_state_place"
            ),
            models.CheckConstraint(condition=~Q(normalized_name=""), name="agency_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    def save(self, *args, **kwargs):
        self.name = " ".join(self.name.split())  # no CR/LF: the name reaches email headers (API, admin)
        self.normalized_name = normalize_agency_name(self.name)
        self.place_key = normalize_agency_name(self.city)
        super().save(*args, **kwargs)

    def clean(self):
        same = Agency.objects.namesakes(name=self.name, state=self.state, city=self.city).exclude(pk=self.pk)
        if self.name and same.exists():
            where = ", ".join(filter(None, [same[0].city, self.state]))
            raise ValidationError({"name": f"An agency with this name already exists in {where}."})
        self.time_zone = self.time_zone.strip()
        if self.time_zone and self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError(
                {"time_zone": f'"{self.time_zone}" is not a time zone name; use e.g. "America/Denver".'}
            )

    @cached_property
    def law(self):
        """The public-records law of the agency's jurisdiction (Law.objects.for_jurisdiction), or None."""
        return Law.objects.for_jurisdiction(self.state)

    @property
    def email_bounced(self) -> bool:
        return bool(self.email) and self.email.strip().lower() == self.bounced_email.strip().lower()

    @property
    def usable_email(self) -> str:
        return "" if self.email_bounced else self.email

    @property
    def needs_contact(self) -> bool:
        return not (self.usable_email or self.portal_url or self.address or self.fax)

    @property
    def contact_method(self) -> str:
        """How this agency takes requests: "email", else "portal", "mail" or "fax"; "" when it has no contact.

        The values are shared by SendMethod and CommunicationChannel.
        """
        channels = (("email", self.usable_email), ("portal", self.portal_url), ("mail", self.address))
        for method, value in channels:
            if value:
                return method
        return "fax" if self.fax else ""
