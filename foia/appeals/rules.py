"""Appeal rules as data (foia/data/appeals.csv) and the requester's appeal window; pure, takes dates in.

Counting (the same conventions as the response clock, see foia.deadlines):
- The day of the decision is day 0. "Within N business days": the Nth business day after it, on the
  jurisdiction's business-day calendar (its legal holidays and closed days).
- "Within N calendar days" / "N months": the date N days / months later. Only where the row says
  `rolls_forward=yes` does a last day on a weekend or closed day move to the next business day.
- `deemed` says what silence (the agency missed its response deadline) starts: `yes` the same clock from
  the day the deadline passed, `request` the same clock from the day of the request (Massachusetts),
  `no-limit` no clock at all (the federal FOIA: the requester may sue at once).
- Route `court_only`: there is no administrative appeal; the window is `none`.
"""

from __future__ import annotations

import calendar as monthcalendar
import csv
import datetime
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..deadlines.calendar import BUSINESS, CALENDAR, NONE, BusinessCalendar

APPEALS_FILE = Path(__file__).resolve().parent.parent / "data" / "appeals.csv"
AGENCY, STATE_BODY, COURT_ONLY = "agency", "state_body", "court_only"
ROUTES = (AGENCY, STATE_BODY, COURT_ONLY)
MONTHS = "months"
DEEMED_CHOICES = ("yes", "no", "no-limit", "request")
COLUMNS = [
    "jurisdiction",
    "route",
    "body",
    "file_how",
    "appeal_days",
    "appeal_day_type",
    "deemed",
    "rolls_forward",
    "decision_days",
    "decision_day_type",
    "decision_notes",
    "contents",
    "citation",
    "notes",
    "source",
    "verified_on",
    "confidence",
]
# The state body's own contacts, where a public source gives them; "unknown" where none was found. Optional
# columns (empty on agency and court-only rows: the appeal goes to the agency's own address, or to court).
CONTACT_COLUMNS = ["body_email", "body_address", "body_portal"]
UNKNOWN = "unknown"
# What the first line of `appeal_deadline` says when there is no date.
NO_APPEAL, NO_LIMIT = "none", "no-limit"


class AppealRuleError(ValueError):
    """appeals.csv has problems; each names its line and column."""


@dataclass(frozen=True)
class AppealRule:
    """One jurisdiction's appeal: who hears it, how, the requester's window, the body's decision clock."""

    jurisdiction: str
    route: str
    body: str
    file_how: str
    appeal_days: int | None
    appeal_day_type: str
    deemed: str
    rolls_forward: bool
    decision_days: int | None
    decision_day_type: str
    decision_notes: str
    contents: str
    citation: str
    notes: str
    source: str
    verified_on: datetime.date
    confidence: str
    body_email: str = ""
    body_address: str = ""
    body_portal: str = ""

    @property
    def court_only(self) -> bool:
        return self.route == COURT_ONLY

    @property
    def has_limit(self) -> bool:
        return not self.court_only and self.appeal_days is not None

    def contact(self, column: str) -> str:
        """A body contact ("" when unknown or not applicable)."""
        value = getattr(self, column)
        return "" if value == UNKNOWN else value

    @property
    def contact_portal(self) -> str:
        return self.contact("body_portal")

    def window_text(self) -> str:
        """The requester's deadline in words: "15 business days", "12 months", "no deadline"."""
        if self.court_only:
            return "no administrative appeal (court only)"
        if self.appeal_days is None:
            return "no deadline to appeal"
        unit = {BUSINESS: "business days", CALENDAR: "calendar days", MONTHS: "months"}[self.appeal_day_type]
        return f"{self.appeal_days} {unit}"

    def decision_text(self) -> str:
        """The body's decision clock in words, with its notes."""
        if self.court_only:
            return "not applicable: no administrative appeal (court only)"
        if self.decision_days is None:
            notes = self.decision_notes
            if not notes or notes.lower().startswith("no "):
                return "no statutory deadline"
            return f"no fixed number of days ({notes})"
        unit = "business" if self.decision_day_type == BUSINESS else "calendar"
        head = f"{self.decision_days} {unit} days after the body receives the appeal"
        return f"{head} ({self.decision_notes})" if self.decision_notes else head


