"""Benchmark: a 1,500-agency campaign's pages on PostgreSQL (issue 15 item 6).

    .venv/bin/python bench/pages.py [--agencies 1500] [--runs 20] [--keep]

Creates (drops first) the throwaway database foia_bench_pages on 127.0.0.1:5432 (user postgres), inserts one
campaign of N agencies (a third portal, a third postal, a third with no contact, plus N email agencies whose
requests are sent and overdue), then times through Django's test client (middleware, templates): the campaign
page, the request list, the overdue page, the checklist and the needs-contact queue. Prints median, p95 and
the query count of each. Target: median < 300 ms. Figures are not asserted (the machine may be shared).
"""

import argparse
import datetime
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import measure, recreate_database, setup_django, summarize  # noqa: E402

DB_NAME = "foia_bench_pages"


def populate(n: int) -> None:
    """One campaign: n hand-submission drafts (portal / address / nothing) and n overdue email requests."""
    from django.db import connection
    from django.utils import timezone

    from foia.models import Agency, Campaign, Law, RecordsRequest, Role, Status, User
    from foia.models.agency import normalize_agency_name

    User.objects.create_user("bench-editor", role=Role.EDITOR, is_staff=True)
    Law.objects.create(
        jurisdiction="MI", jurisdiction_name="Michigan", law_name="FOIA", response_days=5,
        verified_on=datetime.date(2026, 11, 1),
    )  # fmt: skip
    campaign = Campaign.objects.create(title="Ring partners", slug="ring", tracking_prefix="RING")
    contacts = [{"portal_url": "https://records.example/p"}, {"address": "1 Main St\nTown, MI"}, {}]
    agencies = []
    for i in range(2 * n):
        name = f"Agency {i} Police Department"
        extra = contacts[i % 3] if i < n else {"email": f"records{i}@agency.example"}
        agencies.append(Agency(name=name, normalized_name=normalize_agency_name(name), state="MI", **extra))
    agencies = Agency.objects.bulk_create(agencies, batch_size=2000)
    campaign.agencies.add(*agencies)
    now, overdue = timezone.now(), timezone.localdate() - datetime.timedelta(days=3)
    RecordsRequest.objects.bulk_create(
        [
            RecordsRequest(
                campaign=campaign, agency=agency, tracking_number=f"RING-{i:05d}", reply_token=f"tok{i:012d}",
                **({"status": Status.DRAFT} if i < n else
                   {"status": Status.SENT, "sent_at": now - datetime.timedelta(days=20), "due_on": overdue}),
            )
            for i, agency in enumerate(agencies)
        ],
        batch_size=2000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agencies", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="Reuse the existing database (skip inserting).")
    args = parser.parse_args()
    if not args.keep:
        recreate_database(DB_NAME)
    setup_django(DB_NAME)
    if not args.keep:
        populate(args.agencies)
    from django.test import Client

    from foia.models import Campaign, User

    client = Client()
    client.force_login(User.objects.get(username="bench-editor"))
    pk = Campaign.objects.get(slug="ring").pk
    pages = {
        "campaign page": f"/campaigns/{pk}/",
        "request list": f"/requests/?campaign={pk}",
        "overdue page": f"/requests/overdue/?campaign={pk}",
        "checklist": f"/campaigns/{pk}/checklist/",
        "needs-contact queue": f"/agencies/needs-contact/?campaign={pk}",
    }
    print(f"{args.agencies:,} hand-submission agencies + {args.agencies:,} email agencies in one campaign")
    for label, url in pages.items():
        times, queries = measure(client, url, args.runs)
        median, p95 = summarize(times)
        verdict = "OK" if median < 300 else "MISSES TARGET"
        print(f"{label:22} median {median:7.1f} ms   p95 {p95:7.1f} ms   {queries:3d} queries  {verdict}")


if __name__ == "__main__":
    main()
