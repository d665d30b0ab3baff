"""The demo campaign: Ring's police partnerships, with the Ring sample agencies imported into it."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from foia.imports import agencies_import, agency_file_parse
from foia.models import Campaign

SAMPLE_FILE = Path(__file__).resolve().parents[2] / "data" / "ring_agencies_sample.csv"

RECORDS_WANTED = """\
Contracts, memoranda of understanding and other agreements with Ring LLC or Amazon
Scripts, talking points and press-release templates that Ring provided
Emails to or from ring.com addresses
Training material about Ring products or the Neighbors portal
Logs of requests made through the Neighbors portal (Neighbors Public Safety Service)"""

FEE_WAIVER = (
    "I ask that all fees be waived. I am a journalist, and these records will be used to inform the public "
    "about how police departments work with a private company that sells home surveillance cameras. "
    "Disclosure is in the public interest and not primarily in my commercial interest. If fees cannot be "
    "waived, please tell me before incurring costs over the cap given above."
)

DEMO = {
    "title": "Ring partnerships with police",
    "description": (
        "In August 2019 Ring said 405 law-enforcement agencies had partnered with it. We ask each partner "
        "department for its agreements with Ring and Amazon and the material Ring gave it."
    ),
    "records_wanted": RECORDS_WANTED,
    "date_from": datetime.date(2018, 1, 1),
    "requester_name": "Demo Reporter",
    "requester_outlet": "Demo Newsroom",
    "requester_email": "demo.reporter@newsroom.example",
    "requester_address": "Demo Newsroom\n100 Main Street\nSpringfield, MI 49000",
    "fee_waiver_text": FEE_WAIVER,
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo campaign 'Ring partnerships with police' and import the Ring sample."

    def handle(self, *args, **options):
        parsed = agency_file_parse(SAMPLE_FILE.read_bytes())
        if not parsed.ok:
            raise CommandError(
                "The shipped Ring sample does not import:\n" + "\n".join(map(str, parsed.problems))
            )
        with transaction.atomic():
            taken = Campaign.objects.filter(tracking_prefix="RING").exclude(slug="ring-partnerships").first()
            if taken:
                raise CommandError(f"Tracking prefix RING is already used by campaign {taken.title!r}.")
            campaign, created = Campaign.objects.get_or_create(
                slug="ring-partnerships",
                defaults={**DEMO, "tracking_prefix": "RING", "date_to": timezone.localdate()},
            )
            result = agencies_import(parsed=parsed, campaign=campaign)
        verb = "Created" if created else "Kept existing"
        self.stdout.write(
            f"{verb} campaign {campaign.title!r} (slug {campaign.slug}, prefix {campaign.tracking_prefix})."
        )
        self.stdout.write(f"Ring sample agencies ({SAMPLE_FILE.name}): {result.summary()}.")
        self.stdout.write(f"The campaign now has {campaign.agencies.count()} agencies.")
