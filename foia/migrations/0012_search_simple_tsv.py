"""Exact search on PostgreSQL: an unstemmed word index (simple config) that narrows phrases before the check.

The column holds the words of the folded page text (search_text: own text plus the start of the next page),
where anything but ASCII letters and digits and the Latin letters U+00C0-U+024F counts as a space: every such
letter is a word character for Python too, so a phrase that foia.search.text matches is always a run of
adjacent words here (foia.search.exact.SIMPLE_SEPARATORS is the same class). Pages longer than
SIMPLE_MAX_CHARS get NULL and are searched by the trigram index instead: a tsvector counts at most 16,383 word
positions (later words all share the last one, which would break adjacency) and at most 1 MB, and 16,000
characters stay below both.
SQLite: nothing (its FTS5 trigram table serves exact search).
"""

from django.db import migrations

SIMPLE_MAX_CHARS = 16000
SEPARATORS = "[^0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+"
PG_INSTALL = [
    f"""ALTER TABLE foia_documentpage ADD COLUMN IF NOT EXISTS search_simple tsvector GENERATED ALWAYS AS (
        CASE WHEN length(search_text) <= {SIMPLE_MAX_CHARS} THEN
        to_tsvector('simple'::regconfig, regexp_replace(search_text, '{SEPARATORS}', ' ', 'g'))
        END) STORED""",
    "CREATE INDEX IF NOT EXISTS foia_documentpage_simple ON foia_documentpage USING GIN (search_simple)",
    # The few pages too long for the word index: found fast so the trigram check runs on them alone.
    """CREATE INDEX IF NOT EXISTS foia_documentpage_unindexed ON foia_documentpage (id)
        WHERE search_simple IS NULL""",
]
PG_REMOVE = [
    "DROP INDEX IF EXISTS foia_documentpage_unindexed",
    "DROP INDEX IF EXISTS foia_documentpage_simple",
    "ALTER TABLE foia_documentpage DROP COLUMN IF EXISTS search_simple",
]


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_INSTALL:
            schema_editor.execute(statement)


def remove(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("foia", "0011_mail_senders_and_reports")]

    operations = [migrations.RunPython(install, remove)]
