"""Benchmark: 405 letters over all 52 jurisdictions, (a) a bare WeasyPrint loop vs (b) bulk generation on
2 Celery worker processes, end to end (queued until the last PDF is stored); then 1,500 letters through the
same workers with each pool process's RSS at start, middle and end.

Runs alternate (a) and (b) so both see the same load; the figures are medians of BENCH_RUNS (3) runs. Both
sides render the same HTML, and the first run checks every stored PDF against the bare loop's (page count
and text). CPU per letter is printed beside wall time: on a shared machine it shows the worker path's own
overhead, which wall time mixes with other jobs.

Usage: .venv/bin/python bench/letters.py [N_AGENCIES] [--postgres] [--redis]
       BENCH_RUNS=3 BENCH_MEMORY_LETTERS=1500 (0 skips the memory run)
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
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MEMORY = int(os.environ.get("BENCH_MEMORY_LETTERS", "1500"))  # letters of the memory run; 0 skips it
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


def make_campaign(size: int, slug: str):
    from foia.campaigns import campaign_generate_requests
    from foia.models import Agency, AgencyKind, Campaign, Law

    states = list(Law.objects.values_list("jurisdiction", flat=True))
    kinds = [AgencyKind.POLICE, AgencyKind.SHERIFF, AgencyKind.CITY]
    agencies = Agency.objects.bulk_create(
        [
            Agency(
                name=f"Bench Town {i} {kinds[i % 3].label} {slug}",
                normalized_name=f"bench town {i} {kinds[i % 3].value} {slug}",
                state=states[i % len(states)],
                kind=kinds[i % 3],
                city=f"Bench Town {i}",
                email=f"records{i}@bench.example",
                address=f"{i} Main Street\nBench Town {i}, {states[i % len(states)]} 00000",
            )
            for i in range(size)
        ]
    )
    campaign = Campaign.objects.create(
        title="Ring partnerships with police",
        slug=slug,
        tracking_prefix="RING" if slug == "ring-bench" else "MEM",
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


def letter_pages(campaign) -> list[str]:
    """The HTML of every letter of the campaign, in id order: both sides render exactly these."""
    from foia.letters import letter_html

    return [
        letter_html(subject=r.letter_subject, text=r.letter_body) for r in campaign.requests.order_by("pk")
    ]


def bare_loop(pages: list[str]) -> tuple[float, float, list[bytes]]:
    """(a) The letters rendered one after another by plain WeasyPrint in this process: wall, CPU, PDFs."""
    from weasyprint import HTML

    HTML(string=pages[0]).write_pdf()  # warm-up: font cache, imports
    pdfs = []
    cpu, start = time.process_time(), time.perf_counter()
    for html in pages:
        pdfs.append(HTML(string=html).write_pdf())
    return time.perf_counter() - start, time.process_time() - cpu, pdfs


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


def status_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB: VmRSS (now) or VmHWM (the kernel's own peak)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of the worker: the parent, its reaped children and its live pool processes."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(p: int) -> list[int]:
        try:
            return [int(x) for x in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[11:15]]
        except OSError:
            return [0, 0, 0, 0]

    total = sum(fields(pid))  # utime, stime, cutime, cstime
    total += sum(sum(fields(child)[:2]) for child in children_of(pid))
    return total / tick


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


def reset_letters(campaign) -> None:
    """Forget every stored PDF of the campaign, so the next run renders all of them again."""
    from foia.models.request import LetterState

    for request in campaign.requests.exclude(letter_pdf=""):
        request.letter_pdf.storage.delete(request.letter_pdf.name)
    campaign.requests.update(letter_state=LetterState.NONE, letter_pdf="", letter_generated_at=None)


def bulk_generation(campaign, worker, on_sample=None) -> tuple[float, float]:
    """(b) The project's path, as "Generate all letters" takes it: mark the letters queued, send the tasks on
    commit, wait until every PDF is stored. Returns wall time (start to the last letter_generated_at) and the
    worker's CPU time. `on_sample(progress)` is called at every poll (memory sampling)."""
    import datetime

    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from foia.campaigns import campaign_progress, campaign_queue_letters

    cpu = tree_cpu_seconds(worker.pid)
    started = timezone.now()
    start = time.perf_counter()
    with transaction.atomic():
        ids = campaign_queue_letters(campaign=campaign)
    deadline = time.monotonic() + 60 + 3 * len(ids)
    while True:
        progress = campaign_progress(campaign=campaign)
        if on_sample:
            on_sample(progress)
        if progress["ready"] + progress["failed"] >= len(ids):
            break
        if time.monotonic() > deadline:
            print(f"  gave up waiting: {progress}")
            print((TMP / "worker.log").read_text(errors="replace")[-3000:])
            break
        # Light polling: the monitor must not steal CPU from the two workers; the wall time is read from the
        # letters' own letter_generated_at, so the poll interval does not add to it.
        time.sleep(0.5)
    cpu = tree_cpu_seconds(worker.pid) - cpu
    if progress["failed"]:
        print(f"  {progress['failed']} letters failed")
    last = campaign.requests.aggregate(last=Max("letter_generated_at"))["last"] or timezone.now()
    wall = max((last - started) / datetime.timedelta(seconds=1), 0.0) or time.perf_counter() - start
    return wall, cpu


