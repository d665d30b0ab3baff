"""Agency import: parse and check a CSV (pure), plan creates/updates against existing rows, write in batches.

Import rules: header names and state names are matched loosely; an agency is "the same" when its normalised
name and state match; the file fills and corrects contact fields but never erases them (an empty cell keeps
what is stored); columns the model has no field for are kept in Agency.extra under their original header.
A file with any problem writes nothing.
"""

import csv
import io
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import connection, transaction
from django.utils.text import slugify

from .models import Agency, AgencyKind, Campaign
from .models.agency import normalize_agency_name

STATE_NAMES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "US": "United States (federal)",
}
_STATE_LOOKUP = (
    {normalize_agency_name(name): code for code, name in STATE_NAMES.items()}
    | {code.lower(): code for code in STATE_NAMES}
    | {
        "dist of columbia": "DC",
        "d c": "DC",
        "washington dc": "DC",
        "washington d c": "DC",
        "federal": "US",
        "usa": "US",
        "u s": "US",
        "united states": "US",
        "u s a": "US",
        "fed": "US",
    }
)

# Model field -> header names that mean it (compared after lower-casing and turning _ - . into spaces).
HEADER_ALIASES = {
    "name": {"agency", "agency name", "name", "department", "department name"},
    "state": {"state", "st", "state code", "jurisdiction"},
    "city": {"city", "town", "municipality"},
    "county": {"county"},
    "kind": {"kind", "type", "agency type"},
    "email": {"email", "e mail", "records email", "foia email", "email address"},
    "portal_url": {"portal", "portal url", "website"},
    "portal_name": {"portal name"},
    "address": {"address", "mailing address", "postal address"},
    "phone": {"phone", "telephone"},
    "fax": {"fax"},
    "notes": {"notes"},
}
HEADER_FIELDS = {alias: model_field for model_field, aliases in HEADER_ALIASES.items() for alias in aliases}
REQUIRED_FIELDS = ["name", "state"]
CONTACT_FIELDS = ["city", "county", "email", "portal_url", "portal_name", "address", "phone", "fax", "notes"]
KIND_ALIASES = {
    "police": AgencyKind.POLICE,
    "police department": AgencyKind.POLICE,
    "pd": AgencyKind.POLICE,
    "sheriff": AgencyKind.SHERIFF,
    "sheriff s office": AgencyKind.SHERIFF,
    "sheriffs office": AgencyKind.SHERIFF,
    "sheriff office": AgencyKind.SHERIFF,
    "public safety": AgencyKind.PUBLIC_SAFETY,
    "state police": AgencyKind.STATE_POLICE,
    "highway patrol": AgencyKind.STATE_POLICE,
    "city": AgencyKind.CITY,
    "town": AgencyKind.CITY,
    "municipal": AgencyKind.CITY,
    "county": AgencyKind.COUNTY,
    "state agency": AgencyKind.STATE_AGENCY,
    "state": AgencyKind.STATE_AGENCY,
    "federal": AgencyKind.FEDERAL,
}
_url_validator = URLValidator(schemes=["http", "https"])


def _words(text: str) -> str:
    return " ".join(re.sub(r"[_\-.'’]+", " ", text.replace("\ufeff", "")).lower().split())


def state_code(raw: str) -> str | None:
    """A postal code for "michigan", " MI ", "Dist. of Columbia", "Federal"...; None when unknown."""
    return _STATE_LOOKUP.get(normalize_agency_name(raw))


def agency_kind(raw: str, name: str = "") -> str:
    """The AgencyKind for a kind cell; guessed from the name when the cell is empty; unknown -> other."""
    words = _words(raw)
    if words:
        if words.replace(" ", "_") in AgencyKind.values:
            return words.replace(" ", "_")
        labels = {_words(label): value for value, label in AgencyKind.choices}
        return KIND_ALIASES.get(words) or labels.get(words, AgencyKind.OTHER)
    lowered = name.lower()
    for marker, kind in (("sheriff", AgencyKind.SHERIFF), ("public safety", AgencyKind.PUBLIC_SAFETY)):
        if marker in lowered:
            return kind
    return AgencyKind.POLICE if "police" in lowered else AgencyKind.OTHER


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        return f"line {self.line}" + (f", column {self.column}" if self.column else "") + f": {self.message}"


