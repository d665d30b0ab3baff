"""Writing the machine's half of many cells at once: plain rows, no model instances (15,000 cells through
the ORM cost seconds of Python). PostgreSQL: COPY into a temporary table, then one UPDATE by id and one
INSERT ... ON CONFLICT; SQLite: executemany of the same two statements. A person's answer is never written
here; only `needs_review` may be raised."""

from __future__ import annotations

from django.db import connection, transaction

from ..models import FindingCell

# The machine's columns, in the order rows carry them after (id, question_id, agency_id).
MACHINE = [
    "answer", "reason", "document_id", "link_id", "filename", "page", "passage", "amount", "found_date",
    "value_passage", "needs_review", "computed_at",
]  # fmt: skip
TABLE = FindingCell._meta.db_table
TEMP = "findings_cells_incoming"


def _types() -> list[str]:
    fields = {f.column: f for f in FindingCell._meta.concrete_fields}
    return [fields[c].db_type(connection) or "text" for c in ["id", "question_id", "agency_id", *MACHINE]]


def cells_store(rows: list[tuple]) -> None:
    """Upsert (id or None, question id, agency id, *MACHINE) rows: by id when known, else by (question,
    agency), so two workers computing the same row at once do not trip over the unique constraint."""
    if not rows:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _store_postgres(rows)
        else:
            _store_sqlite(rows)


def _store_postgres(rows: list[tuple]) -> None:
    columns = ["id", "question_id", "agency_id", *MACHINE]
    definition = ", ".join(f"{c} {t}" for c, t in zip(columns, _types(), strict=True))
    assignments = ", ".join(f"{c} = i.{c}" for c in MACHINE)
    names = ", ".join(MACHINE)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {TEMP} ({definition}) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {TEMP} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        update = f"UPDATE {TABLE} c SET {assignments} FROM {TEMP} i WHERE i.id IS NOT NULL AND c.id = i.id"  # noqa: S608
        cursor.execute(update)
        cursor.execute(
            f"""INSERT INTO {TABLE} (question_id, agency_id, {names}, human_answer, note, decided_over)
            SELECT question_id, agency_id, {names}, '', '', '' FROM {TEMP} WHERE id IS NULL
            ON CONFLICT (question_id, agency_id) DO UPDATE SET {_excluded()}"""  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {TEMP}")


def _excluded() -> str:
    return ", ".join(f"{c} = excluded.{c}" for c in MACHINE if c != "needs_review")


def _store_sqlite(rows: list[tuple]) -> None:
    assignments = ", ".join(f"{c} = %s" for c in MACHINE)
    names = ", ".join(MACHINE)
    marks = ", ".join(["%s"] * (len(MACHINE) + 2))
    rows = [_sqlite_values(row) for row in rows]
    known = [(*row[3:], row[0]) for row in rows if row[0] is not None]
    new = [row[1:] for row in rows if row[0] is None]
    with connection.cursor() as cursor:
        if known:
            cursor.executemany(f"UPDATE {TABLE} SET {assignments} WHERE id = %s", known)  # noqa: S608
        if new:
            insert = (
                f"INSERT INTO {TABLE} (question_id, agency_id, {names}, human_answer, note, decided_over) "  # noqa: S608
                f"VALUES ({marks}, '', '', '') ON CONFLICT (question_id, agency_id) "
                f"DO UPDATE SET {_excluded()}"
            )
            cursor.executemany(insert, new)


AMOUNT, FOUND_DATE, COMPUTED_AT = (3 + MACHINE.index(c) for c in ("amount", "found_date", "computed_at"))


def _sqlite_values(row: tuple) -> list:
    """Decimals, dates and aware datetimes as Django's SQLite backend stores them."""
    ops, out = connection.ops, list(row)
    out[AMOUNT] = ops.adapt_decimalfield_value(out[AMOUNT], 14, 2)
    out[FOUND_DATE] = ops.adapt_datefield_value(out[FOUND_DATE])
    out[COMPUTED_AT] = ops.adapt_datetimefield_value(out[COMPUTED_AT])
    return out
