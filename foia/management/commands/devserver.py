"""Run the web app, a Celery worker and Celery beat together, for `make run`, restarting any that dies."""

import signal
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from foia.supervisor import STATUS_FILE_NAME, Supervisor, port_in_use


class Command(BaseCommand):
    help = (
        "Start the web server, one Celery worker and Celery beat; restart any that exits (1, 2, 4 ... 30 s "
        "apart); Ctrl-C or SIGTERM stops all three."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, port, concurrency, **options):
        # Checked before anything starts, so the message is not lost among Celery's banners.
        if port_in_use(port):
            hint = f"Use PORT={port + 80} make run"
            raise CommandError(f"port {port} is already in use — is another `make run` running? {hint}")
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "foia"]
        supervisor = Supervisor(
            {
                "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                "worker": [
                    *celery,
                    "worker",
                    "--loglevel=INFO",
                    f"--concurrency={concurrency}",
                    "--without-mingle",
                    "--without-gossip",
                ],
                "beat": [*celery, "beat", "--loglevel=INFO", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME],
            },
            Path(settings.VAR_DIR) / STATUS_FILE_NAME,
        )
        stopping = False

        def stop(signum, _frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        supervisor.start_all()
        self.stdout.write(
            self.style.SUCCESS(f"Serving on http://127.0.0.1:{port}/  (Ctrl-C stops everything)")
        )
        self.stdout.write(f"Broker: {settings.CELERY_BROKER_URL}  Status: http://127.0.0.1:{port}/healthz")
        try:
            supervisor.run(lambda: stopping)
        finally:
            self.stdout.write("Stopping web, worker and beat...")
            supervisor.stop_all()
