"""Print a campaign's findings matrix (CSV or JSON), after loading questions from a CSV if given."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from foia.findings.cells import cells_compute
from foia.findings.matrix import COLUMNS, matrix_records
from foia.findings.questions import QuestionsProblem, questions_load
from foia.models import Campaign


class Command(BaseCommand):
    help = "Answer the campaign's questions for every agency and print agency,state,question,answer,..."

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="The campaign's slug or id.")
        parser.add_argument("--questions", help="A CSV with slug,question,phrases[,mode] to load first.")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, campaign, questions, format, **options):
        found = Campaign.objects.filter(slug=campaign).first()
        if found is None and campaign.isdigit():
            found = Campaign.objects.filter(pk=int(campaign)).first()
        if found is None:
            raise CommandError(f'No campaign with slug or id "{campaign}".')
        if questions:
            try:
                with open(questions, encoding="utf-8-sig") as handle:
                    text = handle.read()
            except OSError as exc:
                raise CommandError(f"{questions}: {exc.strerror}") from exc
            except UnicodeDecodeError as exc:
                raise CommandError(f"{questions}: not UTF-8 text ({exc.reason})") from exc
            try:
                created, updated = questions_load(campaign=found, text=text)
            except QuestionsProblem as exc:
                raise CommandError(f"{questions}: " + "; ".join(exc.errors)) from exc
            self.stderr.write(f"{created} question(s) added, {updated} updated.")
        if not found.questions.exists():
            raise CommandError(
                f'Campaign "{found.slug}" has no questions; load some with --questions FILE.csv.'
            )
        cells_compute(campaign=found)
        records = matrix_records(found)
        if format == "json":
            self.stdout.write(json.dumps(records, indent=1, default=str))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
