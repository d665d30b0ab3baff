"""Benchmark: the newsroom dashboard and the requests API on large PostgreSQL databases.

    .venv/bin/python bench/dashboard.py [--sizes 100000,1000000] [--agencies 10000] [--runs 30] [--check]

For each size, creates (drops first) the throwaway database foia_bench_dashboard on 127.0.0.1:5432 (user
postgres) and inserts the rows with INSERT … SELECT generate_series (1,000,000 requests in a few minutes,
the summary triggers included): agencies over the 50 states and DC, one campaign per 10,000 requests, 10
owners, requests spread over a year in every status, documents for half as many requests. Then times GET /
(the newsroom dashboard), the htmx state filter, one campaign's dashboard and two API list pages through
Django's test client (full middleware, templates and serialization), printing median, p95 and query counts.
Targets (issue 15): newsroom dashboard median < 50 ms at 100,000 requests and < 150 ms at 1,000,000; the same
query count at every size. --check compares the summary with live counts after the load (a full pass).
BENCH_QUERIES=1 also prints the slowest queries of each page. --keep reuses the database (one size only).
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import insert_generated, measure, recreate_database, setup_django, summarize  # noqa: E402

DB_NAME = "foia_bench_dashboard"
CHUNK = 100_000  # requests per INSERT statement (the statement-level triggers see one chunk at a time)
STATUSES = ["draft", "sent", "acknowledged", "processing", "completed", "rejected", "no_records",
            "payment_required", "partial"]  # fmt: skip


def populate(n_requests: int, n_agencies: int, n_documents: int) -> None:
    """Users and campaigns through the ORM; agencies, requests, documents and links with generate_series."""
    from django.db import connection

    from foia.jurisdictions import STATES
    from foia.models import Agency, Campaign, Document, RecordsRequest, RequestDocument, Role, User

    users = [User.objects.create_user(f"reporter{i}", role=Role.REPORTER) for i in range(10)]
    User.objects.create_user("bench-editor", role=Role.EDITOR, is_staff=True)
    states = "ARRAY[" + ",".join(f"'{code}'" for code in sorted(STATES)) + "]"
    insert_generated(
        Agency, n_agencies,
        {"name": "'Agency ' || i || ' Police Department'", "normalized_name": "'agency ' || i || ' police'",
         "state": f"({states})[1 + mod(i, {len(STATES)})]"},
    )  # fmt: skip
    n_campaigns = max(1, -(-n_requests // n_agencies))
    campaigns = Campaign.objects.bulk_create(
        [Campaign(title=f"Campaign {i}", slug=f"c{i}", tracking_prefix=f"C{i}", owner=users[i % 10])
         for i in range(n_campaigns)]
    )  # fmt: skip
    first_agency, first_campaign, first_user = (
        Agency.objects.order_by("pk")[0].pk,
        campaigns[0].pk,
        users[0].pk,
    )
    assert Agency.objects.filter(pk__gte=first_agency + n_agencies).count() == 0  # consecutive ids
    # r1 status, r2 days ago sent, r3 answered?, r4/r5 days/hours to answer, r6 days to close, r7 days to due.
    status = f"(ARRAY[{','.join(repr(s) for s in STATUSES)}])[1 + floor(r1 * {len(STATUSES)})::int]"
    sent = f"CASE WHEN {status} = 'draft' THEN NULL ELSE now() - (1 + floor(r2 * 365)) * INTERVAL '1 day' END"
    first = (
        f"CASE WHEN {status} NOT IN ('draft', 'sent') AND r3 < 0.95 THEN {sent}"
        " + floor(r4 * 61) * INTERVAL '1 day' + floor(r5 * 24) * INTERVAL '1 hour' END"
    )
    closed = f"CASE WHEN {status} IN ('completed', 'rejected', 'no_records') THEN {first} + floor(r6 * 91) * INTERVAL '1 day' END"  # noqa: E501
    for start in range(0, n_requests, CHUNK):
        count = min(CHUNK, n_requests - start)
        number = f"({start} + i)"
        insert_generated(
            RecordsRequest, count,
            {"campaign_id": f"{first_campaign} + {number} / {n_agencies}",
             "agency_id": f"{first_agency} + mod({number}, {n_agencies})",
             "owner_id": f"{first_user} + mod({number}, 10)",
             "tracking_number": f"'B-' || lpad({number}::text, 7, '0')",
             "reply_token": f"'bench' || lpad({number}::text, 10, '0')", "status": status, "sent_at": sent,
             "due_on": f"({sent} + (5 + floor(r7 * 36)) * INTERVAL '1 day')::date",
             "first_response_at": first, "closed_at": closed},
            draws=7,
        )  # fmt: skip
    first_request = RecordsRequest.objects.order_by("pk")[0].pk
    kinds = "ARRAY['contract','mou','script','policy','correspondence','invoice','denial','other']"
    insert_generated(
        Document, n_documents,
        {"sha256": "lpad(to_hex(i), 64, '0')", "file": "'documents/bench/' || i || '.pdf'", "size": "1000",
         "mime_type": "'application/pdf'", "original_name": "'doc' || i || '.pdf'",
         "kind": f"({kinds})[1 + floor(r1 * 8)::int]"},
        draws=1,
    )  # fmt: skip
    first_document = Document.objects.order_by("pk")[0].pk
    insert_generated(
        RequestDocument, n_documents,
        {"request_id": f"{first_request} + mod(i * 2, {n_requests})", "document_id": f"{first_document} + i",
         "filename": "'doc' || i || '.pdf'"},
    )  # fmt: skip
    connection.close()  # VACUUM cannot run in a transaction; a fresh autocommit connection
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def run_size(args, n_requests: int) -> None:
    from django.db import connection

    if not args.keep:
        recreate_database(DB_NAME)
    setup_django(DB_NAME)
    if not args.keep:
        started = time.perf_counter()
        populate(n_requests, args.agencies, n_requests // 2)
        elapsed = time.perf_counter() - started
        from foia.dashboard_summary import compact

        started = time.perf_counter()
        rows, folded = compact()  # as the hourly beat task would
        took = time.perf_counter() - started
        sizes = f"{n_requests:,} requests, {args.agencies:,} agencies, {n_requests // 2:,} documents"
        print(f"\n{sizes} inserted in {elapsed:.1f} s")
        print(f"summary compacted {rows:,} -> {folded:,} rows in {took:.1f} s")
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE foia_dashboardcount")
    if args.check:
        from foia.dashboard_summary import drift

        started = time.perf_counter()
        print(f"summary check: {drift()} ({time.perf_counter() - started:.1f} s)")
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from foia.models import Campaign, User

    editor = User.objects.get(username="bench-editor")
    client = Client()
    client.force_login(editor)
    token = Token.objects.get_or_create(user=editor)[0].key
    campaign = Campaign.objects.order_by("pk").first()
    target = 50 if n_requests <= 100_000 else 150
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    pages = [
        ("GET / (newsroom dashboard)", client, "/", {}, target),
        ("GET / ?state=MI (htmx filter)", client, "/?state=MI", {"HTTP_HX_REQUEST": "true"}, target),
        ("GET / ?owner=<reporter0>", client, f"/?owner={campaign.owner_id}", {}, target),
        ("GET /dashboard/campaigns/<pk>/", client, f"/dashboard/campaigns/{campaign.pk}/", {}, target),
        ("GET /api/requests/?page_size=100", api, "/api/requests/?page_size=100", auth, None),
        (
            "GET /api/requests/?page=500&page_size=100",
            api,
            "/api/requests/?page=500&page_size=100",
            auth,
            None,
        ),
    ]
    for label, who, url, headers, goal in pages:
        times, queries = measure(who, url, args.runs, **headers)
        median, p95 = summarize(times)
        verdict = "" if goal is None else ("OK" if median < goal else "MISSES TARGET") + f" (< {goal} ms)"
        print(f"{label:42} median {median:7.1f} ms   p95 {p95:7.1f} ms   {queries:3d} queries  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000", help="Comma-separated request counts.")
    parser.add_argument("--agencies", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--check", action="store_true", help="Compare the summary with live counts.")
    parser.add_argument("--keep", action="store_true", help="Reuse the existing database (skip inserting).")
    args = parser.parse_args()
    for size in [int(s) for s in args.sizes.split(",")]:
        run_size(args, size)


if __name__ == "__main__":
    main()
