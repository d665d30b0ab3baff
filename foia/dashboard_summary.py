"""Dashboard summary rows: what they count, the triggers that keep them, and the rebuild that checks them.

Every dashboard figure that does not depend on today's date is a sum of per-request contributions
("measures"), counted in four scopes: every request ("a"), one campaign ("c"), one state ("s") and one
owner ("o"). A request contributes +1 to each of its measures in each of its scopes; when it changes,
database triggers append its old contributions with -1 and its new ones with +1 to foia_dashboardcount
(only the keys whose total changes). Triggers, not Python hooks, so every door is covered by construction:
model saves, queryset.update(), bulk_create, deletes, the admin, imports, the demo loader and raw SQL. Rows
are only appended, never updated in place: two transactions never wait on the same counter row and cannot
deadlock on them, and a rolled-back transaction takes its rows with it. compact() folds rows into one per key.

Measures (key in brackets):
  n, sent, answered [status|state]  requests; those with sent_at; those with first_response_at
  open_due [due_on]                 open requests by due date: "overdue today" is a sum over keys < today
  answer_days, close_days [days]    whole days from sent_at to first response / to closing (negative → 0)
  unanswered ['']                   sent requests not answered (per campaign: its never-answered agencies)
  sent_week, answer_week [week]     local weeks since 2000-01-03 of sending / of first response
  ag [agency id]                    per agency: sent requests + 2**32 × answered ones, so a never-answered
                                    agency is a total between 1 and 2**32 - 1 (not kept per campaign, where a
                                    campaign has one request per agency)
  doc [document kind]               document links on the requests

The week measures use settings.TIME_ZONE as it was when the triggers were installed (migration 0019, or the
last `manage.py dashboard_summary rebuild`, which reinstalls them): change TIME_ZONE, run rebuild. On SQLite
they call Django's own SQL function for local dates, so requests are written through Django (not the sqlite3
shell, which lacks it and refuses the change).
"""

# ruff: noqa: S608 -- every SQL string here is built from this module's constants, never from input.

import datetime
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from .statuses import OPEN_STATUSES

TABLE = "foia_dashboardcount"
COLUMNS = "scope, scope_key, measure, key, n"
AGENCY_MEASURES = ("ag",)
ANSWERED_UNIT = 2**32  # the "ag" measure: sent + ANSWERED_UNIT × answered; never answered = 0 < total < UNIT
EPOCH_MONDAY = datetime.date(2000, 1, 3)  # the same epoch as foia.stats.WeekIndex
# The request columns a measure reads; an update that changes none of them changes no figure.
COUNTED = ("campaign_id", "owner_id", "agency_id", "status", "sent_at", "first_response_at", "closed_at",
           "due_on")  # fmt: skip


class Dialect:
    """The few expressions PostgreSQL and SQLite spell differently."""

    def __init__(self, vendor: str, tz: str):
        if vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"dashboard summaries are not implemented for {vendor}")
        self.pg = vendor == "postgresql"
        self.tz = tz.replace("'", "")

    def days(self, start: str, end: str) -> str:
        """Whole days from start to end, at least 0 (as foia.stats.DaysBetween, then clamped)."""
        if self.pg:
            return f"GREATEST(EXTRACT(DAY FROM ({end} - {start}))::integer, 0)"
        return f"MAX(CAST(julianday({end}) - julianday({start}) AS INTEGER), 0)"

    def week(self, moment: str) -> str:
        """Whole weeks from Monday 2000-01-03 to the local date of `moment`."""
        if self.pg:
            return f"((({moment} AT TIME ZONE '{self.tz}')::date - DATE '{EPOCH_MONDAY}') / 7)"
        local = f"django_datetime_cast_date({moment}, '{self.tz}', 'UTC')"
        return f"CAST((julianday({local}) - julianday('{EPOCH_MONDAY}')) / 7 AS INTEGER)"

    def day_text(self, day: str) -> str:
        return f"to_char({day}, 'YYYY-MM-DD')" if self.pg else f"CAST({day} AS TEXT)"


