"""Clock rules as data: foia/data/clocks.csv (receipt, two-stage clocks, restarts, record-age tracks,
extension limits) and foia/data/holidays.csv (curated corrections to the `holidays` package), both pure.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
CLOCKS_FILE = DATA / "clocks.csv"
HOLIDAYS_FILE = DATA / "holidays.csv"

BUSINESS, CALENDAR, NONE = "business", "calendar", "none"
FROM_RECEIPT, FROM_ACK, FROM_ACK_DEADLINE = "receipt", "acknowledgment", "ack_deadline"
PAUSE, RESTART = "pause", "restart"
CHANNELS = ("email", "portal", "fax", "mail", "hand")
CLOCK_COLUMNS = [
    "jurisdiction",
    "ack_days",
    "ack_day_type",
    "ack_section",
    "response_days",
    "response_day_type",
    "response_from",
    "response_section",
    "older_after_months",
    "older_ack_days",
    "older_response_days",
    "older_section",
    "electronic_receipt_days",
    "electronic_channels",
    "receipt_section",
    "clarification",
    "clarification_section",
    "extension_days",
    "extension_day_type",
    "extension_section",
    "notes",
    "source",
    "checked_on",
]
HOLIDAY_COLUMNS = ["jurisdiction", "date", "closed", "name", "citation"]


class RuleFileError(ValueError):
    """A clock or holiday data file has problems: each names its file, line and column."""


@dataclass(frozen=True)
class ClockRow:
    """One jurisdiction's row of clocks.csv; empty numbers mean "take it from the Law row"."""

    jurisdiction: str
    ack_days: int | None = None
    ack_day_type: str = ""
    ack_section: str = ""
    response_days: int | None = None
    response_day_type: str = ""
    response_from: str = FROM_RECEIPT
    response_section: str = ""
    older_after_months: int | None = None
    older_ack_days: int | None = None
    older_response_days: int | None = None
    older_section: str = ""
    electronic_receipt_days: int = 0
    electronic_channels: tuple[str, ...] = ()
    receipt_section: str = ""
    clarification: str = PAUSE
    clarification_section: str = ""
    extension_days: int | None = None
    extension_day_type: str = ""
    extension_section: str = ""
    notes: str = ""
    source: str = ""
    checked_on: datetime.date | None = None


def _int(raw: str, where: str, problems: list[str]) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        problems.append(f"{where}: {raw!r} is not a whole number")
        return None
    return int(raw)


def _choice(raw: str, allowed: tuple[str, ...], where: str, problems: list[str], default: str = "") -> str:
    if not raw:
        return default
    if raw not in allowed:
        problems.append(f"{where}: {raw!r} is not one of {', '.join(allowed)}")
    return raw


def _rows(text: str, columns: list[str], name: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [column.strip() for column in reader.fieldnames or []]
    missing = [column for column in columns if column not in header]
    if missing:
        raise RuleFileError(f"{name} line 1: missing column(s) {', '.join(missing)}")
    reader.fieldnames = header
    return [(reader.line_num, {c: (row.get(c) or "").strip() for c in columns}) for row in reader]


def clock_rows_parse(text: str, name: str = "clocks.csv") -> dict[str, ClockRow]:
    """clocks.csv as ClockRow per jurisdiction; RuleFileError lists every problem with its line."""
    problems: list[str] = []
    result: dict[str, ClockRow] = {}
    for line, row in _rows(text, CLOCK_COLUMNS, name):
        at = f"{name} line {line}, column "
        code = row["jurisdiction"].upper()
        if not code:
            problems.append(f"{at}jurisdiction: required")
        elif code in result:
            problems.append(f"{at}jurisdiction: {code} is given twice")
        numbers = {
            c: _int(row[c], at + c, problems)
            for c in (
                "ack_days",
                "response_days",
                "older_after_months",
                "older_ack_days",
                "older_response_days",
                "electronic_receipt_days",
                "extension_days",
            )
        }
        day_types = {
            c: _choice(row[c], (BUSINESS, CALENDAR), at + c, problems)
            for c in ("ack_day_type", "response_day_type", "extension_day_type")
        }
        for days, kind in (
            ("ack_days", "ack_day_type"),
            ("response_days", "response_day_type"),
            ("extension_days", "extension_day_type"),
        ):
            if numbers[days] is not None and not day_types[kind]:
                problems.append(f"{at}{kind}: {days} is set, so say business or calendar")
        response_from = _choice(
            row["response_from"],
            (FROM_RECEIPT, FROM_ACK, FROM_ACK_DEADLINE),
            at + "response_from",
            problems,
            FROM_RECEIPT,
        )
        if response_from != FROM_RECEIPT and numbers["ack_days"] is None:
            problems.append(f"{at}ack_days: a response counted from the acknowledgment needs ack_days")
        channels = tuple(row["electronic_channels"].split())
        for channel in channels:
            _choice(channel, CHANNELS, at + "electronic_channels", problems)
        if not row["source"]:
            problems.append(f"{at}source: required (where the rule was checked)")
        checked_on = None
        try:
            checked_on = datetime.date.fromisoformat(row["checked_on"])
        except ValueError:
            problems.append(f"{at}checked_on: {row['checked_on']!r} is not a YYYY-MM-DD date")
        result[code] = ClockRow(
            jurisdiction=code,
            **{c: v for c, v in numbers.items() if c != "electronic_receipt_days"},
            electronic_receipt_days=numbers["electronic_receipt_days"] or 0,
            **day_types,
            response_from=response_from,
            electronic_channels=channels,
            clarification=_choice(
                row["clarification"], (PAUSE, RESTART), at + "clarification", problems, PAUSE
            ),
            checked_on=checked_on,
            **{
                c: row[c]
                for c in (
                    "ack_section",
                    "response_section",
                    "older_section",
                    "receipt_section",
                    "clarification_section",
                    "extension_section",
                    "notes",
                    "source",
                )
            },
        )
    if problems:
        raise RuleFileError("\n".join(problems))
    return result


HolidayFix = tuple[datetime.date, bool, str, str]  # date, closed, name, citation


def holiday_rows_parse(text: str, name: str = "holidays.csv") -> dict[str, tuple[HolidayFix, ...]]:
    """holidays.csv as (date, closed, name, citation) per jurisdiction; every row needs its citation."""
    problems: list[str] = []
    result: dict[str, list[HolidayFix]] = {}
    for line, row in _rows(text, HOLIDAY_COLUMNS, name):
        at = f"{name} line {line}, column "
        try:
            day = datetime.date.fromisoformat(row["date"])
        except ValueError:
            problems.append(f"{at}date: {row['date']!r} is not a YYYY-MM-DD date")
            continue
        closed = _choice(row["closed"], ("yes", "no"), at + "closed", problems)
        for column in ("jurisdiction", "name", "citation"):
            if not row[column]:
                problems.append(f"{at}{column}: required")
        result.setdefault(row["jurisdiction"].upper(), []).append(
            (day, closed == "yes", row["name"], row["citation"])
        )
    if problems:
        raise RuleFileError("\n".join(problems))
    return {code: tuple(rows) for code, rows in result.items()}


@lru_cache(maxsize=1)
def shipped_clock_rows() -> dict[str, ClockRow]:
    return clock_rows_parse(CLOCKS_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def shipped_holiday_fixes() -> dict[str, tuple[HolidayFix, ...]]:
    return holiday_rows_parse(HOLIDAYS_FILE.read_text(encoding="utf-8"))
