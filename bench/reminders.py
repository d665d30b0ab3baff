"""Benchmark: the daily reminder scan over 10,000 and 100,000 open requests, and due dates per second.

    .venv/bin/python bench/reminders.py [--sizes 10000,100000] [--backends sqlite,postgres]

Each backend runs in its own child process on a throwaway database: SQLite file var/bench/reminders.sqlite3
(deleted first) and PostgreSQL database foia_bench_reminders on 127.0.0.1:5432 (dropped first). Rows are
bulk-inserted directly: the 52 laws from foia/data/laws.csv, 2,000 agencies across every jurisdiction, 100
campaigns in "send" follow-up mode, 40 reporters; requests get real due dates from foia.deadlines (that
loop is the due-dates-per-second figure, the first including building the holiday calendars). The scan is
foia.reminders.reminders_scan at 08:00 newsroom time, timed with its queries counted; Celery is not
involved (the scan only returns ids to enqueue).
Targets: scan < 10 s on both backends with a query count that does not grow; >= 50,000 due dates/s.
"""

import argparse
import datetime
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432"
PG_DB = "foia_bench_reminders"
SQLITE_FILE = ROOT / "var" / "bench" / "reminders.sqlite3"
AGENCIES = 2000
TODAY = datetime.date(2026, 12, 10)


def setup(backend: str) -> None:
    if backend == "postgres":
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["DATABASE_URL"] = f"{PG}/{PG_DB}"
    else:
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
    os.environ["FOIA_VAR_DIR"] = str(ROOT / "var" / "bench")
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_laws", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def base_rows():
    """People, agencies in every jurisdiction, campaigns."""
    from foia import deadlines
    from foia.models import Agency, Campaign, FollowupMode, User
    from foia.models.agency import normalize_agency_name

    users = User.objects.bulk_create(
        User(username=f"reporter{i}", email=f"reporter{i}@newsroom.example") for i in range(40)
    )
    codes = sorted(deadlines.JURISDICTIONS)
    agencies = Agency.objects.bulk_create(
        Agency(
            name=f"Agency {i}",
            normalized_name=normalize_agency_name(f"Agency {i}"),
            state=codes[i % len(codes)],
            email=f"records{i}@agency.example" if i % 5 else "",
        )
        for i in range(AGENCIES)
    )
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            title=f"Campaign {i}",
            slug=f"campaign-{i}",
            tracking_prefix=f"C{i}",
            followup_mode=FollowupMode.SEND,
            owner=users[i % len(users)],
        )
        for i in range(100)
    )
    return users, agencies, campaigns


def add_requests(start: int, stop: int, users, agencies, campaigns) -> tuple[int, float]:
    """Bulk-insert requests [start, stop) with due dates from foia.deadlines; returns (count, due dates/s)."""
    from foia import deadlines
    from foia.models import Law, RecordsRequest, Status

    laws = {law.jurisdiction: law for law in Law.objects.all()}
    statuses = [Status.SENT, Status.ACKNOWLEDGED, Status.PROCESSING, Status.PARTIAL, Status.APPEALED]
    rng = random.Random(start)
    plan = []
    for i in range(start, stop):
        agency = agencies[i % AGENCIES]
        plan.append((i, agency, TODAY - datetime.timedelta(days=rng.randint(0, 60))))
    began = time.perf_counter()
    dues = []
    for _, agency, received in plan:
        law = laws[agency.state]
        calendar = deadlines.calendar_for(law.jurisdiction)
        dues.append(
            deadlines.response_due(law=law, received_on=received, calendar=calendar, default_followup_days=10)
        )
    per_second = len(plan) / (time.perf_counter() - began)
    rows = []
    for (i, agency, received), due in zip(plan, dues, strict=True):
        paused = i % 50 == 0
        rows.append(
            RecordsRequest(
                campaign=campaigns[i // AGENCIES],
                agency=agency,
                tracking_number=f"B-{i:07d}",
                reply_token=f"t{i:011d}",
                owner=users[i % len(users)] if i % 10 else None,
                status=Status.FIX_REQUIRED if paused else statuses[i % len(statuses)],
                received_on=received,
                due_on=None if paused else due.due_on,
                due_rule=due.rule[:400],
                due_is_statutory=due.is_statutory,
                next_followup_on=None if paused else due.due_on + datetime.timedelta(days=1),
                letter_body="Please send the records.",
            )
        )
    RecordsRequest.objects.bulk_create(rows, batch_size=2000)
    return len(rows), per_second


def time_scan() -> tuple[float, int, dict]:
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from foia.models import Reminder
    from foia.reminders import reminders_scan

    Reminder.objects.all().delete()  # each run is the first scan of the day
    now = datetime.datetime.combine(TODAY, datetime.time(8, 0), tzinfo=ZoneInfo("America/New_York"))
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = reminders_scan(now=now)
        elapsed = time.perf_counter() - began
    if os.environ.get("BENCH_SHOW_SQL"):
        for query in queries:
            print("   ", query["sql"][:150])
    summary = {
        "digests": result.digests_created,
        "followups": result.followups_created,
        "to_send": len(result.to_send),
    }
    return elapsed, len(queries), summary


def child(backend: str, sizes: list[int]) -> None:
    setup(backend)
    users, agencies, campaigns = base_rows()
    done = 0
    from foia.models import RecordsRequest

    for size in sizes:
        began = time.perf_counter()
        _, per_second = add_requests(done, size, users, agencies, campaigns)
        done = size
        print(
            f"[{backend}] inserted up to {size:,} requests in {time.perf_counter() - began:.1f} s; "
            f"due dates computed at {per_second:,.0f}/s"
        )
        open_count = RecordsRequest.objects.open().count()
        elapsed, queries, summary = time_scan()
        print(
            f"[{backend}] scan over {size:,} requests ({open_count:,} open): {elapsed:.2f} s, "
            f"{queries} queries, {summary}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        child(args.child, sizes)
        return
    for backend in args.backends.split(","):
        subprocess.run(  # noqa: PLW1510
            [sys.executable, __file__, "--child", backend, "--sizes", args.sizes], check=True, cwd=ROOT
        )


if __name__ == "__main__":
    main()