@dataclass(frozen=True)
class AppealWindow:
    """The requester's last day to appeal (None with kind none / no-limit) and how it was counted."""

    kind: str  # "date", NO_APPEAL or NO_LIMIT
    closes_on: datetime.date | None
    rule: str
    starts_on: datetime.date | None = None

    @property
    def first_line(self) -> str:
        return self.closes_on.isoformat() if self.closes_on else self.kind


def _int(raw: str, where: str, problems: list[str]) -> int | None:
    if not raw.strip():
        return None
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{where}: {raw!r} is not a whole number")
        return None
    if value <= 0:
        problems.append(f"{where}: {value} must be positive")
    return value


def _check(
    number: int, row: dict[str, str], problems: list[str], seen: set[str], name: str
) -> AppealRule | None:
    def where(column: str) -> str:
        return f"{name} line {number}, column {column}"

    count = len(problems)
    code = row["jurisdiction"].strip().upper()
    if not code:
        problems.append(f"{where('jurisdiction')}: empty")
    elif code in seen:
        problems.append(f"{where('jurisdiction')}: {code} appears twice")
    seen.add(code)
    route = row["route"].strip()
    if route not in ROUTES:
        problems.append(f"{where('route')}: {route!r} is not one of {', '.join(ROUTES)}")
    days = _int(row["appeal_days"], where("appeal_days"), problems)
    day_type = row["appeal_day_type"].strip()
    if days is not None and day_type not in (BUSINESS, CALENDAR, MONTHS):
        problems.append(f"{where('appeal_day_type')}: {day_type!r} is not business, calendar or months")
    if route == COURT_ONLY and days is not None:
        problems.append(f"{where('appeal_days')}: a court-only route has no appeal window")
    deemed = row["deemed"].strip()
    if deemed not in DEEMED_CHOICES:
        problems.append(f"{where('deemed')}: {deemed!r} is not one of {', '.join(DEEMED_CHOICES)}")
    rolls = row["rolls_forward"].strip()
    if rolls not in ("yes", "no"):
        problems.append(f"{where('rolls_forward')}: {rolls!r} is not yes or no")
    decision_days = _int(row["decision_days"], where("decision_days"), problems)
    decision_type = row["decision_day_type"].strip()
    if decision_days is not None and decision_type not in (BUSINESS, CALENDAR):
        problems.append(f"{where('decision_day_type')}: {decision_type!r} is not business or calendar")
    for column in ("body", "citation", "source"):
        if not row[column].strip():
            problems.append(f"{where(column)}: required (every rule is cited)")
    if all(column in row for column in CONTACT_COLUMNS):  # optional columns: checked when present
        _check_contacts(row, route, where, problems)
    try:
        verified = datetime.date.fromisoformat(row["verified_on"].strip())
    except ValueError:
        problems.append(f"{where('verified_on')}: {row['verified_on']!r} is not YYYY-MM-DD")
        verified = datetime.date.min
    if len(problems) > count:
        return None
    return AppealRule(
        jurisdiction=code,
        route=route,
        body=row["body"].strip(),
        file_how=row["file_how"].strip(),
        appeal_days=days,
        appeal_day_type=day_type if days is not None else "",
        deemed=deemed,
        rolls_forward=rolls == "yes",
        decision_days=decision_days,
        decision_day_type=decision_type if decision_days is not None else NONE,
        decision_notes=row["decision_notes"].strip(),
        contents=row["contents"].strip(),
        citation=row["citation"].strip(),
        notes=row["notes"].strip(),
        source=row["source"].strip(),
        verified_on=verified,
        confidence=row["confidence"].strip(),
        **{column: row.get(column, "").strip() for column in CONTACT_COLUMNS},
    )


def _check_contacts(row: dict[str, str], route: str, where, problems: list[str]) -> None:
    """A state body's row says each contact or "unknown"; agency and court rows leave them empty."""
    for column in CONTACT_COLUMNS:
        value = row.get(column, "").strip()
        if route != STATE_BODY:
            if value:
                problems.append(f"{where(column)}: only a state body's row has contacts (route {route})")
            continue
        if not value:
            problems.append(f"{where(column)}: give it, or write {UNKNOWN} when no public source has it")
        elif value == UNKNOWN:
            continue
        elif column == "body_email" and (" " in value or value.count("@") != 1 or "." not in value):
            problems.append(f"{where(column)}: {value!r} is not an email address")
        elif column == "body_portal" and not value.startswith("https://"):
            problems.append(f"{where(column)}: {value!r} is not an https:// address")


