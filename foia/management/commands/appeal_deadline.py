"""`manage.py appeal_deadline STATE DECISION_DATE [--deemed]`: the requester's last day to appeal (or `none` /
`no-limit`) on the first line, then `body:`, `file by:` and `decision within:`, always in that order."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from foia import deadlines
from foia.appeals.rules import AppealRuleError, appeal_window, response_start, shipped_appeal_rules
from foia.models import Law


class Command(BaseCommand):
    help = (
        "Print the last day to file an administrative appeal of a denial dated DECISION_DATE "
        "(YYYY-MM-DD; `none` where the only path is court, `no-limit` where there is no deadline)."
    )

    def add_arguments(self, parser):
        parser.add_argument("state", help='Postal code, e.g. "PA"; "DC"; "US" for the federal FOIA.')
        parser.add_argument("decision_date", help="YYYY-MM-DD: the date on the denial (day 0).")
        parser.add_argument(
            "--deemed",
            action="store_true",
            help="DECISION_DATE is the day the agency's response deadline passed without an answer.",
        )

    def handle(self, *args, state, decision_date, deemed, **options):
        try:
            code = deadlines.check_jurisdiction(state)
        except deadlines.DeadlineError as error:
            raise CommandError(str(error)) from None
        try:
            decided_on = datetime.date.fromisoformat(decision_date.strip())
        except ValueError:
            raise CommandError(
                f'Bad decision date "{decision_date}": use YYYY-MM-DD, e.g. 2026-03-09.'
            ) from None
        try:
            rule = shipped_appeal_rules().get(code)
        except AppealRuleError as error:
            raise CommandError(f"foia/data/appeals.csv has problems:\n{error}") from None
        if rule is None:
            raise CommandError(f"No appeal rule for {code} in foia/data/appeals.csv.")
        law = Law.objects.filter(jurisdiction=code).prefetch_related("closed_days").first()
        overrides = deadlines.overrides_from(law.closed_days.all()) if law else ()
        calendar = deadlines.calendar_for(code, overrides)
        requested_on = None
        if deemed and rule.deemed == "request" and rule.has_limit:
            if law is None or law.response_days is None:
                raise CommandError(f"No response period for {code}: run `manage.py load_laws` first.")
            # Silence runs the appeal clock from the request: the day whose response deadline this was.
            requested_on = response_start(
                calendar=calendar,
                deadline_on=decided_on,
                response_days=law.response_days,
                day_type=law.day_type,
            )
        window = appeal_window(
            rule=rule, calendar=calendar, decided_on=decided_on, deemed=deemed, requested_on=requested_on
        )
        self.stdout.write(window.first_line)
        self.stdout.write(f"body: {rule.body}")
        self.stdout.write(f"file by: {rule.file_how}")
        self.stdout.write(f"decision within: {rule.decision_text()}")
        if options["verbosity"] > 1:
            self.stdout.write(f"rule: {window.rule}")
