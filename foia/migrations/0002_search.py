"""Full-text search indexes, which differ by database (hand-written; see foia/search.py).

PostgreSQL: a stored, generated tsvector column on each DocumentPage and Communication with a GIN index.
SQLite: FTS5 external-content tables kept in step by triggers.

On SQLite, a later migration that rebuilds foia_documentpage or foia_communication (Django copies the table to
alter it) drops these triggers: call `search_index_install` again from that migration.
"""

from django.db import migrations

PG_INSTALL = [
    # left(): PostgreSQL refuses tsvectors over 1 MB; pages are far shorter, this only guards odd files.
    """ALTER TABLE foia_documentpage ADD COLUMN IF NOT EXISTS search_vector tsvector
       GENERATED ALWAYS AS (to_tsvector('english'::regconfig, left(text, 400000))) STORED""",
    "CREATE INDEX IF NOT EXISTS foia_documentpage_search ON foia_documentpage USING GIN (search_vector)",
    """ALTER TABLE foia_communication ADD COLUMN IF NOT EXISTS search_vector tsvector
       GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, subject), 'A')
                            || to_tsvector('english'::regconfig, left(body, 400000))) STORED""",
    "CREATE INDEX IF NOT EXISTS foia_communication_search ON foia_communication USING GIN (search_vector)",
]
PG_REMOVE = [
    "DROP INDEX IF EXISTS foia_documentpage_search",
    "ALTER TABLE foia_documentpage DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS foia_communication_search",
    "ALTER TABLE foia_communication DROP COLUMN IF EXISTS search_vector",
]


def _sqlite_statements(table: str, columns: list[str]) -> list[str]:
    fts = f"{table}_fts"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2')""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
            INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END""",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


SQLITE_INSTALL = _sqlite_statements("foia_documentpage", ["text"]) + _sqlite_statements(
    "foia_communication", ["subject", "body"]
)
SQLITE_REMOVE = [
    f"DROP {kind} IF EXISTS {table}_fts{suffix}"
    for table in ("foia_documentpage", "foia_communication")
    for kind, suffix in (("TRIGGER", "_ai"), ("TRIGGER", "_ad"), ("TRIGGER", "_au"), ("TABLE", ""))
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    for statement in statements.get(vendor, []):
        schema_editor.execute(statement)


def search_index_install(apps, schema_editor) -> None:
    """Create the search columns/tables for this database (nothing on other vendors: search then fails)."""
    _run(schema_editor, {"postgresql": PG_INSTALL, "sqlite": SQLITE_INSTALL})


def search_index_remove(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": PG_REMOVE, "sqlite": SQLITE_REMOVE})


class Migration(migrations.Migration):
    dependencies = [("foia", "0001_initial")]

    operations = [migrations.RunPython(search_index_install, search_index_remove)]
