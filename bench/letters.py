"""Benchmark: 405 letters over all 52 jurisdictions, (a) a bare WeasyPrint loop vs (b) bulk generation on
2 Celery worker processes, end to end (tasks queued until the last PDF is stored); peak RSS per worker.

Usage: .venv/bin/python bench/letters.py [N_AGENCIES] [--postgres] [--redis]
Uses a throwaway SQLite file (or the PostgreSQL database foia_bench_letters with --postgres) and the kombu
filesystem broker (or Redis db 14 with --redis), all in a temporary folder that is removed afterwards.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N = int(next((a for a in sys.argv[1:] if a.isdigit()), 405))
POSTGRES = "--postgres" in sys.argv
REDIS = "--redis" in sys.argv
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))  # for experiments; the benchmark is 2
POOL = os.environ.get("BENCH_POOL", "prefork")
TMP = Path(tempfile.mkdtemp(prefix="bench-letters-"))
PG_URL = "postgres://postgres@127.0.0.1:5432/foia_bench_letters"
ENV = {
    "DJANGO_SETTINGS_MODULE": "foia.settings",
    "SECRET_KEY": "bench-only",
    "FOIA_VAR_DIR": str(TMP),
    "DATABASE_URL": PG_URL if POSTGRES else f"sqlite:///{TMP / 'bench.sqlite3'}",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14" if REDIS else "filesystem://",
    "REDIS_URL": "",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)


def setup_database():
    import django
    from django.core.management import call_command

    if POSTGRES:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS foia_bench_letters")
            conn.execute("CREATE DATABASE foia_bench_letters")
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("load_laws", stdout=open(os.devnull, "w"))  # noqa: SIM115


def make_campaign():
    from foia.campaigns import campaign_generate_requests
    from foia.models import Agency, AgencyKind, Campaign, Law

    states = list(Law.objects.values_list("jurisdiction", flat=True))
    kinds = [AgencyKind.POLICE, AgencyKind.SHERIFF, AgencyKind.CITY]
    agencies = Agency.objects.bulk_create(
        [
            Agency(
                name=f"Bench Town {i} {kinds[i % 3].label}",
                normalized_name=f"bench town {i} {kinds[i % 3].value}",
                state=states[i % len(states)],
                kind=kinds[i % 3],
                city=f"Bench Town {i}",
                email=f"records{i}@bench.example",
                address=f"{i} Main Street\nBench Town {i}, {states[i % len(states)]} 00000",
            )
            for i in range(N)
        ]
    )
    campaign = Campaign.objects.create(
        title="Ring partnerships with police",
        slug="ring-bench",
        tracking_prefix="RING",
        records_wanted="\n".join(
            [
                "Contracts, MOUs and agreements with Ring LLC or Amazon",
                "Scripts, talking points and press-release templates provided by Ring",
                "Emails to or from any ring.com address",
                "Training material about Ring or the Neighbors app",
                "Neighbors portal request logs",
            ]
        ),
        requester_name="Jane Reporter",
        requester_outlet="The Daily Example",
        requester_email="jane@newsroom.example",
        requester_address="1 Press Row\nSpringfield, MI 49000",
        fee_cap=50,
        fee_waiver_text="I am a journalist; disclosure is in the public interest, so please waive fees.",
    )
    campaign.agencies.add(*agencies)
    campaign_generate_requests(campaign=campaign)
    return campaign, len(set(a.state for a in agencies))


def bare_loop(campaign) -> float:
    """(a) The same HTML letters, rendered one after another by plain WeasyPrint in this process."""
    from weasyprint import HTML

    from foia.letters import letter_html

    pages = [letter_html(subject=r.letter_subject, text=r.letter_body) for r in campaign.requests.all()]
    HTML(string=pages[0]).write_pdf()  # warm-up: font cache, imports
    start = time.perf_counter()
    for html in pages:
        HTML(string=html).write_pdf()
    return time.perf_counter() - start


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_worker() -> subprocess.Popen:
    log = open(TMP / "worker.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "foia", "worker", f"--concurrency={CONCURRENCY}",
         f"--pool={POOL}", "--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT, env={**os.environ, **ENV}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while " ready." not in (TMP / "worker.log").read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("worker did not start:\n" + (TMP / "worker.log").read_text())
        time.sleep(0.2)
    return worker


def bulk_generation(campaign, worker) -> tuple[float, dict[int, int]]:
    """(b) The project's path: queue one task per letter, wait until every PDF is stored."""
    from django.db import transaction

    from foia.campaigns import campaign_progress, campaign_queue_letters
    from foia.tasks.letters import generate_letter

    peaks: dict[int, int] = {}
    start = time.perf_counter()
    with transaction.atomic():
        ids = campaign_queue_letters(campaign=campaign)
        transaction.on_commit(lambda: [generate_letter.delay(pk) for pk in ids])
    deadline = time.monotonic() + 30 + 3 * len(ids)
    while True:
        if time.monotonic() > deadline:
            print(f"  gave up waiting: {campaign_progress(campaign=campaign)}")
            print((TMP / "worker.log").read_text(errors="replace")[-3000:])
            break
        # Light sampling: the monitor must not steal CPU from the two workers. VmHWM is the kernel's own
        # peak for each process, so sampling every half second misses nothing but processes younger than that.
        for pid in children_of(worker.pid):
            peaks[pid] = max(peaks.get(pid, 0), peak_rss_kb(pid))
        progress = campaign_progress(campaign=campaign)
        if progress["ready"] + progress["failed"] >= len(ids):
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - start
    if progress["failed"]:
        print(f"  {progress['failed']} letters failed")
    return elapsed, peaks


def main():
    setup_database()
    campaign, n_states = make_campaign()
    n = campaign.requests.count()
    services = f"{'PostgreSQL' if POSTGRES else 'SQLite'}, {'Redis' if REDIS else 'filesystem'} broker"
    print(f"Letters benchmark: {n} agencies over {n_states} jurisdictions ({services})")
    a = bare_loop(campaign)
    print(f"(a) bare WeasyPrint loop, 1 process:  {a:6.1f} s  {n / a:6.1f} letters/s")
    if REDIS:
        from foia.celery import app

        app.control.purge()
    worker = start_worker()
    try:
        b, peaks = bulk_generation(campaign, worker)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    stored = sum(
        1 for r in campaign.requests.all() if r.letter_pdf and r.letter_pdf.storage.exists(r.letter_pdf.name)
    )
    print(f"(b) bulk generation, 2 worker procs:  {b:6.1f} s  {n / b:6.1f} letters/s  ({stored} PDFs stored)")
    print(f"ratio (b)/(a) time: {b / a:.2f}  (target <= 0.75)")
    worst = max(peaks.values(), default=0) / 1024
    print(
        f"peak RSS per worker process: {worst:.0f} MB max over {len(peaks)} pool processes (target < 300 MB)"
    )
    runtimes = sorted(
        float(line.rsplit(" succeeded in ", 1)[1].split("s:")[0])
        for line in (TMP / "worker.log").read_text(errors="replace").splitlines()
        if " succeeded in " in line
    )
    if runtimes:
        print(f"task runtime in the worker: median {runtimes[len(runtimes) // 2] * 1000:.0f} ms, "
              f"max {runtimes[-1] * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        if (TMP / "worker.log").exists():
            shutil.copy(TMP / "worker.log", Path(tempfile.gettempdir()) / "bench-letters-worker.log")
        shutil.rmtree(TMP, ignore_errors=True)
