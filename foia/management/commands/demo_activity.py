"""Simulated weeks of activity on the demo campaign, so a fresh install's dashboard has something to show.

    manage.py load_demo && manage.py demo_activity

Only touches the demo campaign (`Campaign.is_demo`, made by load_demo), and only while none of its requests
has been sent. The history it invents holds together: each agency sent a request gets a simulated contact
for that channel (a reserved `.invalid` email address or portal, the agency flagged `is_demo`); each sent
letter is dated its send day and is the text the timeline, the email and any follow-up show; answers come
after the send, and every event, reference, message and document says "simulated". Some drafts
get a simulated email address (ready to generate and send), others none (to show the "needs contact" path).
Never run it on a newsroom's real campaign: it invents history.
"""

import datetime
import io
import random
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from foia.models import (
    Agency,
    Campaign,
    Communication,
    CommunicationChannel,
    Direction,
    DocumentKind,
    RecordsRequest,
    RequestEvent,
    RequestEventKind,
    SendMethod,
    Status,
)
from foia.models.communication import DeliveryState
from foia.models.request import CLOSED_STATUSES

DEMO_SLUG = "ring-partnerships"
SIMULATED = "simulated"
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
PORTAL_SHARE = 0.2  # of the agencies sent a request, this many take it through a (simulated) portal
DRAFT_SHARE = 0.08  # requests left as drafts, as in real campaigns; half of them get an email address


def simulated_contact(agency: Agency, channel: str) -> dict:
    """Contact fields for a demo agency on the reserved .invalid domain (RFC 2606): never delivered."""
    host = f"{slugify(agency.name)[:40].strip('-') or 'agency'}.{agency.state.lower()}.invalid"
    if channel == SendMethod.PORTAL:
        return {"portal_url": f"https://records.{host}/", "portal_name": "Simulated records portal"}
    return {"email": f"records@{host}"}


