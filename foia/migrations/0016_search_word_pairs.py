"""Exact search on PostgreSQL: an index of adjacent word pairs, so a phrase of common words is narrowed to the
pages that hold each of its word pairs before the word index checks the positions.

The word index of 0012 (search_simple) knows where each word is, but its GIN index can only find pages that
hold all the words somewhere: for a phrase of common words that are rarely side by side ("share ring
footage") that is most pages, each then re-checked. Here `foia_word_pairs(search_text)` is the set of "word
next-word" pairs of the same words (the same separators as 0012; words over 200 characters left out, as
to_tsvector leaves out very long words; NULL above 0012's SIMPLE_MAX_CHARS, those pages go to the trigram
check), as a tsvector without positions, and an expression GIN index serves
`foia_word_pairs(p.search_text) @@ '''share ring'' & ''ring footage'''`. foia.search.exact.pairs_tsquery
builds that query. Nothing is stored in the table: only the index holds the pairs.
SQLite: nothing (its FTS5 trigram table already sees across the space between words).
"""

from django.db import migrations

SIMPLE_MAX_CHARS = 16000  # as 0012
SEPARATORS = "[^0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+"  # as 0012
MAX_WORD = 200
# About a millisecond and a half for a page: told to the planner (in units of cpu_operator_cost), so it reads
# the index and never computes the pairs of every page of a campaign to filter them.
COST = 50000
PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION foia_word_pairs(folded text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST {COST} AS $$
        SELECT CASE WHEN length(folded) <= {SIMPLE_MAX_CHARS} THEN (
            SELECT array_to_tsvector(coalesce(array_agg(word || ' ' || next), '{{}}'::text[]))
            FROM (SELECT word, lead(word) OVER (ORDER BY n) AS next
                  FROM regexp_split_to_table(btrim(regexp_replace(folded, '{SEPARATORS}', ' ', 'g')), ' ')
                       WITH ORDINALITY AS t(word, n)) AS words
            WHERE next IS NOT NULL AND length(word) <= {MAX_WORD} AND length(next) <= {MAX_WORD})
        END $$""",  # noqa: S608 - constants of this module, no input
    """CREATE INDEX IF NOT EXISTS foia_documentpage_pairs ON foia_documentpage
        USING GIN (foia_word_pairs(search_text))""",
]
PG_REMOVE = [
    "DROP INDEX IF EXISTS foia_documentpage_pairs",
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
