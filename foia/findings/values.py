"""Pure: the dollar amount or date a passage states, nearest to its marked phrase. No Django."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

START = "\x02"
AMOUNT = re.compile(
    r"(?:\$|USD\s?)\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?(?:\s?(million|thousand|k)\b)?", re.IGNORECASE
)
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE = re.compile(
    rf"\b(?:(?P<month>{MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
    rf"|(?P<day2>\d{{1,2}})\s+(?P<month2>{MONTH})\.?,?\s+(?P<year2>\d{{4}})"
    r"|(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))\b",
    re.IGNORECASE,
)
SCALE = {"million": Decimal(1_000_000), "thousand": Decimal(1000), "k": Decimal(1000)}


def _anchor(passage: str) -> int:
    """Where the marked phrase starts (the passage's middle when nothing is marked)."""
    at = passage.find(START)
    return at if at >= 0 else len(passage) // 2


def _amount(match: re.Match):
    try:
        value = Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))
    except InvalidOperation:
        return None
    return value * SCALE[match.group(3).lower()] if match.group(3) else value


def _date(match: re.Match):
    parts = match.groupdict()
    try:
        if parts["month"] or parts["month2"]:
            month = MONTHS[(parts["month"] or parts["month2"]).lower()]
            day, year = int(parts["day"] or parts["day2"]), int(parts["year"] or parts["year2"])
        elif parts["m"]:
            month, day, year = int(parts["m"]), int(parts["d"]), int(parts["y"])
        else:
            year, month, day = int(parts["iy"]), int(parts["im"]), int(parts["id"])
        return datetime.date(year, month, day)
    except ValueError:  # 30 February and the like: not a date
        return None


def _nearest(passage: str, pattern: re.Pattern, read) -> tuple:
    """(value, the words around it) for the readable match nearest the marked phrase, or (None, "")."""
    anchor = _anchor(passage)
    found = [
        (abs(m.start() - anchor), value, m.span())
        for m in pattern.finditer(passage)
        if (value := read(m)) is not None
    ]
    if not found:
        return None, ""
    _distance, value, span = min(found, key=lambda item: item[0])
    return value, _around(passage, span)


def amount_near(passage: str) -> tuple[Decimal | None, str]:
    """(amount, the words around it) for the dollar figure nearest the marked phrase; (None, "") if none."""
    return _nearest(passage, AMOUNT, _amount)


def date_near(passage: str) -> tuple[datetime.date | None, str]:
    """(date, the words around it) for the date nearest the marked phrase; (None, "") if none."""
    return _nearest(passage, DATE, _date)


def _around(passage: str, span: tuple[int, int], width: int = 120) -> str:
    text = passage[max(0, span[0] - width) : span[1] + width]
    return " ".join(text.replace(START, "").replace("\x03", "").split())[:400]
