"""Load (create or update) the public-records law of every jurisdiction from a CSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from foia import deadlines
from foia.appeals.rules import AppealRuleError, shipped_appeal_rules
from foia.laws import DEFAULT_LAWS_FILE, LawFileError, laws_load
from foia.wording import counted


class Command(BaseCommand):
    help = "Validate and load law rows (one per jurisdiction) from foia/data/laws.csv or --file PATH."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_LAWS_FILE, help="CSV file of law rows.")
        parser.add_argument(
            "--missing-only",
            action="store_true",
            help="Only add jurisdictions not in the database yet; keep existing rows (and admin edits).",
        )

    def handle(self, *args, file: Path, missing_only: bool, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except UnicodeDecodeError as error:
            raise CommandError(f"{file}: not UTF-8 text (byte {error.start})") from None
        try:
            # The clock rules and holiday corrections ship beside laws.csv and are read from there by the
            # deadline engine; check them here too so a bad edit is reported with its line.
            deadlines.shipped_clock_rows.cache_clear()
            deadlines.shipped_holiday_fixes.cache_clear()
            deadlines.legal_holidays.cache_clear()
            deadlines.calendar_for.cache_clear()
            clocks, fixes = deadlines.shipped_clock_rows(), deadlines.shipped_holiday_fixes()
            shipped_appeal_rules.cache_clear()
            appeal_rules = shipped_appeal_rules()
        except (deadlines.RuleFileError, AppealRuleError) as error:
            raise CommandError(f"nothing loaded:\n{error}") from None
        try:
            counts = laws_load(text=text, missing_only=missing_only)
        except LawFileError as error:
            count = len(error.problems)
            raise CommandError(f"{file}: nothing loaded, {counted(count, 'problem')}:\n{error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Laws from {file}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged."
            )
        )
        corrections = sum(len(rows) for rows in fixes.values())
        self.stdout.write(
            f"Clock rules for {len(clocks)} jurisdictions (clocks.csv); {corrections} holiday corrections "
            f"(holidays.csv); appeal rules for {len(appeal_rules)} jurisdictions (appeals.csv)."
        )
