"""What bench/dashboard.py and bench/pages.py share: a throwaway PostgreSQL database, Django set up on it,
timing a page through the test client, and inserting many rows with one INSERT … SELECT generate_series."""

import os
import statistics
import time

PG = "postgres://postgres@127.0.0.1:5432"


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def setup_django(name: str) -> None:
    """Django on database `name` (migrated); a second call switches the connection to another database."""
    os.environ["DATABASE_URL"] = f"{PG}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings

    if settings.configured and getattr(settings, "_bench_ready", False):
        from django.db import connections

        connections.close_all()
        settings.DATABASES["default"]["NAME"] = name
    else:
        django.setup()
        from django.test.utils import setup_test_environment

        setup_test_environment()
        settings._bench_ready = True
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def measure(client, url: str, runs: int, **headers) -> tuple[list[float], int]:
    """Milliseconds of `runs` GETs after one warm-up, and the queries of the last one."""
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


def summarize(times: list[float]) -> tuple[float, float]:
    """(median, p95) in ms."""
    ordered = sorted(times)
    return statistics.median(times), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def insert_generated(model, count: int, expressions: dict[str, str], draws: int = 0) -> None:
    """INSERT `count` rows of `model` in one statement over generate_series(0, count - 1) AS i.

    `expressions` gives SQL for some columns (they may use i and r1…rN, uniform random numbers in [0, 1) drawn
    per row; no %s in them); every other column gets the field's Python default, as Model() would.
    """
    from django.db import connection

    template = model()
    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in expressions:
            values.append(expressions[field.column])
        else:
            values.append("%s")
            args.append(field.get_db_prep_save(field.pre_save(template, True), connection))
    randoms = "".join(f", random() AS r{n + 1}" for n in range(draws))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)}"
        f" FROM (SELECT i{randoms} FROM generate_series(0, %s) AS i) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, count - 1])
