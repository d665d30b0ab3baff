"""Benchmark: the dashboard page and the requests API list page on a large PostgreSQL database.

    .venv/bin/python bench/dashboard.py [--requests 100000] [--agencies 10000] [--documents 50000] [--runs 30]

Creates (drops first) the throwaway database foia_bench_dashboard on 127.0.0.1:5432 (user postgres), bulk
inserts the rows, then times GET / (the newsroom dashboard) and GET /api/requests/?page_size=100 through
Django's test client (full middleware, templates and serialization), printing median, p95 and query counts.
Targets: median < 150 ms, p95 < 400 ms, the same query count at every size. BENCH_QUERIES=1 also prints the
slowest queries of each page. --keep reuses the database from the previous run.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "foia_bench_dashboard"
PG = "postgres://postgres@127.0.0.1:5432"


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    call_command("migrate", verbosity=0)
    setup_test_environment()


def states() -> list[str]:
    """The 50 states and DC (foia.jurisdictions), in a fixed order."""
    from foia.jurisdictions import STATES

    return sorted(STATES)


def populate(n_requests: int, n_agencies: int, n_documents: int) -> None:
    """Bulk insert people, agencies, campaigns, requests (spread over a year) and documents."""
    from django.utils import timezone

    from foia.models import (
        Agency,
        Campaign,
        Document,
        DocumentKind,
        RecordsRequest,
        RequestDocument,
        Role,
        Status,
    )
    from foia.models.agency import normalize_agency_name
    from foia.models.user import User

    rng = random.Random(42)
    now = timezone.now()
    users = [User.objects.create_user(f"reporter{i}", role=Role.REPORTER) for i in range(10)]
    User.objects.create_user("bench-editor", role=Role.EDITOR, is_staff=True)
    agencies = []
    codes = states()
    for i in range(n_agencies):
        name = f"Agency {i} Police Department"
        agencies.append(
            Agency(name=name, normalized_name=normalize_agency_name(name), state=codes[i % len(codes)])
        )
    agencies = Agency.objects.bulk_create(agencies, batch_size=5000)
    n_campaigns = max(1, -(-n_requests // n_agencies))
    campaigns = Campaign.objects.bulk_create(
        [Campaign(title=f"Campaign {i}", slug=f"c{i}", tracking_prefix=f"C{i}", owner=users[i % 10])
         for i in range(n_campaigns)]
    )  # fmt: skip
    statuses = [Status.DRAFT, Status.SENT, Status.ACKNOWLEDGED, Status.PROCESSING, Status.COMPLETED,
                Status.REJECTED, Status.NO_RECORDS, Status.PAYMENT_REQUIRED, Status.PARTIAL]  # fmt: skip
    batch, request_ids = [], []
    for i in range(n_requests):
        status = rng.choice(statuses)
        sent = None if status == Status.DRAFT else now - datetime.timedelta(days=rng.randint(1, 365))
        answered = status not in (Status.DRAFT, Status.SENT) and rng.random() < 0.95
        first = (
            sent + datetime.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23)) if answered else None
        )
        closed = first + datetime.timedelta(days=rng.randint(0, 90)) if first and status in (
            Status.COMPLETED, Status.REJECTED, Status.NO_RECORDS) else None  # fmt: skip
        batch.append(
            RecordsRequest(
                campaign=campaigns[i // n_agencies], agency=agencies[i % n_agencies], owner=users[i % 10],
                tracking_number=f"B-{i:07d}", reply_token=f"bench{i:010d}", status=status, sent_at=sent,
                due_on=(sent + datetime.timedelta(days=rng.randint(5, 40))).date() if sent else None,
                first_response_at=first, closed_at=closed,
            )
        )  # fmt: skip
        if len(batch) == 5000:
            request_ids += [r.pk for r in RecordsRequest.objects.bulk_create(batch)]
            batch = []
    if batch:
        request_ids += [r.pk for r in RecordsRequest.objects.bulk_create(batch)]
    kinds = list(DocumentKind.values)
    for start in range(0, n_documents, 5000):
        count = min(5000, n_documents - start)
        docs = Document.objects.bulk_create(
            [Document(sha256=f"{start + j:064x}", file=f"documents/bench/{start + j}.pdf", size=1000,
                      mime_type="application/pdf", original_name=f"doc{start + j}.pdf",
                      kind=rng.choice(kinds))
             for j in range(count)]
        )  # fmt: skip
        RequestDocument.objects.bulk_create(
            [RequestDocument(request_id=request_ids[(start + j) * 2 % len(request_ids)], document=doc,
                             filename=doc.original_name) for j, doc in enumerate(docs)]
        )  # fmt: skip
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client, url: str, runs: int, **headers) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **headers)  # warm up: connection, template and URL caches
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url, **headers)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("BENCH_QUERIES"):  # where the time goes: the slowest queries of the last run
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]:
            print(f"    {float(query['time']) * 1000:6.1f} ms  {query['sql'][:150]}")
    return times, len(queries.captured_queries)


def report(label: str, times: list[float], queries: int) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    median = statistics.median(times)
    verdict = "OK" if median < 150 and p95 < 400 else "MISSES TARGET"
    print(f"{label:42} median {median:7.1f} ms   p95 {p95:7.1f} ms   {queries:3d} queries  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Reuse the existing database (skip inserting).")
    args = parser.parse_args()
    if not args.keep:
        recreate_database()
    setup_django()
    if not args.keep:
        started = time.perf_counter()
        populate(args.requests, args.agencies, args.documents)
        elapsed = time.perf_counter() - started
        print(
            f"Inserted {args.requests:,} requests, {args.agencies:,} agencies, {args.documents:,} documents"
        )
        print(f"in {elapsed:.1f} s")
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from foia.models import Campaign, User

    editor = User.objects.get(username="bench-editor")
    client = Client()
    client.force_login(editor)
    token = Token.objects.get_or_create(user=editor)[0].key
    campaign = Campaign.objects.order_by("pk").first()
    report("GET / (newsroom dashboard)", *measure(client, "/", args.runs))
    report("GET / ?state=MI (htmx filter)", *measure(client, "/?state=MI", args.runs, HTTP_HX_REQUEST="true"))
    report(
        "GET /dashboard/campaigns/<pk>/", *measure(client, f"/dashboard/campaigns/{campaign.pk}/", args.runs)
    )
    api = Client()
    report(
        "GET /api/requests/?page_size=100",
        *measure(api, "/api/requests/?page_size=100", args.runs, HTTP_AUTHORIZATION=f"Token {token}"),
    )
    report(
        "GET /api/requests/?page=500&page_size=100",
        *measure(
            api, "/api/requests/?page=500&page_size=100", args.runs, HTTP_AUTHORIZATION=f"Token {token}"
        ),
    )


if __name__ == "__main__":
    main()
