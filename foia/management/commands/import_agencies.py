"""Import agencies from a CSV file (any common header names), optionally into a campaign."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from foia.imports import AgencyImportError, agencies_import, agency_file_parse, campaign_for_import
from foia.wording import counted


class Command(BaseCommand):
    help = "Validate a CSV of agencies and create/update them; a file with any problem imports nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file (UTF-8, with a header row).")
        parser.add_argument("--campaign", help="Add the agencies to this campaign (created when missing).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")

    def handle(self, *args, file: Path, campaign: str | None, dry_run: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        # Progress on stderr, only when someone watches (tqdm disables itself when stderr is not a tty).
        bar = {"file": sys.stderr, "disable": None, "unit": " rows", "desc": "Checking", "leave": False}
        parsed = agency_file_parse(data, progress=lambda rows: tqdm(rows, **bar))
        if not parsed.ok:
            problems = "\n".join(f"  {problem}" for problem in parsed.problems)
            count = counted(len(parsed.problems), "problem")
            raise CommandError(f"{file}: nothing imported, {count}:\n{problems}")
        with transaction.atomic():
            target, created = (None, False)
            if campaign and not dry_run:
                target, created = campaign_for_import(name=campaign)
            try:
                result = agencies_import(parsed=parsed, campaign=target, dry_run=dry_run)
            except AgencyImportError as error:
                raise CommandError(f"{file}: nothing imported:\n{error}") from None
        for notice in sorted([*parsed.notices, *result.notices], key=lambda notice: notice.line):
            self.stdout.write(f"  note: {notice}")
        if created:
            self.stdout.write(
                f"Created campaign {target.title!r} (slug {target.slug}, prefix {target.tracking_prefix})."
            )
        self.stdout.write(self.style.SUCCESS(f"Agencies from {file}: {result.summary()}."))
        if result.needing_contact:
            count = result.needing_contact
            self.stdout.write(
                f"{count} agencies have no email, portal, address or fax: flagged as needing a contact."
            )
