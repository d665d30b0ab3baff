"""Exact search: pages extracted before the folding learnt soft hyphens at line ends, a hyphen kept before a
digit ("COVID-⏎19"), Unicode hyphens and ligatures get their folded text (search_text) again.

Only documents with a page holding one of those characters or a hyphen at a line end next to a digit are
read; each is refolded whole (a page's folded text ends with the start of the next one) with the code's
current rules (foia.search.text.pages_search_text, as migration 0006 did). Rows whose folded text does not
change are left alone. The faithful page text is never touched.
"""

from django.db import migrations
from django.db.models import Q

CHARACTERS = [
    "\u00ad",
    "\u2010",
    "\u2011",
    "\ufb00",
    "\ufb01",
    "\ufb02",
    "\ufb03",
    "\ufb04",
    "\ufb05",
    "\ufb06",
]
DIGIT_LINE_HYPHEN = r"[0-9]-[ \t\r]*\n|-[ \t\r]*\n[ \t\r]*[0-9]"
BATCH = 200


def refold(apps, schema_editor) -> None:
    from foia.search.text import pages_search_text

    page_model = apps.get_model("foia", "DocumentPage")
    affected = Q(text__regex=DIGIT_LINE_HYPHEN)
    for character in CHARACTERS:
        affected |= Q(text__contains=character)
    document_ids = sorted(set(page_model.objects.filter(affected).values_list("document_id", flat=True)))
    for start in range(0, len(document_ids), BATCH):
        changed = []
        pages = page_model.objects.filter(document_id__in=document_ids[start : start + BATCH]).order_by(
            "document_id", "number"
        )
        by_document: dict = {}
        for page in pages.only("id", "document_id", "number", "text", "search_text", "search_own_length"):
            by_document.setdefault(page.document_id, []).append(page)
        for document_pages in by_document.values():
            folded = pages_search_text([page.text for page in document_pages])
            for page, (search_text, own) in zip(document_pages, folded, strict=True):
                if (page.search_text, page.search_own_length) != (search_text, own):
                    page.search_text, page.search_own_length = search_text, own
                    changed.append(page)
        page_model.objects.bulk_update(changed, ["search_text", "search_own_length"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("foia", "0017_duplicate_groups")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