class Command(BaseCommand):
    help = "Simulate weeks of sending and answers on the demo campaign (load_demo first). Demo data only."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=10, help="Spread the sends over this many weeks.")
        parser.add_argument("--seed", type=int, default=2019, help="Same seed, same simulated history.")

    def handle(self, *args, weeks, seed, **options):
        from foia.campaigns import CampaignError, campaign_generate_requests

        campaign = Campaign.objects.filter(slug=DEMO_SLUG, is_demo=True).first()
        if campaign is None:
            raise CommandError("No demo campaign: run `manage.py load_demo` first.")
        if campaign.requests.exclude(status=Status.DRAFT).exists():
            self.stdout.write("The demo campaign already has activity; nothing changed.")
            return
        if weeks < 1:
            raise CommandError("--weeks must be at least 1.")
        rng = random.Random(seed)
        plan = self._plan_channels(campaign, rng)
        try:
            campaign_generate_requests(campaign=campaign)
        except CampaignError as error:
            raise CommandError("The demo letters cannot be written: " + "; ".join(error.messages)) from None
        counts = {"sent": 0, "answered": 0, "documents": 0}
        drafts = campaign.requests.filter(status=Status.DRAFT).select_related("agency", "campaign")
        with transaction.atomic():  # one commit, not one per request: make run stays quick on SQLite
            for records_request in drafts.order_by("pk"):
                channel = plan.get(records_request.agency_id)
                if channel:
                    self._simulate(records_request, channel, rng, weeks, counts)
        self.stdout.write(
            f"Demo campaign {campaign.title!r} (simulated activity): {counts['sent']} sent, "
            f"{counts['answered']} answered, {counts['documents']} documents. "
            f"Open the dashboard: /dashboard/campaigns/{campaign.pk}/"
        )

    def _plan_channels(self, campaign: Campaign, rng: random.Random) -> dict[int, str]:
        """Pick who is sent a request and how; give those agencies (and some drafts) simulated contacts."""
        plan, changed = {}, []
        for agency in campaign.agencies.order_by("state", "name"):
            draft = rng.random() < DRAFT_SHARE
            channel = SendMethod.PORTAL if rng.random() < PORTAL_SHARE else SendMethod.EMAIL
            if draft and rng.random() < 0.5:
                continue  # stays without a contact: the "needs contact" path
            if not draft:
                plan[agency.pk] = channel
            if agency.needs_contact:
                for field, value in simulated_contact(agency, channel if not draft else "email").items():
                    setattr(agency, field, value)
                agency.is_demo = True
                changed.append(agency)
            elif not draft:
                plan[agency.pk] = agency.contact_method  # a real contact someone added: use its channel
        Agency.objects.bulk_update(changed, ["email", "portal_url", "portal_name", "is_demo"], batch_size=200)
        return plan

    def _simulate(
        self, records_request: RecordsRequest, channel: str, rng: random.Random, weeks: int, counts: dict
    ) -> None:
        from foia.lifecycle import LifecycleError, request_mark_sent, request_transition

        now = timezone.now()
        sent_at = now - datetime.timedelta(days=rng.randint(2, weeks * 7), hours=rng.randint(0, 6))
        outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        age_days = (now - sent_at).total_seconds() / 86400
        answered_at = sent_at + datetime.timedelta(days=rng.uniform(0.5, min(45, age_days)))
        reference = f"SIM-{rng.randint(10000, 99999)} ({SIMULATED})" if channel == SendMethod.PORTAL else ""
        with transaction.atomic():
            try:
                self._date_letter(records_request, sent_at)
                request_mark_sent(
                    records_request=records_request,
                    sent_at=sent_at,
                    method=channel,
                    reference=reference or SIMULATED,
                )
                self._record_email(records_request, sent_at)
                sent_events = list(records_request.events.values_list("pk", flat=True))
                counts["sent"] += 1
                if outcome is not None:
                    request_transition(
                        records_request=records_request,
                        to_status=outcome,
                        note=f"Answer ({SIMULATED}).",
                        today=timezone.localdate(answered_at),
                        **self._answer_details(outcome),
                    )
            except LifecycleError as error:
                self.stderr.write(f"{records_request.tracking_number}: skipped ({'; '.join(error.messages)})")
                transaction.set_rollback(True)
                return
            if outcome is None:
                self._backdate(records_request, sent_events, sent_at, None)
                return
            closed_at = answered_at if outcome in CLOSED_STATUSES else None
            RecordsRequest.objects.filter(pk=records_request.pk).update(
                first_response_at=answered_at, closed_at=closed_at
            )
            counts["answered"] += 1
            if outcome in (Status.COMPLETED, Status.PARTIAL):
                counts["documents"] += self._document(records_request, rng)
            self._backdate(records_request, sent_events, sent_at, answered_at)

    @staticmethod
    def _answer_details(outcome: str) -> dict:
        if outcome == Status.PAYMENT_REQUIRED:
            return {"fee_amount": Decimal("25.00")}
        if outcome == Status.REJECTED:
            return {"exemptions": f"Ongoing investigation ({SIMULATED})"}
        return {}

    @staticmethod
    def _date_letter(records_request: RecordsRequest, sent_at: datetime.datetime) -> None:
        """Rewrite the draft's letter dated the day it is sent: the words sent are the words kept."""
        from foia.letters import letter_render

        letter = letter_render(records_request=records_request, today=timezone.localdate(sent_at))
        records_request.letter_subject, records_request.letter_body = letter.subject, letter.text
        RecordsRequest.objects.filter(pk=records_request.pk).update(
            letter_subject=letter.subject, letter_body=letter.text, letter_state="", letter_pdf=""
        )

    @staticmethod
    def _record_email(records_request: RecordsRequest, sent_at: datetime.datetime) -> None:
        """The simulated email on the timeline, as the real sender records one (never delivered)."""
        if records_request.send_method != SendMethod.EMAIL:
            return
        Communication.objects.create(
            request=records_request,
            direction=Direction.OUTGOING,
            channel=CommunicationChannel.EMAIL,
            subject=f"{records_request.letter_subject} ({SIMULATED})",
            body=records_request.letter_body,
            to_address=records_request.agency.email,
            idempotency_key=f"send:{records_request.pk}",
            delivery_state=DeliveryState.SENT,
            occurred_at=sent_at,
        )

    @staticmethod
    def _backdate(records_request, sent_events: list[int], sent_at, answered_at) -> None:
        """Events happened on the simulated days, not today: the timeline reads in order."""
        events = RequestEvent.objects.filter(request=records_request)
        events.filter(kind=RequestEventKind.CREATED).update(created_at=sent_at - datetime.timedelta(hours=1))
        events.filter(pk__in=sent_events).exclude(kind=RequestEventKind.CREATED).update(created_at=sent_at)
        if answered_at:
            events.exclude(pk__in=sent_events).update(created_at=answered_at)

    @staticmethod
    def _document(records_request: RecordsRequest, rng: random.Random) -> int:
        from foia.documents import document_set_kind, document_store

        kind = rng.choice(KINDS)
        text = f"Simulated document ({kind.label}) from {records_request.agency.name}: demo data.\n".encode()
        stored = document_store(
            fileobj=io.BytesIO(text), name=f"{kind.value}-{SIMULATED}.txt", records_request=records_request
        )
        for link in stored.links:
            document_set_kind(document=link.document, kind=kind)
        return len(stored.links)
