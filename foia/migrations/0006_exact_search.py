"""Exact search: the folded text of each page (with the start of the next), indexed by trigrams; OCR status;
files of unsorted mail (MessageAttachment).

PostgreSQL: pg_trgm GIN index on foia_documentpage.search_text (regular expressions use it; no tsvector
limits: no 1 MB cap, no 16,383 word positions). SQLite: an FTS5 table with the trigram tokenizer.
Existing pages get their search_text here.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

PG_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS foia_documentpage_exact ON foia_documentpage USING GIN (search_text gin_trgm_ops)",
]
PG_REMOVE = ["DROP INDEX IF EXISTS foia_documentpage_exact"]
FTS = "foia_documentpage_exact"
SQLITE_INSTALL = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(search_text, content='foia_documentpage',
        content_rowid='id', tokenize='trigram')""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON foia_documentpage BEGIN
        INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON foia_documentpage BEGIN
        INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF search_text ON foia_documentpage BEGIN
        INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {FTS}_{s}" for s in ("ai", "ad", "au")] + [
    f"DROP TABLE IF EXISTS {FTS}"
]


def backfill(apps, schema_editor) -> None:
    """Fold the pages already stored, document by document."""
    from foia.search.text import pages_search_text

    page_model = apps.get_model("foia", "DocumentPage")
    document_ids = page_model.objects.values_list("document_id", flat=True).distinct().order_by("document_id")
    for document_id in document_ids.iterator():
        pages = list(page_model.objects.filter(document_id=document_id).order_by("number"))
        for page, (text, own) in zip(pages, pages_search_text([p.text for p in pages]), strict=True):
            page.search_text, page.search_own_length = text, own
        page_model.objects.bulk_update(pages, ["search_text", "search_own_length"], batch_size=500)


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # Adding columns may have rebuilt the table, which drops 0002's triggers: put them back.
        importlib.import_module("foia.migrations.0002_search").search_index_install(apps, schema_editor)
    for statement in {"postgresql": PG_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, []):
        schema_editor.execute(statement)


def remove(apps, schema_editor) -> None:
    for statement in {"postgresql": PG_REMOVE, "sqlite": SQLITE_REMOVE}.get(
        schema_editor.connection.vendor, []
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("foia", "0005_agency_imports")]

    operations = [
        migrations.AddField(
            model_name="documentpage", name="search_text", field=models.TextField(blank=True, default="")
        ),
        migrations.AddField(
            model_name="documentpage", name="search_own_length", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AlterField(
            model_name="documentpage",
            name="text",
            field=models.TextField(
                help_text="The page as extracted (faithful: hyphens and line breaks kept)."
            ),
        ),
        migrations.AddField(
            model_name="document", name="ocr_pages", field=models.PositiveIntegerField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="document", name="ocr_confidence", field=models.FloatField(blank=True, null=True)
        ),
        migrations.CreateModel(
            name="MessageAttachment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("filename", models.CharField(max_length=255)),
                ("added_at", models.DateTimeField(auto_now_add=True)),
                (
                    "communication",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="unsorted_attachments",
                        to="foia.communication",
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="unsorted_links",
                        to="foia.document",
                    ),
                ),
            ],
            options={
                "ordering": ["communication", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("communication", "document"), name="unsorted_attachment_once"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
    ]