@dataclass
class AgencyRow:
    line: int
    values: dict[str, str]  # model field -> cleaned value, only for columns the file has
    extra: dict[str, str]

    @property
    def key(self) -> tuple[str, str]:
        return normalize_agency_name(self.values["name"]), self.values["state"]


@dataclass
class ParsedFile:
    rows: list[AgencyRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # original header -> model field or "extra"

    @property
    def ok(self) -> bool:
        return not self.problems


def _decode(data: bytes) -> tuple[str | None, list[ImportProblem]]:
    """UTF-8 text without a byte-order mark, or the lines that are not UTF-8."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        try:
            raw_line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = raw_line[error.start : error.start + 1].hex()
            message = f"byte 0x{bad} at character {error.start + 1} is not UTF-8; save the file as CSV UTF-8"
            problems.append(ImportProblem(number, message))
    return None, problems


def _map_header(header: list[str], line: int, parsed: ParsedFile) -> list[str | None]:
    """Each column's model field (None = extra column), recording header problems on `parsed`."""
    targets: list[str | None] = []
    seen: dict[str, str] = {}
    for position, cell in enumerate(header, start=1):
        original = cell.replace("\ufeff", "").strip() or f"column {position}"
        target = HEADER_FIELDS.get(_words(cell))
        if target and target in seen:
            message = f"columns {seen[target]!r} and {original!r} both mean {target}; keep one"
            parsed.problems.append(ImportProblem(line, message))
        if target:
            seen[target] = original
        parsed.columns[original] = target or "extra"
        targets.append(target)
    if not seen:
        message = "no header row: the first line must name the columns (e.g. agency, city, state, email)"
        parsed.problems.append(ImportProblem(line, message))
        return targets
    for required in REQUIRED_FIELDS:
        if required not in seen:
            also = ", ".join(sorted(HEADER_ALIASES[required]))
            parsed.problems.append(
                ImportProblem(line, f"missing required column {required!r} (any of: {also})")
            )
    return targets


def _check_values(values: dict[str, str], line: int, headers: dict[str, str]) -> list[ImportProblem]:
    """Problems with one row's mapped values (values are cleaned in place)."""
    problems = []
    if not values.get("name"):
        problems.append(ImportProblem(line, "the agency name is empty", headers["name"]))
    raw_state = values.get("state", "")
    code = state_code(raw_state)
    if code is None:
        message = "the state is empty" if not raw_state else f"unknown state {raw_state!r}"
        problems.append(ImportProblem(line, message, headers["state"]))
    values["state"] = code or ""
    if values.get("email", "").lower().startswith("mailto:"):
        values["email"] = values["email"][7:].strip()
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            message = f"{values['email']!r} is not an email address"
            problems.append(ImportProblem(line, message, headers["email"]))
    url = values.get("portal_url", "")
    if url and "://" not in url and "." in url and " " not in url:
        values["portal_url"] = url = f"https://{url}"  # people paste "www.city.gov/records"
    if url:
        try:
            _url_validator(url)
        except ValidationError:
            message = f"{url!r} is not a web address (http:// or https://)"
            problems.append(ImportProblem(line, message, headers["portal_url"]))
    for model_field, value in values.items():
        max_length = getattr(Agency._meta.get_field(model_field), "max_length", None)
        if (
            model_field in ("name", "city", "county", "portal_name", "phone", "fax")
            and len(value) > max_length
        ):
            message = f"longer than {max_length} characters"
            problems.append(ImportProblem(line, message, headers[model_field]))
    return problems


def agency_file_parse(data: bytes, *, progress: Callable[[Iterable], Iterable] = iter) -> ParsedFile:
    """Read an agency CSV into checked rows; every problem is kept with its line number."""
    parsed = ParsedFile()
    text, parsed.problems = _decode(data)
    if text is None:
        return parsed
    if not text.strip():
        parsed.problems.append(ImportProblem(1, "the file is empty"))
        return parsed
    # Windows line endings, also inside quoted multi-line addresses, become plain newlines.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""))
    header_line, header = 1, next(reader)
    while not any(cell.strip() for cell in header):
        header_line, header = reader.line_num + 1, next(reader)
    targets = _map_header(header, header_line, parsed)
    if parsed.problems:
        return parsed
    originals = list(parsed.columns)
    headers = {target: original for original, target in zip(originals, targets, strict=True) if target}
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num + 1
    for cells in progress(reader):
        row_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(targets) and any(cell.strip() for cell in cells[len(targets) :]):
            message = f"{len(cells)} values but the header has {len(targets)} columns (a stray comma?)"
            parsed.problems.append(ImportProblem(row_line, message))
            continue
        cells = [cell.strip() for cell in cells] + [""] * (len(targets) - len(cells))
        values = {target: cell for target, cell in zip(targets, cells, strict=False) if target}
        extra = {original: cell for original, target, cell in zip(originals, targets, cells, strict=False)
                 if not target}  # fmt: skip
        row_problems = _check_values(values, row_line, headers)
        parsed.problems += row_problems
        if row_problems:
            continue
        row = AgencyRow(row_line, values, extra)
        if row.key in seen:
            message = f"the same agency as line {seen[row.key]} ({values['name']}, {values['state']})"
            parsed.problems.append(ImportProblem(row_line, message, headers["name"]))
            continue
        seen[row.key] = row_line
        parsed.rows.append(row)
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(ImportProblem(header_line, "the file has a header but no agency rows"))
    return parsed


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    added_to_campaign: int = 0
    needing_contact: int = 0
    dry_run: bool = False
    agency_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.added_to_campaign:
            text += f"; {self.added_to_campaign} added to the campaign"
        return text + (" (dry run: nothing written)" if self.dry_run else "")


class AgencyImportError(ValueError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def _new_agency(row: AgencyRow) -> Agency:
    values = dict(row.values)
    values["kind"] = agency_kind(values.get("kind", ""), values["name"])
    agency = Agency(**values, extra=dict(row.extra))
    agency.normalized_name = normalize_agency_name(agency.name)  # bulk_create skips save()
    return agency


def _changed_fields(agency: Agency, row: AgencyRow) -> list[str]:
    """Apply the row to an existing agency: fill and correct, never erase; the fields that changed."""
    changed = []
    for model_field, value in row.values.items():
        if model_field in ("name", "state") or not value:
            continue
        if model_field == "kind":
            value = agency_kind(value)
        if getattr(agency, model_field) != value:
            setattr(agency, model_field, value)
            changed.append(model_field)
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
    """New and changed agencies in one INSERT ... ON CONFLICT (normalized_name, state) DO UPDATE.

    bulk_update would write a CASE WHEN per field and row, slow past a few hundred rows; an upsert of the
    merged rows updates any number of agencies in the same single statement that creates the new ones. It also
    means an agency another import created a moment ago is matched instead of failing the unique constraint.
    """
    known_ids = [agency.pk for agency in to_update]
    for agency in to_update:
        agency.pk, agency._state.adding = None, True  # matched by (normalized_name, state), not id
    Agency.objects.bulk_create(
        [*to_create, *to_update],
        update_conflicts=True,
        unique_fields=["normalized_name", "state"],
        update_fields=[*changed_fields, "updated_at"],
    )
    for agency, pk in zip(to_update, known_ids, strict=True):
        agency.pk, agency._state.adding = pk, False


def agencies_import(
    *, parsed: ParsedFile, campaign: Campaign | None = None, dry_run: bool = False
) -> ImportResult:
    """Create new agencies and update known ones (same normalised name and state) in batched queries."""
    if not parsed.ok:
        raise AgencyImportError(parsed.problems)
    result = ImportResult(dry_run=dry_run)
    states = sorted({row.values["state"] for row in parsed.rows})
    with transaction.atomic():
        existing = {
            (agency.normalized_name, agency.state): agency
            for agency in Agency.objects.filter(state__in=states)
        }
        to_create, to_update, changed_fields, unchanged = [], [], set(), []
        for row in parsed.rows:
            agency = existing.get(row.key)
            if agency is None:
                to_create.append(_new_agency(row))
                continue
            changed = _changed_fields(agency, row)
            (to_update if changed else unchanged).append(agency)
            changed_fields.update(changed)
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


def agencies_import_queue(
    *, token: str, total: int, campaign_id: int | None, new_campaign: str, owner_id: int | None
) -> None:
    """Run a confirmed upload on a worker once the current transaction commits."""
    from .queue import task_enqueue_on_commit

    task_enqueue_on_commit(
        "foia.tasks.agencies.import_agencies", token, total, campaign_id, new_campaign, owner_id
    )