def measures_sql(d: Dialect, src: str) -> str:
    """(c, s, o, measure, key, n) for every measure of every row of `src`.

    `src` yields id, campaign_id, owner_id, agency_id, status, sent_at, first_response_at, closed_at, due_on,
    state (the agency's) and sgn (+1 or -1); it is a table name or a parenthesised subquery.
    """
    head = (
        "SELECT r.campaign_id AS c, r.state AS s, r.owner_id AS o, '{m}' AS measure, {key} AS key, r.sgn AS n"
    )
    sent, answered = "r.sent_at IS NOT NULL", "r.first_response_at IS NOT NULL"
    open_list = ", ".join(f"'{status.value}'" for status in sorted(OPEN_STATUSES))
    parts = [
        ("n", "r.status || '|' || r.state", ""),
        ("sent", "r.status || '|' || r.state", sent),
        ("answered", "r.status || '|' || r.state", answered),
        ("open_due", d.day_text("r.due_on"), f"r.status IN ({open_list}) AND r.due_on IS NOT NULL"),
        ("answer_days", f"CAST({d.days('r.sent_at', 'r.first_response_at')} AS TEXT)",
         f"{sent} AND {answered}"),
        ("close_days", f"CAST({d.days('r.sent_at', 'r.closed_at')} AS TEXT)",
         f"{sent} AND {answered} AND r.closed_at IS NOT NULL"),
        ("unanswered", "''", f"{sent} AND NOT {answered}"),
        ("sent_week", f"CAST({d.week('r.sent_at')} AS TEXT)", sent),
        ("answer_week", f"CAST({d.week('r.first_response_at')} AS TEXT)", f"{sent} AND {answered}"),
    ]  # fmt: skip
    selects = [
        head.format(m=measure, key=key) + f" FROM {src} r" + (f" WHERE {where}" if where else "")
        for measure, key, where in parts
    ]
    # One number per agency holds two counts: sent requests + ANSWERED_UNIT × answered ones (sums stay exact).
    selects.append(
        head.replace(
            "r.sgn AS n", f"r.sgn * (1 + CASE WHEN {answered} THEN {ANSWERED_UNIT} ELSE 0 END) AS n"
        ).format(m="ag", key="CAST(r.agency_id AS TEXT)")
        + f" FROM {src} r WHERE {sent}"
    )
    selects.append(
        head.format(m="doc", key="dk.kind") + f" FROM {src} r JOIN foia_requestdocument dl"
        " ON dl.request_id = r.id JOIN foia_document dk ON dk.id = dl.document_id"
    )
    return "\nUNION ALL ".join(selects)


def scoped_select_sql(measures: str) -> str:
    """The non-zero totals of `measures` (c, s, o, measure, key, n rows) in each of the four scopes.

    `measures` is a table/CTE name or a parenthesised subquery.
    """
    agency = ", ".join(f"'{m}'" for m in AGENCY_MEASURES)
    return (
        "SELECT scope, scope_key, measure, key, SUM(n) FROM ("
        f" SELECT 'a' AS scope, '' AS scope_key, measure, key, n FROM {measures} m0"
        f" UNION ALL SELECT 'c', CAST(c AS TEXT), measure, key, n FROM {measures} m1"
        f" WHERE measure NOT IN ({agency})"
        f" UNION ALL SELECT 's', s, measure, key, n FROM {measures} m2"
        f" UNION ALL SELECT 'o', CAST(o AS TEXT), measure, key, n FROM {measures} m3 WHERE o IS NOT NULL"
        ") scoped GROUP BY scope, scope_key, measure, key HAVING SUM(n) <> 0"
    )


def scoped_insert_sql(measures: str) -> str:
    """INSERT scoped_select_sql(measures) into the summary table."""
    return f"INSERT INTO {TABLE} ({COLUMNS}) {scoped_select_sql(measures)}"


def request_src(table: str, sgn: int) -> str:
    """A measures source over the request rows of `table`."""
    columns = ", ".join(f"r.{c}" for c in ("id", *COUNTED))
    return (
        f"(SELECT {columns}, a.state, {sgn} AS sgn FROM {table} r JOIN foia_agency a ON a.id = r.agency_id)"
    )


def doc_links_sql(links: str, docs: str, sgn: int, where: str = "") -> str:
    """(c, s, o, 'doc', kind, n) for the links of `links` (joined with documents `docs`)."""
    return (
        f"SELECT r.campaign_id AS c, a.state AS s, r.owner_id AS o, 'doc' AS measure, dk.kind AS key,"
        f" {sgn} AS n FROM {links} dl JOIN foia_recordsrequest r ON r.id = dl.request_id"
        f" JOIN foia_agency a ON a.id = r.agency_id JOIN {docs} dk ON dk.id = dl.document_id"
        f"{' WHERE ' + where if where else ''}"
    )


# --- PostgreSQL: statement-level triggers over transition tables (one set-based insert per statement) ---

