"""Simulated weeks of activity on the demo campaign, so a fresh install's dashboard has something to show.

    manage.py load_demo && manage.py demo_activity

Only touches the demo campaign (slug "ring-partnerships", made by load_demo), and only while none of its
requests has been sent: it writes the drafts, marks most of them sent on dates spread over the last weeks
(through foia.lifecycle, so due dates follow each state's law), records answers through the lifecycle, then
moves the answer dates back to plausible days, and stores a small text document on each completed request.
Every simulated event says "(demo)". Never run it on a newsroom's real campaign: it invents history.
"""

import datetime
import io
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from foia.models import Campaign, DocumentKind, RecordsRequest, SendMethod, Status
from foia.models.request import CLOSED_STATUSES

DEMO_SLUG = "ring-partnerships"
# (status the agency answered with, weight); None: no answer yet.
OUTCOMES = [
    (None, 30),
    (Status.ACKNOWLEDGED, 15),
    (Status.PROCESSING, 10),
    (Status.PAYMENT_REQUIRED, 5),
    (Status.COMPLETED, 20),
    (Status.PARTIAL, 5),
    (Status.REJECTED, 8),
    (Status.NO_RECORDS, 7),
]
KINDS = [DocumentKind.CONTRACT, DocumentKind.MOU, DocumentKind.SCRIPT, DocumentKind.CORRESPONDENCE]


class Command(BaseCommand):
    help = "Simulate weeks of sending and answers on the demo campaign (load_demo first). Demo data only."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=10, help="Spread the sends over this many weeks.")
        parser.add_argument("--seed", type=int, default=2019, help="Same seed, same simulated history.")

    def handle(self, *args, weeks, seed, **options):
        from foia.campaigns import CampaignError, campaign_generate_requests

        campaign = Campaign.objects.filter(slug=DEMO_SLUG).first()
        if campaign is None:
            raise CommandError("No demo campaign: run `manage.py load_demo` first.")
        if campaign.requests.exclude(status=Status.DRAFT).exists():
            self.stdout.write("The demo campaign already has activity; nothing changed.")
            return
        if weeks < 1:
            raise CommandError("--weeks must be at least 1.")
        try:
            campaign_generate_requests(campaign=campaign)
        except CampaignError as error:
            raise CommandError("The demo letters cannot be written: " + "; ".join(error.messages)) from None
        rng = random.Random(seed)
        counts = {"sent": 0, "answered": 0, "documents": 0}
        drafts = campaign.requests.filter(status=Status.DRAFT).select_related("agency").order_by("pk")
        for records_request in drafts:
            if rng.random() < 0.08:
                continue  # a few stay drafts, as in real campaigns
            self._simulate(records_request, rng, weeks, counts)
        self.stdout.write(
            f"Demo campaign {campaign.title!r}: {counts['sent']} sent, {counts['answered']} answered, "
            f"{counts['documents']} documents. Open the dashboard: /dashboard/campaigns/{campaign.pk}/"
        )

    def _simulate(
        self, records_request: RecordsRequest, rng: random.Random, weeks: int, counts: dict
    ) -> None:
        from foia.documents import document_set_kind, document_store
        from foia.lifecycle import LifecycleError, request_mark_sent, request_transition

        now = timezone.now()
        sent_at = now - datetime.timedelta(days=rng.randint(2, weeks * 7), hours=rng.randint(0, 6))
        method = SendMethod.EMAIL if records_request.agency.email else SendMethod.MAIL
        outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        with transaction.atomic():
            try:
                request_mark_sent(
                    records_request=records_request, sent_at=sent_at, method=method, reference="demo"
                )
                counts["sent"] += 1
                if outcome is None:
                    return
                request_transition(
                    records_request=records_request,
                    to_status=outcome,
                    note="Answer (demo)",
                    fee_amount="25.00" if outcome == Status.PAYMENT_REQUIRED else None,
                    exemptions="Exemption cited (demo)" if outcome == Status.REJECTED else "",
                )
            except LifecycleError as error:
                self.stderr.write(f"{records_request.tracking_number}: skipped ({'; '.join(error.messages)})")
                return
            age_days = (now - sent_at).total_seconds() / 86400
            answered_at = sent_at + datetime.timedelta(days=rng.uniform(0.5, min(45, age_days)))
            closed_at = answered_at if outcome in CLOSED_STATUSES else None
            RecordsRequest.objects.filter(pk=records_request.pk).update(
                first_response_at=answered_at, closed_at=closed_at
            )
            counts["answered"] += 1
            if outcome in (Status.COMPLETED, Status.PARTIAL):
                kind = rng.choice(KINDS)
                text = f"Demo document: {kind.label} from {records_request.agency.name}.\n".encode()
                stored = document_store(
                    fileobj=io.BytesIO(text), name=f"{kind.value}.txt", records_request=records_request
                )
                for link in stored.links:
                    document_set_kind(document=link.document, kind=kind)
                    counts["documents"] += 1
