"""`manage.py deadline STATE SENT_DATE [...]`: the due date on the first line, then received, acknowledge by,
rule and skipped, always in that order."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from foia import deadlines
from foia.clocks import LifecycleError, business_hours_end, calendar_for_law
from foia.lifecycle import requests_recompute_due
from foia.models import Law
from foia.models.request import SendMethod
from foia.wording import counted


def _date(value: str, option: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f'Bad date "{value}" for {option}: use YYYY-MM-DD.') from None


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
            "--time", default="09:00", help="HH:MM the newsroom's local time of sending (default 09:00)."
        )
        parser.add_argument("--via", default="email", choices=SendMethod.values, help="default: email")
        parser.add_argument("--received", default="", help="YYYY-MM-DD the agency actually received it.")
        parser.add_argument("--acknowledged", default="", help="YYYY-MM-DD the agency acknowledged it.")
        parser.add_argument("--paused", default="", help="YYYY-MM-DD the clock paused (clarification, fees).")
        parser.add_argument("--resumed", default="", help="YYYY-MM-DD the clock ran again.")
        parser.add_argument(
            "--older-records", action="store_true", help="Use the law's record-age track where it has one."
        )

    def handle(self, *args, state, sent_date, recompute, **options):
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
            sent_time = datetime.time.fromisoformat(options["time"])
        except ValueError:
            raise CommandError(
                f'Bad date "{sent_date}" or time "{options["time"]}": use YYYY-MM-DD and HH:MM.'
            ) from None
        received_on = _date(options["received"], "--received")
        acknowledged_on = _date(options["acknowledged"], "--acknowledged")
        paused_on = _date(options["paused"], "--paused")
        resumed_on = _date(options["resumed"], "--resumed")
        if bool(paused_on) != bool(resumed_on):
            raise CommandError("Give --paused and --resumed together.")
        if paused_on and resumed_on < paused_on:
            raise CommandError(f"--resumed {resumed_on} is before --paused {paused_on}.")
        law = Law.objects.for_jurisdiction(code)
        if law is None:
            raise CommandError(f"No law data for {code}: run `manage.py load_laws` or add it in the admin.")
        try:
            lines = self.compute(
                law,
                sent_on,
                sent_time,
                options["via"],
                received_on,
                acknowledged_on,
                paused_on,
                resumed_on,
                options["older_records"],
            )
        except (LifecycleError, deadlines.DeadlineError) as error:
            message = error.messages[0] if isinstance(error, LifecycleError) else str(error)
            raise CommandError(message) from None
        for line in lines:
            self.stdout.write(line)
        for note in self.notes:
            self.stderr.write(f"note: {note}")

    def compute(
        self, law, sent_on, sent_time, via, received_on, acknowledged_on, paused_on, resumed_on, older
    ):
        calendar = calendar_for_law(law)
        terms = deadlines.terms_for(law)
        if older:
            if not terms.row.older_after_months:
                raise CommandError(f"{law.jurisdiction} has no record-age track; drop --older-records.")
            terms = terms.older()
        zone = deadlines.time_zone_for(law.jurisdiction)
        sent_at = datetime.datetime.combine(sent_on, sent_time, tzinfo=ZoneInfo(settings.TIME_ZONE))
        receipt = deadlines.receipt(
            sent_at,
            terms=terms,
            calendar=calendar,
            tz=ZoneInfo(zone),
            business_hours_end=business_hours_end(),
            via=via,
            received_on=received_on,
        )
        clock = deadlines.clock(
            terms=terms,
            calendar=calendar,
            received_on=receipt.received_on,
            acknowledged_on=acknowledged_on,
            default_followup_days=settings.FOIA_DEFAULT_FOLLOWUP_DAYS,
        )
        due, skipped = clock.due, dict(receipt.skipped + clock.skipped)
        if paused_on:
            if paused_on < receipt.received_on:
                raise CommandError(f"--paused {paused_on} is before receipt ({receipt.received_on}).")
            left = deadlines.clock_days_left(
                terms=terms, calendar=calendar, today=paused_on, due_on=due.due_on
            )
            skipped = {day: name for day, name in skipped.items() if day <= paused_on}
            due = deadlines.resumed(terms=terms, calendar=calendar, resumed_on=resumed_on, days=left)
            due = deadlines.Deadline(
                due.due_on,
                f"paused {paused_on}, resumed {resumed_on}: {due.rule}",
                due.is_statutory,
                due.holidays_skipped,
            )
            skipped.update(due.holidays_skipped)
        self.notes = self.acknowledgment_notes(law.jurisdiction, terms, calendar, clock, acknowledged_on)
        estimated = " (estimated)" if receipt.estimated else ""
        ack = "none"
        if clock.ack:
            ack = f"{clock.ack.due_on.isoformat()} ({clock.ack.rule}"
            ack += f"; acknowledged {acknowledged_on})" if acknowledged_on else ")"
        rule = due.rule if due.is_statutory else f"{due.rule}: target {due.due_on.isoformat()}"
        skipped_text = "; ".join(f"{day.isoformat()} {name}" for day, name in sorted(skipped.items()))
        return [
            due.due_on.isoformat() if due.is_statutory else "none",
            f"received: {receipt.received_on.isoformat()}{estimated} ({receipt.reason})",
            f"acknowledge by: {ack}",
            f"rule: {rule}",
            f"skipped: {skipped_text or 'none'}",
        ]

    @staticmethod
    def acknowledgment_notes(code, terms, calendar, clock, acknowledged_on) -> list[str]:
        """Why --acknowledged changed nothing (a one-clock law), or that the acknowledgment was late."""
        if acknowledged_on is None:
            return []
        if clock.ack is None:
            return [
                f"{code} has one clock (no acknowledgment deadline): --acknowledged {acknowledged_on} "
                "changes no date."
            ]
        notes = []
        if not terms.two_stage:
            notes.append(
                f"{code} counts the response from receipt, not from the acknowledgment: --acknowledged "
                f"{acknowledged_on} does not move the due date."
            )
        late = deadlines.ack_lateness(
            terms=terms, calendar=calendar, ack_due_on=clock.ack.due_on, acknowledged_on=acknowledged_on
        )
        if late:
            notes.append(f"{late} (acknowledgment was due {clock.ack.due_on}).")
        return notes

    def recompute(self, code: str) -> None:
        law = Law.objects.for_jurisdiction(code)
        if law is None:
            raise CommandError(f"No law data for {code}: run `manage.py load_laws` or add it in the admin.")
        try:
            moved = requests_recompute_due(
                law=law, reason="law or closed days edited; `deadline --recompute`"
            )
        except LifecycleError as error:
            raise CommandError(error.messages[0]) from None
        self.stdout.write(f"{counted(moved, 'open request')} in {code} got a new due date.")