PG_TRIGGERS = [
    # (name, table, event, transition tables, body: the SQL the function runs)
    ("req_ins", "foia_recordsrequest", "INSERT", "NEW TABLE AS new_rows", "request:new"),
    (
        "req_upd",
        "foia_recordsrequest",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "request:upd",
    ),
    ("req_del", "foia_recordsrequest", "DELETE", "OLD TABLE AS old_rows", "request:old"),
    ("link_ins", "foia_requestdocument", "INSERT", "NEW TABLE AS new_rows", "link:new"),
    ("link_upd", "foia_requestdocument", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "link:upd"),
    ("link_del", "foia_requestdocument", "DELETE", "OLD TABLE AS old_rows", "link:old"),
    ("doc_upd", "foia_document", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "doc:upd"),
    ("agency_upd", "foia_agency", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "agency:upd"),
]


def _pg_body(d: Dialect, kind: str) -> str:
    """The trigger function's statement: materialised sources, their measures, the scoped insert.

    Updates keep only the rows whose counted columns changed, with EXCEPT (hashing, linear in the rows; a
    join of the transition tables on a "changed" condition gets nested loops, quadratic for a 10,000-row
    update, since the planner cannot estimate it).
    """
    cols = ", ".join(("id", *COUNTED))
    r_cols = ", ".join(f"r.{c}" for c in ("id", *COUNTED))

    def src(name: str, rows: str, sgn: int) -> str:
        return (
            f"{name} AS MATERIALIZED (SELECT r.*, a.state, {sgn} AS sgn FROM ({rows}) r"
            " JOIN foia_agency a ON a.id = r.agency_id)"
        )

    ctes: list[str] = []
    if kind == "request:new":
        ctes.append(src("s_new", f"SELECT {cols} FROM new_rows", 1))
        source = measures_sql(d, "s_new")
    elif kind == "request:old":
        ctes.append(src("s_old", f"SELECT {cols} FROM old_rows", -1))
        source = measures_sql(d, "s_old")
    elif kind == "request:upd":
        ctes.append(src("s_old", f"SELECT {cols} FROM old_rows EXCEPT SELECT {cols} FROM new_rows", -1))
        ctes.append(src("s_new", f"SELECT {cols} FROM new_rows EXCEPT SELECT {cols} FROM old_rows", 1))
        source = measures_sql(d, "s_old") + "\nUNION ALL " + measures_sql(d, "s_new")
    elif kind == "link:new":
        source = doc_links_sql("new_rows", "foia_document", 1)
    elif kind == "link:old":
        source = doc_links_sql("old_rows", "foia_document", -1)
    elif kind == "link:upd":
        source = (
            doc_links_sql("old_rows", "foia_document", -1)
            + "\nUNION ALL "
            + doc_links_sql("new_rows", "foia_document", 1)
        )
    elif kind == "doc:upd":
        ctes.append(
            "d_old AS MATERIALIZED (SELECT id, kind FROM old_rows EXCEPT SELECT id, kind FROM new_rows)"
        )
        ctes.append(
            "d_new AS MATERIALIZED (SELECT id, kind FROM new_rows EXCEPT SELECT id, kind FROM old_rows)"
        )
        source = (
            doc_links_sql("foia_requestdocument", "d_old", -1)
            + "\nUNION ALL "
            + doc_links_sql("foia_requestdocument", "d_new", 1)
        )
    elif kind == "agency:upd":
        for name, first, second, sgn in (
            ("old", "old_rows", "new_rows", -1),
            ("new", "new_rows", "old_rows", 1),
        ):
            moved = f"SELECT id, state FROM {first} EXCEPT SELECT id, state FROM {second}"
            ctes.append(f"g_{name} AS MATERIALIZED ({moved})")
            ctes.append(
                f"s_{name} AS MATERIALIZED (SELECT {r_cols}, g.state, {sgn} AS sgn FROM foia_recordsrequest r"
                f" JOIN g_{name} g ON g.id = r.agency_id)"
            )
        source = measures_sql(d, "s_old") + "\nUNION ALL " + measures_sql(d, "s_new")
    else:  # pragma: no cover - a typo in PG_TRIGGERS
        raise ValueError(kind)
    ctes.append(f"m AS MATERIALIZED ({source})")
    return f"WITH {', '.join(ctes)}\n{scoped_insert_sql('m')};"


def pg_install_sql(tz: str) -> list[str]:
    d = Dialect("postgresql", tz)
    statements = []
    for name, table, event, transition, kind in PG_TRIGGERS:
        function = f"foia_dash_{name}"
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
            f"BEGIN\n{_pg_body(d, kind)}\nRETURN NULL;\nEND\n$body$",
            f"DROP TRIGGER IF EXISTS {function} ON {table}",
            f"CREATE TRIGGER {function} AFTER {event} ON {table} REFERENCING {transition}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements


