"""The demo campaign: Ring's police partnerships, with the 407 agencies on Ring's map of August 2019.

The agencies come from foia/data/ring_partners_2019-08-28.csv (derived from the EFF's Atlas of Surveillance,
CC BY 4.0; see foia/data/README.md). The campaign is flagged `is_demo`, and its automatic follow-ups are off:
its agencies' contacts, made up by demo_activity, are reserved .invalid addresses.
"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from foia.findings.cells import cells_compute
from foia.findings.questions import question_save, questions_parse
from foia.imports import agencies_import, agency_file_parse
from foia.models import Campaign, FollowupMode

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "ring_partners_2019-08-28.csv"
QUESTIONS_FILE = DEMO_FILE.with_name("ring_questions.csv")

RECORDS_WANTED = """\
Contracts, memoranda of understanding and other agreements with Ring LLC or Amazon
Scripts, talking points and press-release templates that Ring provided
Emails to or from ring.com addresses
Training material about Ring products or the Neighbors portal
Logs of requests made through the Neighbors portal (Neighbors Public Safety Service)"""

FEE_WAIVER = (
    "I ask that all fees be waived. I am a journalist, and these records will be used to inform the public "
    "about how police departments work with a private company that sells home surveillance cameras. "
    "Disclosure is in the public interest and not primarily in my commercial interest."
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
    "requester_address": "100 Main Street\nSpringfield, MI 49000",
    "fee_waiver_text": FEE_WAIVER,
    "is_demo": True,
    # Simulated agencies have reserved .invalid contacts: nothing should chase them on its own.
    "followup_mode": FollowupMode.OFF,
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo campaign 'Ring partnerships with police' with Ring's 407 partners."

    def handle(self, *args, **options):
        parsed = agency_file_parse(DEMO_FILE.read_bytes())
        if not parsed.ok:
            raise CommandError(
                f"The shipped {DEMO_FILE.name} does not import:\n" + "\n".join(map(str, parsed.problems))
            )
        with transaction.atomic():
            taken = Campaign.objects.filter(tracking_prefix="RING").exclude(slug="ring-partnerships").first()
            if taken:
                raise CommandError(f"Tracking prefix RING is already used by campaign {taken.title!r}.")
            campaign, created = Campaign.objects.get_or_create(
                slug="ring-partnerships",
                defaults={**DEMO, "tracking_prefix": "RING"},
            )
            if not created and (not campaign.is_demo or campaign.followup_mode != FollowupMode.OFF):
                # A demo made by an older version: flag it, and stop its follow-ups.
                campaign.is_demo, campaign.followup_mode = True, FollowupMode.OFF
                campaign.save(update_fields=["is_demo", "followup_mode", "updated_at"])
            result = agencies_import(parsed=parsed, campaign=campaign, demo=True)
            # The founding story's questions (foia/data/ring_questions.csv); ones already there are kept.
            questions = questions_parse(QUESTIONS_FILE.read_text(encoding="utf-8"))
            known = set(campaign.questions.values_list("slug", flat=True))
            for position, row in enumerate(questions, start=1):
                if row.slug not in known:
                    question_save(question=row.as_question(campaign=campaign, position=position))
        cells_compute(campaign=campaign)  # the matrix at once; documents arriving later update it
        verb = "Created" if created else "Kept existing"
        self.stdout.write(
            f"{verb} campaign {campaign.title!r} (slug {campaign.slug}, prefix {campaign.tracking_prefix})."
        )
        self.stdout.write(f"Ring's partner agencies ({DEMO_FILE.name}): {result.summary()}.")
        self.stdout.write("Agency list: Atlas of Surveillance, Electronic Frontier Foundation (CC BY 4.0).")
        self.stdout.write(f"The campaign now has {campaign.agencies.count()} agencies.")
        self.stdout.write(f"Findings questions: {campaign.questions.count()} ({QUESTIONS_FILE.name}).")