def same_output(campaign, bare_pdfs: list[bytes]) -> str:
    """Check that both sides made the same letters: page count and text of every stored PDF."""
    import pypdfium2 as pdfium

    from foia.letters import pdf_text

    differ = 0
    for request, bare in zip(campaign.requests.order_by("pk"), bare_pdfs, strict=True):
        stored = request.letter_pdf.read()
        request.letter_pdf.close()
        pages = [len(pdfium.PdfDocument(data)) for data in (stored, bare)]
        if pages[0] != pages[1] or pdf_text(stored) != pdf_text(bare):
            differ += 1
    return "all the same" if not differ else f"{differ} DIFFER"


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main():
    setup_database()
    campaign, n_states = make_campaign(N, "ring-bench")
    n = campaign.requests.count()
    services = f"{'PostgreSQL' if POSTGRES else 'SQLite'}, {'Redis' if REDIS else 'filesystem'} broker"
    print(f"Letters benchmark: {n} agencies over {n_states} jurisdictions ({services}), {RUNS} runs, load "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    pages = letter_pages(campaign)
    if REDIS:
        from foia.celery import app

        app.control.purge()
    worker = start_worker()
    rows = []
    try:
        for run in range(RUNS):
            a, a_cpu, bare_pdfs = bare_loop(pages)
            reset_letters(campaign)
            b, b_cpu = bulk_generation(campaign, worker)
            check = same_output(campaign, bare_pdfs) if run == 0 else ""
            rows.append((a, b))
            print(f"run {run + 1}: (a) bare loop {a:5.1f} s ({1000 * a_cpu / n:4.0f} ms CPU/letter)  "
                  f"(b) 2 workers {b:5.1f} s ({1000 * b_cpu / n:4.0f} ms CPU/letter)  ratio {b / a:.2f}  "
                  f"load {os.getloadavg()[0]:.2f}  {check}")  # fmt: skip
        a, b = median([r[0] for r in rows]), median([r[1] for r in rows])
        print(f"(a) bare WeasyPrint loop, 1 process:  median {a:6.1f} s  {n / a:6.1f} letters/s")
        print(f"(b) bulk generation, {CONCURRENCY} worker procs:  median {b:6.1f} s  {n / b:6.1f} letters/s")
        print(f"ratio of medians (b)/(a): {b / a:.2f}  (target <= 0.6)")
        if MEMORY:
            memory_run(worker)
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def memory_run(worker) -> None:
    """MEMORY letters through the same workers; each pool process's RSS at start, middle and end."""
    campaign, _ = make_campaign(MEMORY, "ring-memory")
    pool = sorted(children_of(worker.pid))
    samples: dict[str, dict[int, int]] = {"start": {pid: status_kb(pid, "VmRSS") for pid in pool}}

    def sample(progress):
        if "middle" not in samples and progress["ready"] >= progress["total"] // 2:
            samples["middle"] = {pid: status_kb(pid, "VmRSS") for pid in children_of(worker.pid)}

    wall, _ = bulk_generation(campaign, worker, on_sample=sample)
    samples["end"] = {pid: status_kb(pid, "VmRSS") for pid in children_of(worker.pid)}
    ready = campaign.requests.filter(letter_state="ready").count()
    print(f"memory: {ready} of {MEMORY} letters in {wall:.1f} s; RSS per pool process (MB):")
    for pid in sorted(set().union(*samples.values())):
        figures = "  ".join(
            f"{when} {samples[when].get(pid, 0) / 1024:5.0f}" for when in ("start", "middle", "end")
        )
        print(f"  pid {pid}: {figures}  peak {status_kb(pid, 'VmHWM') / 1024:.0f}")
    recycled = set(pool) != set(samples["end"])
    print(f"  pool processes {'were recycled during the run' if recycled else 'not recycled (same pids)'}")


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        if (TMP / "worker.log").exists():
            shutil.copy(TMP / "worker.log", Path(tempfile.gettempdir()) / "bench-letters-worker.log")
        shutil.rmtree(TMP, ignore_errors=True)