def appeal_rows_parse(text: str, name: str = "appeals.csv") -> dict[str, AppealRule]:
    """Every row checked; AppealRuleError listing each problem as `appeals.csv line N, column X: ...`."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise AppealRuleError(f"{name} line 1: missing column(s) {', '.join(missing)}")
    problems: list[str] = []
    rules: dict[str, AppealRule] = {}
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        row = {key: (value or "") for key, value in row.items() if key}
        rule = _check(number, row, problems, seen, name)
        if rule:
            rules[rule.jurisdiction] = rule
    if problems:
        raise AppealRuleError("\n".join(problems))
    return rules


@lru_cache(maxsize=1)
def shipped_appeal_rules() -> dict[str, AppealRule]:
    """The rules shipped in foia/data/appeals.csv (cached; load_laws clears the cache)."""
    return appeal_rows_parse(APPEALS_FILE.read_text(encoding="utf-8"))


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, monthcalendar.monthrange(year, month)[1]))


def _period_end(
    rule: AppealRule, calendar: BusinessCalendar, start: datetime.date, since: str
) -> tuple[datetime.date, str]:
    n, day_type = rule.appeal_days, rule.appeal_day_type
    if day_type == BUSINESS:
        end = calendar.add_business_days(start, n)
        return end, f"{n} business days after {since} {start.isoformat()}"
    end = _add_months(start, n) if day_type == MONTHS else start + datetime.timedelta(days=n)
    text = f"{n} {'months' if day_type == MONTHS else 'calendar days'} after {since} {start.isoformat()}"
    if not calendar.is_business_day(end):
        if rule.rolls_forward:
            rolled = calendar.next_business_day(end)
            return (
                rolled,
                f"{text}; {end.isoformat()} ({end:%A}) is not a business day, so it rolls to {rolled}",
            )
        text += f"; {end.isoformat()} is a {end:%A} or closed day and this law does not roll it forward"
    return end, text


def appeal_window(
    *,
    rule: AppealRule,
    calendar: BusinessCalendar,
    decided_on: datetime.date,
    deemed: bool = False,
    requested_on: datetime.date | None = None,
) -> AppealWindow:
    """The requester's last day to appeal a denial dated `decided_on` (or a deemed denial on that day).

    requested_on: the day of the request, used where silence runs the clock from the request (`request`)."""
    if rule.court_only:
        return AppealWindow(
            NO_APPEAL, None, f"no administrative appeal in {rule.jurisdiction}: {rule.citation}"
        )
    if rule.appeal_days is None or (deemed and rule.deemed == NO_LIMIT):
        why = "silence starts no appeal clock" if rule.appeal_days is not None else "no deadline to appeal"
        return AppealWindow(NO_LIMIT, None, f"{why} ({rule.citation})")
    start, since = decided_on, "the decision of"
    if deemed:
        since = "the deemed denial of"
        if rule.deemed == "request":
            if requested_on is None:
                raise ValueError("requested_on: this law counts an appeal from silence from the request date")
            start, since = requested_on, "the request of"
    closes_on, text = _period_end(rule, calendar, start, since)
    return AppealWindow("date", closes_on, f"{text} ({rule.citation})", starts_on=start)


def decision_due(
    *, rule: AppealRule, calendar: BusinessCalendar, received_on: datetime.date
) -> tuple[datetime.date | None, str]:
    """The body's decision deadline counted from its receipt of the appeal (day 0), or None and why."""
    if rule.court_only or rule.decision_days is None:
        return None, rule.decision_text()
    n = rule.decision_days
    if rule.decision_day_type == BUSINESS:
        due = calendar.add_business_days(received_on, n)
        return due, f"{n} business days after the body received the appeal on {received_on} ({rule.citation})"
    end = received_on + datetime.timedelta(days=n)
    due = calendar.next_business_day(end, include_today=True)
    text = f"{n} calendar days after the body received the appeal on {received_on}"
    if due != end:
        text += f"; {end} is not a business day, so it rolls to {due}"
    return due, f"{text} ({rule.citation})"


def response_start(
    *, calendar: BusinessCalendar, deadline_on: datetime.date, response_days: int, day_type: str
) -> datetime.date:
    """The request day that makes `deadline_on` its response deadline (for `request` rules in the command)."""
    if day_type == CALENDAR:
        return deadline_on - datetime.timedelta(days=response_days)
    day, left = deadline_on, response_days
    while left:
        day -= datetime.timedelta(days=1)
        if calendar.is_business_day(day):
            left -= 1
    return day
