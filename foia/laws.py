"""Public-records law rows: parse and validate foia/data/laws.csv (pure), then write Law rows atomically."""

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import DayType, Law, RequesterLimit

DEFAULT_LAWS_FILE = Path(__file__).resolve().parent / "data" / "laws.csv"

COLUMNS = [
    "jurisdiction",
    "jurisdiction_name",
    "law_name",
    "citation",
    "response_days",
    "day_type",
    "response_wording",
    "ack_days",
    "ack_day_type",
    "extension_days",
    "extension_day_type",
    "extension_notes",
    "appeal_path",
    "requester_limit",
    "requester_limit_notes",
    "notes",
    "source",
    "verified_on",
    "confidence",
]
REQUIRED = ["jurisdiction", "jurisdiction_name", "law_name", "citation", "day_type", "source", "verified_on"]
NUMBERS = ["response_days", "ack_days", "extension_days"]
DAY_TYPES = {choice.value for choice in DayType}
CLOCKED = {DayType.BUSINESS.value, DayType.CALENDAR.value}
LIMITS = {choice.value for choice in RequesterLimit}


@dataclass(frozen=True)
class LawProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class LawFileError(ValueError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[LawProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def _check_row(row: dict[str, str], line: int) -> tuple[dict, list[LawProblem]]:
    """One row's values as model field values, and what is wrong with it."""
    problems: list[LawProblem] = []
    values: dict = {}
    for column in REQUIRED:
        if not row[column]:
            problems.append(LawProblem(line, column, f"{column} is required"))
    for column in NUMBERS:
        raw = row[column]
        values[column] = None
        if raw:
            if not raw.isdigit():
                problems.append(LawProblem(line, column, f"{raw!r} is not a whole number of days"))
            else:
                values[column] = int(raw)
    for column in ("day_type", "ack_day_type", "extension_day_type"):
        if row[column] and row[column] not in DAY_TYPES:
            problems.append(
                LawProblem(line, column, f"unknown day type {row[column]!r} (use business, calendar or none)")
            )
    day_type = row["day_type"]
    if day_type in CLOCKED and not row["response_days"]:
        problems.append(LawProblem(line, "response_days", f"a {day_type}-day law needs response_days"))
    if day_type == DayType.NONE and not row["response_wording"]:
        problems.append(LawProblem(line, "response_wording", "a law without fixed days needs its wording"))
    for days, kind in (("ack_days", "ack_day_type"), ("extension_days", "extension_day_type")):
        if row[days] and row[kind] not in CLOCKED:
            problems.append(LawProblem(line, kind, f"{days} is set, so {kind} must be business or calendar"))
    if row["requester_limit"] not in LIMITS:
        allowed = ", ".join(sorted(limit for limit in LIMITS if limit))
        message = f"unknown limit {row['requester_limit']!r} (empty, {allowed})"
        problems.append(LawProblem(line, "requester_limit", message))
    values["verified_on"] = None
    if row["verified_on"]:
        try:
            values["verified_on"] = datetime.date.fromisoformat(row["verified_on"])
        except ValueError:
            message = f"{row['verified_on']!r} is not a YYYY-MM-DD date"
            problems.append(LawProblem(line, "verified_on", message))
    for column in COLUMNS:
        max_length = getattr(Law._meta.get_field(column), "max_length", None)
        if max_length and len(row[column]) > max_length:
            problems.append(LawProblem(line, column, f"longer than {max_length} characters"))
        values.setdefault(column, row[column])
    return values, problems


def law_rows_parse(text: str) -> list[dict]:
    """Every row of a laws CSV as Law field values; raises LawFileError listing every problem."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise LawFileError([LawProblem(1, column, "column missing from the header") for column in missing])
    reader.fieldnames = header
    rows: list[dict] = []
    problems: list[LawProblem] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        cleaned = {column: (row.get(column) or "").strip() for column in COLUMNS}
        values, row_problems = _check_row(cleaned, line)
        code = cleaned["jurisdiction"]
        if code in seen:
            message = f"{code} already given on line {seen[code]}"
            row_problems.append(LawProblem(line, "jurisdiction", message))
        elif code:
            seen[code] = line
        problems += row_problems
        rows.append(values)
    if not rows and not problems:
        problems.append(LawProblem(1, "", "the file has a header but no law rows"))
    if problems:
        raise LawFileError(problems)
    return rows


@transaction.atomic
def laws_load(*, text: str, missing_only: bool = False) -> dict[str, int]:
    """Create or update one Law per jurisdiction; counts of created/updated/unchanged rows.

    With `missing_only`, rows already in the database are left as they are, so corrections made in the
    admin survive `make run` and container restarts (which load the shipped file that way).
    """
    rows = law_rows_parse(text)
    existing = {law.jurisdiction: law for law in Law.objects.select_for_update()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for values in rows:
        law = existing.get(values["jurisdiction"])
        if law is None:
            Law.objects.create(**values)
            counts["created"] += 1
            continue
        if missing_only:
            counts["unchanged"] += 1
            continue
        changed = [field for field, value in values.items() if getattr(law, field) != value]
        if not changed:
            counts["unchanged"] += 1
            continue
        for field in changed:
            setattr(law, field, values[field])
        law.save(update_fields=changed)
        counts["updated"] += 1
    return counts
