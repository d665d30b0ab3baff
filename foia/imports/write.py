"""Writing checked agency rows: plan creates/updates against stored agencies, then one upsert.

Import rules: an agency is "the same" when its normalised name and state match and the cities do not say
otherwise (one of them has none, or they are equal: see `_match`); the file fills and corrects
contact fields but never erases them (an empty cell keeps what is stored); columns the model has no field for
are kept in Agency.extra under their original header. A file with any problem writes nothing. Changing a
stored contact (email, portal, address, phone, fax) is an editor's job, as on the web form and the API; a
reporter's file may fill empty ones. A real import that matches a demo agency replaces its simulated contacts.
"""

import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..models import Agency, Campaign
from ..models.agency import CONTACT_FIELDS, normalize_agency_name
from ..models.agency_import import import_summary
from .parse import AgencyRow, ImportProblem, ParsedFile, agency_kind


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    added_to_campaign: int = 0
    needing_contact: int = 0
    dry_run: bool = False
    agency_ids: list[int] = field(default_factory=list)
    notices: list[ImportProblem] = field(default_factory=list)  # e.g. a namesake kept apart by its city

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        text = import_summary(self.created, self.updated, self.unchanged, self.added_to_campaign)
        return text + (" (dry run: nothing written)" if self.dry_run else "")


