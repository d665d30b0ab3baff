"""Agencies of one name in one state but different cities are different agencies (place_key = the city as a key).

Additive: the new column is filled from each agency's city, then the unique constraint widens from
(normalized_name, state) to (normalized_name, state, place_key) — every existing row already satisfies it.
"""

import re
import unicodedata

from django.db import migrations, models


def _key(text: str) -> str:
    # foia.models.agency.normalize_agency_name as of this migration (kept here so later changes cannot alter it).
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def fill_place_keys(apps, schema_editor):
    Agency = apps.get_model("foia", "Agency")
    batch = []
    for agency in Agency.objects.exclude(city="").only("pk", "city").iterator(chunk_size=2000):
        agency.place_key = _key(agency.city)
        batch.append(agency)
        if len(batch) >= 2000:
            Agency.objects.bulk_update(batch, ["place_key"])
            batch = []
    Agency.objects.bulk_update(batch, ["place_key"])


class Migration(migrations.Migration):
    dependencies = [("foia", "0014_appeals")]

    operations = [
        migrations.AddField(
            model_name="agency",
            name="place_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=120),
        ),
        migrations.RunPython(fill_place_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="agency", name="agency_unique_name_state"),
        migrations.AddConstraint(
            model_name="agency",
            constraint=models.UniqueConstraint(
                fields=("normalized_name", "state", "place_key"), name="agency_unique_name_state_place"
            ),
        ),
    ]
