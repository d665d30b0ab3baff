"""`manage.py deadline STATE SENT_DATE`: the due date on the first line, then the rule and holidays."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from foia import deadlines
from foia.lifecycle import LifecycleError, business_hours_end, calendar_for_law, requests_recompute_due
from foia.models import Law


class Command(BaseCommand):
    help = "Print the due date (YYYY-MM-DD, or `none` where the law sets no number) for a sent date."

    def add_arguments(self, parser):
        parser.add_argument("state", help='Postal code, e.g. "MI"; "US" for the federal FOIA.')
        parser.add_argument("sent_date", nargs="?", default="", help="YYYY-MM-DD")
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="Instead: recompute the due dates of open requests in STATE (after editing closed days).",
        )
        parser.add_argument(
            "--time", default="", help="HH:MM local time it was sent (after hours counts next day)."
        )

    def handle(self, *args, state, sent_date, time, recompute, **options):
        try:
            code = deadlines.check_jurisdiction(state)
        except deadlines.DeadlineError as error:
            raise CommandError(str(error)) from None
        if recompute:
            return self.recompute(code)
        if not sent_date:
            raise CommandError("Give the sent date: manage.py deadline STATE YYYY-MM-DD")
        try:
            sent_on = datetime.date.fromisoformat(sent_date)
            sent_time = datetime.time.fromisoformat(time) if time else datetime.time(9, 0)
        except ValueError:
            raise CommandError(
                f'Bad date "{sent_date}" or time "{time}": use YYYY-MM-DD and HH:MM.'
            ) from None
        law = Law.objects.filter(jurisdiction=code).prefetch_related("closed_days").first()
        if law is None:
            raise CommandError(f"No law data for {code}: run `manage.py load_laws` or add it in the admin.")
        try:
            calendar = calendar_for_law(law)
            received = self.received(calendar, sent_on, sent_time)
        except LifecycleError as error:
            raise CommandError(error.messages[0]) from None
        due = deadlines.response_due(
            law=law,
            received_on=received,
            calendar=calendar,
            default_followup_days=settings.FOIA_DEFAULT_FOLLOWUP_DAYS,
        )
        ack = deadlines.ack_due(law=law, received_on=received, calendar=calendar)
        self.stdout.write(due.due_on.isoformat() if due.is_statutory else "none")
        self.stdout.write(f"Rule: {due.rule}")
        if not due.is_statutory:
            self.stdout.write(f"Follow-up target (not statutory): {due.due_on.isoformat()}")
        self.stdout.write(f"Received: {received.isoformat()} (sent {sent_on.isoformat()} {sent_time:%H:%M})")
        if ack:
            self.stdout.write(f"Acknowledgment: {ack.due_on.isoformat()} ({ack.rule})")
        self.stdout.write(f"Holidays skipped: {due.holidays_text}")

    def received(self, calendar, sent_on: datetime.date, sent_time: datetime.time) -> datetime.date:
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(settings.TIME_ZONE)
        sent_at = datetime.datetime.combine(sent_on, sent_time, tzinfo=tz)
        return deadlines.received_on_for(
            sent_at, calendar=calendar, tz=tz, business_hours_end=business_hours_end()
        )

    def recompute(self, code: str) -> None:
        law = Law.objects.filter(jurisdiction=code).prefetch_related("closed_days").first()
        if law is None:
            raise CommandError(f"No law data for {code}: run `manage.py load_laws` or add it in the admin.")
        try:
            moved = requests_recompute_due(
                law=law, reason="law or closed days edited; `deadline --recompute`"
            )
        except LifecycleError as error:
            raise CommandError(error.messages[0]) from None
        self.stdout.write(f"{moved} open request(s) in {code} got a new due date.")