def pg_uninstall_sql() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS foia_dash_{name} ON {table}; DROP FUNCTION IF EXISTS foia_dash_{name}()"
        for name, table, *_ in PG_TRIGGERS
    ]


# --- SQLite: row-level triggers (NEW/OLD rows as one-row subqueries; SQLite allows no CTEs in triggers) ---


def _sqlite_request_row(alias: str, sgn: int) -> str:
    columns = ", ".join(f"{alias}.{c} AS {c}" for c in ("id", *COUNTED))
    state = f"(SELECT state FROM foia_agency WHERE id = {alias}.agency_id)"
    return f"(SELECT {columns}, {state} AS state, {sgn} AS sgn)"


def _sqlite_link_row(alias: str) -> str:
    return f"(SELECT {alias}.request_id AS request_id, {alias}.document_id AS document_id)"


IN_USE = f"EXISTS (SELECT 1 FROM {TABLE})"
SQLITE_TRIGGERS = [
    # (name, event clause, WHEN condition, source)
    ("req_ins", "INSERT ON foia_recordsrequest", "", "request:new"),
    ("req_upd", f"UPDATE OF {', '.join(COUNTED)} ON foia_recordsrequest",
     " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COUNTED), "request:upd"),
    # Deletes count only while the agency and some summary row exist: always while a request exists (its
    # "n" rows are positive), but not during a flush, which empties the tables in any order with checks off.
    ("req_del", "DELETE ON foia_recordsrequest", f"{IN_USE} AND EXISTS (SELECT 1 FROM foia_agency"
     " WHERE id = OLD.agency_id)", "request:old"),
    ("link_ins", "INSERT ON foia_requestdocument", "", "link:new"),
    ("link_upd", "UPDATE OF request_id, document_id ON foia_requestdocument", "", "link:upd"),
    ("link_del", "DELETE ON foia_requestdocument", IN_USE, "link:old"),
    ("doc_upd", "UPDATE OF kind ON foia_document", "OLD.kind IS NOT NEW.kind", "doc:upd"),
    ("agency_upd", "UPDATE OF state ON foia_agency", "OLD.state IS NOT NEW.state", "agency:upd"),
]  # fmt: skip


def _sqlite_source(d: Dialect, kind: str) -> str:
    if kind == "request:new":
        return measures_sql(d, _sqlite_request_row("NEW", 1))
    if kind == "request:old":
        return measures_sql(d, _sqlite_request_row("OLD", -1))
    if kind == "request:upd":
        return (
            measures_sql(d, _sqlite_request_row("OLD", -1))
            + "\nUNION ALL "
            + measures_sql(d, _sqlite_request_row("NEW", 1))
        )
    if kind == "link:new":
        return doc_links_sql(_sqlite_link_row("NEW"), "foia_document", 1)
    if kind == "link:old":
        return doc_links_sql(_sqlite_link_row("OLD"), "foia_document", -1)
    if kind == "link:upd":
        return (
            doc_links_sql(_sqlite_link_row("OLD"), "foia_document", -1)
            + "\nUNION ALL "
            + doc_links_sql(_sqlite_link_row("NEW"), "foia_document", 1)
        )
    if kind == "doc:upd":
        return "\nUNION ALL ".join(
            doc_links_sql("foia_requestdocument", f"(SELECT {alias}.id AS id, {alias}.kind AS kind)", sgn)
            for alias, sgn in (("OLD", -1), ("NEW", 1))
        )
    if kind == "agency:upd":
        columns = ", ".join(f"r.{c}" for c in ("id", *COUNTED))
        return "\nUNION ALL ".join(
            measures_sql(
                d,
                f"(SELECT {columns}, {alias}.state AS state, {sgn} AS sgn FROM foia_recordsrequest r"
                f" WHERE r.agency_id = {alias}.id)",
            )
            for alias, sgn in (("OLD", -1), ("NEW", 1))
        )
    raise ValueError(kind)  # pragma: no cover - a typo in SQLITE_TRIGGERS


def sqlite_install_sql(tz: str) -> list[str]:
    d = Dialect("sqlite", tz)
    statements = []
    for name, event, when, kind in SQLITE_TRIGGERS:
        trigger = f"foia_dash_{name}"
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger}",
            f"CREATE TRIGGER {trigger} AFTER {event}{' FOR EACH ROW WHEN ' + when if when else ''}\n"
            f"BEGIN\n{scoped_insert_sql('(' + _sqlite_source(d, kind) + ')')};\nEND",
        ]
    return statements


