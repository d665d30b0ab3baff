"""Benchmark the agency import: generated rows -> parse -> batched writes; rows/s and SQL query counts.

Runs against a throwaway database so it never touches real data: a temporary SQLite file by default, or,
when DATABASE_URL points at PostgreSQL, a database foia_bench on the same server (created, migrated, dropped).

    .venv/bin/python bench/import_agencies.py                   # SQLite, 1,000 and 10,000 rows
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foia .venv/bin/python bench/import_agencies.py 1000 10000
"""

import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="foia-bench-"))


def bench_database_url() -> tuple[str, str | None]:
    """The throwaway database's URL, and the PostgreSQL server URL to drop it from afterwards."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{WORK / 'bench.sqlite3'}", None
    import psycopg

    parts = urlsplit(configured)
    server = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS foia_bench")
        conn.execute("CREATE DATABASE foia_bench")
    return urlunsplit(parts._replace(path="/foia_bench")), server


def write_csv(path: Path, count: int, *, domain: str = "example") -> None:
    """`count` agencies across every state (codes and full names), about one in five without any contact."""
    from foia.imports import STATE_NAMES

    rng = random.Random(count)
    states = list(STATE_NAMES.items())
    kinds = ["police", "Sheriff", "public_safety", "", "state police", "county"]
    lines = ["Agency Name,State,City,Type,Email,Portal URL,Mailing Address,Phone,partnership_date,source_url"]
    for n in range(count):
        code, name = states[n % len(states)]
        state = name.upper() if n % 3 == 0 else f" {code.lower()} "
        contact = n % 5 != 0
        email = f"records{n}@city{n}.{domain}" if contact and n % 2 else ""
        portal = f"https://city{n}.example/records" if contact and not email else ""
        address = f'"{n} Main Street\nCity {n}, {code}"' if contact and n % 7 == 0 else ""
        lines.append(
            f"City {n} Police Department,{state},City {n},{rng.choice(kinds)},{email},{portal},{address},"
            f"555-{n % 10000:04d},{2018 + n % 3},https://news.example/{n}"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")


def run(path: Path, *, campaign=None) -> tuple[object, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from foia.imports import agencies_import, agency_file_parse

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        parsed = agency_file_parse(path.read_bytes())
        result = agencies_import(parsed=parsed, campaign=campaign)
    return result, time.perf_counter() - started, len(queries)


def main(sizes: list[int]) -> None:
    url, server = bench_database_url()
    os.environ.update(
        DATABASE_URL=url,
        FOIA_VAR_DIR=str(WORK),
        SECRET_KEY="bench-only",
        DJANGO_SETTINGS_MODULE="foia.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from foia.models import Agency, Campaign

    call_command("migrate", verbosity=0)
    warm_up = WORK / "warm-up.csv"  # first-use costs (imports, regex compiles) are not part of the figures
    write_csv(warm_up, 50)
    run(warm_up)
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"{'rows':>7}  {'run':<23} {'seconds':>7} {'rows/s':>9} {'queries':>8}  result")
    try:
        for size in sizes:
            Campaign.agencies.through.objects.all().delete()
            Agency.objects.all().delete()
            campaign = Campaign.objects.create(
                title=f"Bench {size}", slug=f"bench-{size}", tracking_prefix=f"B{size}"
            )
            path = WORK / f"agencies-{size}.csv"
            write_csv(path, size)
            changed = WORK / f"agencies-{size}-changed.csv"
            write_csv(changed, size, domain="example.org")
            runs = (
                ("fresh import + campaign", path, {"campaign": campaign}),
                ("re-import (unchanged)", path, {}),
                ("re-import, new emails", changed, {}),
            )
            for label, csv_path, kwargs in runs:
                result, seconds, queries = run(csv_path, **kwargs)
                rate = size / seconds
                print(
                    f"{size:>7}  {label:<23} {seconds:>7.2f} {rate:>9,.0f} {queries:>8}  {result.summary()}"
                )
    finally:
        connection.close()
        if server:
            import psycopg

            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS foia_bench")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 10000])