class AgencyImportError(ValueError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def _new_agency(row: AgencyRow, *, demo: bool) -> Agency:
    values = dict(row.values)
    values["kind"] = agency_kind(values.get("kind", ""), values["name"])
    agency = Agency(**values, extra=dict(row.extra), is_demo=demo)
    agency.normalized_name = normalize_agency_name(agency.name)  # bulk_create skips save()
    agency.place_key = row.place_key
    return agency


def _match(row: AgencyRow, candidates: list[Agency], taken: set[int]) -> Agency | ImportProblem | None:
    """The stored agency a row means among those of its name and state; None = a new agency.

    Same city → that agency. A row with a city matches the only agency of the name that has no city yet (the
    row fills it in). A row without a city matches the only agency of the name; with several it is ambiguous.
    A different city is a different agency (several New Jersey townships share a police department's name).
    """
    free = [agency for agency in candidates if agency.pk not in taken]
    if row.place_key:
        same_place = [agency for agency in free if agency.place_key == row.place_key]
        if same_place:
            return same_place[0]
        if len(candidates) == 1 and free and not free[0].place_key:
            return free[0]
        return None
    if len(candidates) > 1:
        places = ", ".join(sorted(agency.city or "no city" for agency in candidates))
        message = (
            f"{len(candidates)} agencies are named {row.values['name']} in {row.values['state']} ({places}): "
            "add a city column (or fill this row's city) to say which"
        )
        return ImportProblem(row.line, message)
    return free[0] if free else None


def _namesake_notice(row: AgencyRow, namesakes: list[Agency]) -> ImportProblem:
    places = ", ".join(sorted(namesake.city or "no city" for namesake in namesakes))
    values = row.values
    message = (
        f"{values['name']} in {values['city']}, {values['state']} is a new agency: the stored one of that "
        f"name is in {places} (if they are one agency, correct its city in the admin and import again)"
    )
    return ImportProblem(row.line, message)


def _contact_problems(agency: Agency, row: AgencyRow, headers: dict[str, str]) -> list[ImportProblem]:
    """The stored contacts this row would change: refused unless the person is an editor."""
    if agency.is_demo:
        return []
    problems = []
    for model_field in CONTACT_FIELDS:
        stored, value = getattr(agency, model_field), row.values.get(model_field, "")
        if stored and value and value != stored:
            message = (
                f"{agency.name} already has {stored!r}; only an editor can change a stored contact "
                "(leave the cell empty to keep it)"
            )
            problems.append(ImportProblem(row.line, message, headers.get(model_field, model_field)))
    return problems


def _changed_fields(agency: Agency, row: AgencyRow, *, demo: bool = False) -> list[str]:
    """Apply the row to an existing agency: fill and correct, never erase; the fields that changed.

    A real file matching a demo agency makes it real: its simulated contacts go, even where a cell is empty.
    """
    changed = []
    if agency.is_demo and not demo:
        for model_field in CONTACT_FIELDS:
            if getattr(agency, model_field) and not row.values.get(model_field):
                setattr(agency, model_field, "")
                changed.append(model_field)
        agency.is_demo = False
        changed.append("is_demo")
    for model_field, value in row.values.items():
        if model_field in ("name", "state") or not value:
            continue
        if model_field == "kind":
            value = agency_kind(value)
        if getattr(agency, model_field) != value:
            setattr(agency, model_field, value)
            changed.append(model_field)
    if agency.place_key != row.place_key and row.place_key:
        agency.place_key = row.place_key
        changed.append("place_key")
    extra = dict(agency.extra or {})
    for key, value in row.extra.items():
        if value or key not in extra:
            extra[key] = value
    if extra != agency.extra:
        agency.extra = extra
        changed.append("extra")
    return changed


def _allow_large_sqlite_batches() -> None:
    """Let one INSERT carry a whole file on SQLite.

    Django 5.2 assumes SQLite's historic 999-variable limit and splits bulk writes into ~60-row batches; the
    linked library's real limit (250,000 on current builds) is read from the connection instead.
    """
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit > connection.features.max_query_params:
        connection.features.max_query_params = limit


def _agencies_write(to_create: list[Agency], to_update: list[Agency], changed_fields: list[str]) -> None:
    """New and changed agencies in one INSERT ... ON CONFLICT (normalized_name, state, place_key) DO UPDATE.

    bulk_update would write a CASE WHEN per field and row, slow past a few hundred rows; an upsert of the
    merged rows updates any number of agencies in the same single statement that creates the new ones. It also
    means an agency another import created a moment ago is matched instead of failing the unique constraint.
    The few agencies that get their first city (so a new key) are updated by id beforehand.
    """
    placed = [agency for agency in to_update if "place_key" in agency._import_changed]
    if placed:
        Agency.objects.bulk_update(placed, sorted({name for a in placed for name in a._import_changed}))
        to_update = [agency for agency in to_update if "place_key" not in agency._import_changed]
        changed_fields = sorted({name for agency in to_update for name in agency._import_changed})
    if not to_create and not to_update:
        return
    known_ids = [agency.pk for agency in to_update]
    for agency in to_update:
        agency.pk, agency._state.adding = None, True  # matched by (normalized_name, state), not id
    Agency.objects.bulk_create(
        [*to_create, *to_update],
        update_conflicts=True,
        unique_fields=["normalized_name", "state", "place_key"],
        update_fields=[*changed_fields, "updated_at"],
    )
    for agency, pk in zip(to_update, known_ids, strict=True):
        agency.pk, agency._state.adding = pk, False


def agencies_import(
    *,
    parsed: ParsedFile,
    campaign: Campaign | None = None,
    dry_run: bool = False,
    actor=None,
    may_change_contacts: bool = True,
    demo: bool = False,
) -> ImportResult:
    """Create new agencies and update known ones (same normalised name and state) in batched queries.

    `actor` is recorded as who changed a contact; `may_change_contacts=False` (a reporter) refuses rows that
    would change a stored contact; `demo=True` marks new agencies as demo data.
    """
    if not parsed.ok:
        raise AgencyImportError(parsed.problems)
    result = ImportResult(dry_run=dry_run)
    states = sorted({row.values["state"] for row in parsed.rows})
    headers = {target: original for original, target in parsed.columns.items() if target != "extra"}
    with transaction.atomic():
        existing: dict[tuple[str, str], list[Agency]] = defaultdict(list)
        for agency in Agency.objects.filter(state__in=states).order_by("pk"):
            existing[(agency.normalized_name, agency.state)].append(agency)
        to_create, to_update, changed_fields, unchanged, problems = [], [], set(), [], []
        taken: set[int] = set()
        # Rows with a city first: they claim their agencies before a city-less row asks which one it means.
        for row in sorted(parsed.rows, key=lambda row: not row.place_key):
            agency = _match(row, existing[row.name_key], taken)
            if isinstance(agency, ImportProblem):
                problems.append(agency)
                continue
            if agency is None:
                to_create.append(_new_agency(row, demo=demo))
                if namesakes := existing[row.name_key]:
                    result.notices.append(_namesake_notice(row, namesakes))
                continue
            taken.add(agency.pk)
            if not may_change_contacts:
                problems += _contact_problems(agency, row, headers)
            changed = _changed_fields(agency, row, demo=demo)
            if actor is not None and set(changed) & set(CONTACT_FIELDS):
                agency.contact_changed_by, agency.contact_changed_at = actor, timezone.now()
                changed += ["contact_changed_by", "contact_changed_at"]
            agency._import_changed = changed
            (to_update if changed else unchanged).append(agency)
            changed_fields.update(changed)
        if problems:
            raise AgencyImportError(problems)
        if actor is not None:
            for agency in to_create:
                agency.contact_changed_by, agency.contact_changed_at = actor, timezone.now()
        result.created, result.updated, result.unchanged = len(to_create), len(to_update), len(unchanged)
        result.needing_contact = sum(agency.needs_contact for agency in (*to_create, *to_update, *unchanged))
        if dry_run:
            return result
        _allow_large_sqlite_batches()
        _agencies_write(to_create, to_update, sorted(changed_fields))
        result.agency_ids = [agency.pk for agency in (*to_create, *to_update, *unchanged)]
        if campaign is not None:
            result.added_to_campaign = _campaign_add(campaign, result.agency_ids)
    return result


def _campaign_add(campaign: Campaign, agency_ids: list[int]) -> int:
    """Add agencies to a campaign in one INSERT; how many were not in it yet."""
    through = Campaign.agencies.through
    already = set(through.objects.filter(campaign=campaign).values_list("agency_id", flat=True))
    links = [through(campaign_id=campaign.pk, agency_id=pk) for pk in agency_ids if pk not in already]
    through.objects.bulk_create(links)
    return len(links)


def campaign_for_import(*, name: str, owner=None) -> tuple[Campaign, bool]:
    """The campaign titled `name` (or with that slug), created with a unique slug and tracking prefix."""
    name = name.strip()
    found = Campaign.objects.filter(title__iexact=name).first() or Campaign.objects.filter(slug=name).first()
    if found:
        return found, False
    base_slug = slugify(name)[:50] or "campaign"
    slug, number = base_slug, 1
    while Campaign.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base_slug}-{number}"
    first_word = re.sub(r"[^A-Z0-9]", "", base_slug.split("-")[0].upper())[:8] or "CAMP"
    prefix, number = first_word, 1
    while Campaign.objects.filter(tracking_prefix=prefix).exists():
        number += 1
        prefix = f"{first_word}{number}"
    return Campaign.objects.create(title=name, slug=slug, tracking_prefix=prefix, owner=owner), True
