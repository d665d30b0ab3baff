"""Import replies saved as .eml or .mbox files: each message is matched, stored once and filed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from foia.mail import MailError
from foia.mail_sources import mail_import


class Command(BaseCommand):
    help = "Import agency replies from .eml or .mbox files (every message of a file, or none if malformed)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="Paths to .eml or .mbox files")

    def handle(self, *args, files, **options):
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file.")
            try:
                results = mail_import(data=path.read_bytes(), filename=path.name)
            except MailError as exc:
                raise CommandError(f"Nothing imported from {name}: {exc}") from None
            for result in results:
                communication = result.communication
                where = communication.request.tracking_number if communication.request else "unsorted inbox"
                state = "stored" if result.created else "already stored"
                self.stdout.write(f"{state}: {communication.subject or '(no subject)'} -> {where}")
                for rejected in result.rejected:
                    self.stderr.write(f"  attachment refused: {rejected.name}: {rejected.reason}")
