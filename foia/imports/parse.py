"""Reading an agency CSV into checked rows (pure, no database): headers, states, kinds, problems by line."""

import csv
import io
import re
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from ..jurisdictions import NAMES
from ..models import Agency, AgencyKind
from ..models.agency import normalize_agency_name
from .merge import rows_merge
from .rows import AgencyRow, ImportProblem, ParsedFile

STATE_NAMES = NAMES  # foia.jurisdictions: the one list of jurisdictions
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
    "name": {
        "agency", "agency name", "name", "department", "department name", "law enforcement agency", "lea",
        "lea name", "organization", "public body",
    },
    "state": {"state", "st", "state code", "jurisdiction", "state name", "state abbreviation", "state abbr"},
    "city": {"city", "town", "municipality", "city town", "city name", "locality"},
    "county": {"county", "county name", "parish"},
    "kind": {"kind", "type", "agency type", "type of lea", "lea type", "agency kind"},
    "email": {"email", "e mail", "records email", "foia email", "email address", "public records email"},
    "portal_url": {"portal", "portal url", "website", "records portal"},
    "portal_name": {"portal name"},
    "address": {"address", "mailing address", "postal address"},
    "phone": {"phone", "telephone", "phone number"},
    "fax": {"fax", "fax number"},
    "notes": {"notes"},
}  # fmt: skip
HEADER_FIELDS = {alias: model_field for model_field, aliases in HEADER_ALIASES.items() for alias in aliases}
REQUIRED_FIELDS = ["name", "state"]
# One-line values: any run of whitespace, CR/LF included, becomes one space (a name reaches email headers).
SINGLE_LINE_FIELDS = ("name", "city", "county", "email", "portal_url", "portal_name", "phone", "fax")
# csv's own limit on one cell (128 KiB); a longer cell is reported, not a crash.
CELL_MAX_CHARS = csv.field_size_limit()
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


def _decode(data: bytes, parsed: ParsedFile) -> tuple[str | None, list[ImportProblem]]:
    """UTF-8 text without a byte-order mark; else Windows-1252 (Excel's plain "CSV"), said in a notice;
    else the lines that are neither."""
    if data.startswith(b"PK\x03\x04"):
        message = "this is a spreadsheet workbook or zip file, not CSV: in the spreadsheet, save as CSV UTF-8"
        return None, [ImportProblem(1, message)]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    if b"\x00" not in data:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            message = (
                "the file is not UTF-8; it was read as Windows-1252 (what Excel saves as plain CSV): "
                "check that accented names look right"
            )
            parsed.notices.append(ImportProblem(1, message))
            return text, []
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
    positions: dict[str, int] = {}
    for position, cell in enumerate(header, start=1):
        original = cell.replace("\ufeff", "").strip() or f"column {position}"
        if "\x00" in original:
            parsed.problems.append(ImportProblem(line, f"the name of column {position} contains a NUL byte"))
            original = original.replace("\x00", "")
        target = HEADER_FIELDS.get(_words(cell))
        if original.lower() in positions and not target:  # a known field twice is reported below
            message = (
                f"column {original!r} appears twice (columns {positions[original.lower()]} and {position})"
            )
            parsed.problems.append(ImportProblem(line, message + "; rename or remove one"))
        positions[original.lower()] = position
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
    for model_field in SINGLE_LINE_FIELDS:
        if model_field in values:
            values[model_field] = " ".join(values[model_field].split())
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
        max_length = Agency._meta.get_field(model_field).max_length
        if model_field not in ("state", "kind") and max_length and len(value) > max_length:
            message = f"longer than {max_length} characters ({len(value)})"
            problems.append(ImportProblem(line, message, headers[model_field]))
    return problems


def _delimiter(text: str) -> str:
    """The header line's separator: comma, unless semicolons (European Excel), tabs or pipes outnumber it."""
    header = next((line for line in text.split("\n") if line.strip()), "")
    header = re.sub(r'"[^"]*"', "", header)  # separators inside quoted header names do not count
    counts = {delimiter: header.count(delimiter) for delimiter in ",;\t|"}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


def _nul_problems(cells: list[str], originals: list[str], line: int) -> list[ImportProblem]:
    """A NUL byte in a cell: PostgreSQL cannot store it, and no real CSV has one."""
    return [
        ImportProblem(line, "contains a NUL byte (is this a text CSV?)", originals[index])
        for index, cell in enumerate(cells[: len(originals)])
        if "\x00" in cell
    ]


def _rows(reader, parsed: ParsedFile):
    """The reader's rows; a malformed row (a cell over csv's 128 KiB limit) ends the file with a problem."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            message = (
                f"cannot read this row: {error} (a cell may be longer than {CELL_MAX_CHARS:,} characters)"
            )
            parsed.problems.append(ImportProblem(reader.line_num, message))
            return


def agency_file_parse(data: bytes, *, progress: Callable[[Iterable], Iterable] = iter) -> ParsedFile:
    """Read an agency CSV into checked rows; every problem is kept with its line number."""
    parsed = ParsedFile()
    text, parsed.problems = _decode(data, parsed)
    if text is None:
        return parsed
    if not text.strip():
        parsed.problems.append(ImportProblem(1, "the file is empty"))
        return parsed
    # Windows line endings, also inside quoted multi-line addresses, become plain newlines.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = _rows(reader, parsed)
    header_line, header = 1, next(rows, None)
    while header is not None and not any(cell.strip() for cell in header):
        header_line, header = reader.line_num + 1, next(rows, None)
    if header is None:
        if not parsed.problems:
            parsed.problems.append(ImportProblem(1, "the file has no header row: every line is empty"))
        return parsed
    targets = _map_header(header, header_line, parsed)
    if parsed.problems:
        return parsed
    originals = list(parsed.columns)
    headers = {target: original for original, target in zip(originals, targets, strict=True) if target}
    line = reader.line_num + 1
    for cells in progress(rows):
        row_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if nul_problems := _nul_problems(cells, originals, row_line):
            parsed.problems += nul_problems
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
        parsed.rows.append(AgencyRow(row_line, values, extra))
    parsed.rows, problems, notices = rows_merge(parsed.rows, headers)
    parsed.problems += problems
    parsed.notices += notices
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(ImportProblem(header_line, "the file has a header but no agency rows"))
    return parsed
