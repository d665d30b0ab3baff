"""Exact search on PostgreSQL: the page's adjacent word pairs, indexed, so a phrase of common words is narrowed
to the pages that hold each of its word pairs before the word index checks the positions.

The word index of 0012 (search_simple) knows where each word is, but its GIN index can only find pages that
hold all the words somewhere: for a phrase of common words that are rarely side by side ("share ring
footage") that is most pages, each then re-checked (seconds over 250,000 pages). `search_pairs` holds the
"word next-word" pairs of the same words (the same separators as 0012; words over 200 characters left out,
as to_tsvector leaves out very long words; NULL above 0012's SIMPLE_MAX_CHARS, those pages go to the trigram
check) as a tsvector without positions, with a GIN index: foia.search.exact asks
`p.search_pairs @@ '''share ring'' & ''ring footage'''` (foia.search.exact.pairs_tsquery). The column is
stored (generated), not an expression index: computing the pairs takes about a millisecond a page, too slow
to repeat for every page a query reads.
SQLite: nothing (its FTS5 trigram table already sees across the space between words).
"""

from django.db import migrations

SIMPLE_MAX_CHARS = 16000  # as 0012
SEPARATORS = "[^0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+"  # as 0012
MAX_WORD = 200
PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION foia_word_pairs(folded text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE WHEN length(folded) <= {SIMPLE_MAX_CHARS} THEN (
            SELECT array_to_tsvector(coalesce(array_agg(word || ' ' || next), '{{}}'::text[]))
            FROM (SELECT word, lead(word) OVER (ORDER BY n) AS next
                  FROM regexp_split_to_table(btrim(regexp_replace(folded, '{SEPARATORS}', ' ', 'g')), ' ')
                       WITH ORDINALITY AS t(word, n)) AS words
            WHERE next IS NOT NULL AND length(word) <= {MAX_WORD} AND length(next) <= {MAX_WORD})
        END $$""",  # noqa: S608 - constants of this module, no input
    """ALTER TABLE foia_documentpage ADD COLUMN IF NOT EXISTS search_pairs tsvector
        GENERATED ALWAYS AS (foia_word_pairs(search_text)) STORED""",
    "CREATE INDEX IF NOT EXISTS foia_documentpage_pairs ON foia_documentpage USING GIN (search_pairs)",
]
PG_REMOVE = [
    "DROP INDEX IF EXISTS foia_documentpage_pairs",
    "ALTER TABLE foia_documentpage DROP COLUMN IF EXISTS search_pairs",
    "DROP FUNCTION IF EXISTS foia_word_pairs(text)",
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
    dependencies = [("foia", "0015_agency_place_key")]

    operations = [migrations.RunPython(install, remove)]