def sqlite_uninstall_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS foia_dash_{name}" for name, *_ in SQLITE_TRIGGERS]


def install_triggers(conn=None, tz: str | None = None) -> None:
    """(Re)create the triggers on `conn` (default: Django's connection) for time zone `tz`."""
    conn = conn or connection
    tz = tz or settings.TIME_ZONE
    statements = pg_install_sql(tz) if conn.vendor == "postgresql" else sqlite_install_sql(tz)
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def uninstall_triggers(conn=None) -> None:
    conn = conn or connection
    statements = pg_uninstall_sql() if conn.vendor == "postgresql" else sqlite_uninstall_sql()
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# --- Checking, rebuilding and compacting ---


def _totals(cursor, sql: str, params=()) -> Counter:
    cursor.execute(sql, params)
    return Counter({tuple(row[:4]): int(row[4]) for row in cursor.fetchall() if row[4]})


def _from_scratch_select(d: Dialect) -> str:
    """The summary as it should be, derived from the requests and documents (non-zero rows only)."""
    return scoped_select_sql("(" + measures_sql(d, request_src("foia_recordsrequest", 1)) + ")")


@dataclass
class Drift:
    """Keys whose stored total differs from the total derived from scratch."""

    keys: int
    examples: list[str]

    def __str__(self) -> str:
        if not self.keys:
            return "no drift: every stored total equals the live count"
        return f"{self.keys} key(s) drifted, e.g. " + "; ".join(self.examples)


def drift(conn=None) -> Drift:
    """Compare every stored total with the live counts (read-only)."""
    conn = conn or connection
    d = Dialect(conn.vendor, settings.TIME_ZONE)
    with conn.cursor() as cursor:
        group = "scope, scope_key, measure, key"
        stored = _totals(cursor, f"SELECT {group}, SUM(n) FROM {TABLE} GROUP BY {group}")
        live = _totals(cursor, _from_scratch_select(d))
    keys = sorted(set(stored) | set(live))
    bad = [key for key in keys if stored.get(key, 0) != live.get(key, 0)]
    examples = [f"{':'.join(key)} stored {stored.get(key, 0)} live {live.get(key, 0)}" for key in bad[:5]]
    return Drift(len(bad), examples)


def rebuild(conn=None, *, check: bool = True) -> Drift | None:
    """Reinstall the triggers (current TIME_ZONE), re-derive every row from scratch; returns the drift found.

    On PostgreSQL the summary table is locked first, so a writer that changes a request meanwhile waits and
    appends its delta after the rebuild's rows (its change is not in them, since it had not committed).
    """
    conn = conn or connection
    found = drift(conn) if check else None
    d = Dialect(conn.vendor, settings.TIME_ZONE)
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE 0")  # takes SQLite's write lock before reading
        install_triggers(conn)
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) {_from_scratch_select(d)}")
    return found


def compact(conn=None) -> tuple[int, int]:
    """Fold the rows into one per key (dropping zeros); returns (rows before, rows after)."""
    conn = conn or connection
    group = "scope, scope_key, measure, key"
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # One statement: it folds exactly the rows it deletes; rows that uncommitted writers append
            # meanwhile are invisible to it and stay as they are.
            cursor.execute(
                f"WITH moved AS (DELETE FROM {TABLE} RETURNING {COLUMNS}),"
                f" folded AS (INSERT INTO {TABLE} ({COLUMNS}) SELECT {group}, SUM(n) FROM moved"
                f" GROUP BY {group} HAVING SUM(n) <> 0 ORDER BY {group} RETURNING 1)"
                f" SELECT (SELECT COUNT(*) FROM moved), (SELECT COUNT(*) FROM folded)"
            )
            before, after = cursor.fetchone()
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE 0")  # SQLite's write lock first: no writer in between
            cursor.execute(f"SELECT COUNT(*), COALESCE(MAX(id), 0) FROM {TABLE}")
            before, last = cursor.fetchone()
            cursor.execute(
                f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {group}, SUM(n) FROM {TABLE} WHERE id <= %s"
                f" GROUP BY {group} HAVING SUM(n) <> 0",
                [last],
            )
            after = cursor.rowcount
            cursor.execute(f"DELETE FROM {TABLE} WHERE id <= %s", [last])
    return int(before), int(after)
