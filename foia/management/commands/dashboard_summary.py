"""`manage.py dashboard_summary check|rebuild|compact`: the dashboard summary (foia.dashboard_summary)."""

from django.core.management.base import BaseCommand

from foia import dashboard_summary


class Command(BaseCommand):
    help = (
        "check: compare every summary total with the live counts (read-only). rebuild: reinstall the "
        "triggers (for the current TIME_ZONE) and re-derive every row, printing the drift it repaired. "
        "compact: fold the rows into one per key (beat does this hourly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "rebuild", "compact"])

    def handle(self, *args, action: str, **options):
        if action == "check":
            self.stdout.write(f"Dashboard summary: {dashboard_summary.drift()}")
        elif action == "rebuild":
            found = dashboard_summary.rebuild()
            self.stdout.write(f"Dashboard summary rebuilt; before the rebuild: {found}")
        else:
            before, after = dashboard_summary.compact()
            self.stdout.write(f"Dashboard summary compacted: {before} rows folded into {after}")
