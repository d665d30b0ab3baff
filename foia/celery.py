"""The Celery application; configuration comes from Django settings (CELERY_* names).

The beat schedule is kept here in code, one entry per periodic scan; each scan only enqueues small tasks.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foia.settings")

app = Celery("foia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Each area adds its periodic scans here, e.g.
    # "reminders-scan": {"task": "foia.tasks.reminders.scan", "schedule": crontab(minute="*/15")},
    # Documents area: fetch replies from IMAP every 2 minutes (a no-op unless FOIA_IMAP_URL is set).
    "documents-imap-poll": {"task": "foia.tasks.documents.poll_imap", "schedule": 120.0},
    # Deadlines area: digests and follow-ups (foia.reminders.reminders_scan); each send is its own small task.
    "reminders-scan": {"task": "foia.tasks.reminders.scan", "schedule": crontab(minute="*/15")},
    # Letters: release staggered emails as they come due (foia.sending.sends_release_due).
    "letters-scan-sends": {"task": "foia.tasks.letters.scan_sends", "schedule": 60.0},
    # Bulk actions: runs whose task was lost or whose worker died are queued again (foia.bulk).
    "bulk-scan": {"task": "foia.tasks.bulk.scan", "schedule": crontab(minute="*/5")},
    # Crash recovery: letters and extractions left in between by a lost task are queued again (foia.reclaim).
    "reclaim-scan": {"task": "foia.tasks.reclaim.scan", "schedule": 300.0},
    # Dashboard: fold the summary rows the triggers append into one per key (foia.dashboard_summary).
    "dashboard-compact": {"task": "foia.tasks.dashboard.compact", "schedule": crontab(minute=7)},
}

# Soak benchmark (bench/soak.py) only: FOIA_SOAK_TICK_SECONDS > 0 adds a tick task every that many seconds.
# Read from the environment, not settings: this module is imported before Django is configured.
_soak_tick_seconds = float(os.environ.get("FOIA_SOAK_TICK_SECONDS") or 0)
if _soak_tick_seconds > 0:
    app.conf.beat_schedule["soak-tick"] = {"task": "foia.tasks.soak.tick", "schedule": _soak_tick_seconds}
