"""One agency per row: rows of a file that name the same agency are merged, or reported when they disagree.

Real lists repeat agencies (a row per source link, a row copied twice). Rows with the same normalised name and
state are one agency when they give no two different cities: their values are combined (a later row fills what
an earlier one left empty) and the person is told which lines were merged. Different values for the same field
(two emails for one agency) are a problem naming both lines, never a silent choice. Rows of one name in one
state with different cities are different agencies (several New Jersey townships have a "Washington Township
Police Department"); a row of that name without a city is then ambiguous and reported.
"""

from __future__ import annotations

from collections import defaultdict

from ..models.agency import normalize_agency_name
from .rows import AgencyRow, ImportProblem

# Fields compared when merging; `notes` are joined, `kind` is taken from the first row that has one (a label,
# not a fact a letter depends on), `name` and `state` are the key itself.
_COMPARED = ("city", "county", "email", "portal_url", "portal_name", "address", "phone", "fax")


def _same(model_field: str, first: str, second: str) -> bool:
    if model_field in ("city", "county"):
        return normalize_agency_name(first) == normalize_agency_name(second)
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()


def _merge_into(kept: AgencyRow, row: AgencyRow, headers: dict[str, str]) -> list[ImportProblem]:
    """Fill `kept` from `row` (same agency); the fields on which they disagree, as problems at row's line."""
    problems = []
    where = f"{kept.values['name']}, {kept.values['state']}"
    for model_field in _COMPARED:
        ours, theirs = kept.values.get(model_field, ""), row.values.get(model_field, "")
        if ours and theirs and not _same(model_field, ours, theirs):
            message = (
                f"the same agency as line {kept.line} ({where}) with a different {headers[model_field]}: "
                f"{theirs!r} here, {ours!r} there; keep one row or correct one value"
            )
            problems.append(ImportProblem(row.line, message, headers[model_field]))
        elif theirs and not ours:
            kept.values[model_field] = theirs
    if row.values.get("kind") and not kept.values.get("kind"):
        kept.values["kind"] = row.values["kind"]
    theirs = row.values.get("notes", "")
    if theirs and theirs not in kept.values.get("notes", ""):
        kept.values["notes"] = "\n".join(filter(None, [kept.values.get("notes", ""), theirs]))
    for column, value in row.extra.items():
        if value and not kept.extra.get(column):
            kept.extra[column] = value
    return problems


def rows_merge(
    rows: list[AgencyRow], headers: dict[str, str]
) -> tuple[list[AgencyRow], list[ImportProblem], list[ImportProblem]]:
    """The file's agencies (one row each, in file order), its problems, and notices of merged rows."""
    groups: dict[tuple[str, str], list[AgencyRow]] = defaultdict(list)
    for row in rows:
        groups[row.name_key].append(row)
    problems: list[ImportProblem] = []
    notices: list[ImportProblem] = []
    dropped: set[int] = set()
    for group in groups.values():
        if len(group) == 1:
            continue
        cities = {row.place_key: row for row in group if row.place_key}
        if len(cities) > 1:
            where = ", ".join(f"{row.values['city']} (line {row.line})" for row in cities.values())
            for row in group:
                if not row.place_key:
                    message = (
                        f"{row.values['name']}, {row.values['state']} is also in {where}: this row has no "
                        "city, so it cannot be told apart; add its city or remove the row"
                    )
                    problems.append(ImportProblem(row.line, message, headers.get("city", "")))
                    dropped.add(row.line)
        kept_by_place: dict[str, AgencyRow] = {}
        for row in group:
            if row.line in dropped:
                continue
            place = row.place_key if len(cities) > 1 else ""
            kept = kept_by_place.get(place)
            if kept is None:
                kept_by_place[place] = row
                continue
            problems += _merge_into(kept, row, headers)
            dropped.add(row.line)
            notices.append(
                ImportProblem(
                    row.line,
                    f"the same agency as line {kept.line} ({kept.values['name']}, {kept.values['state']}): "
                    "merged into one",
                )
            )
    return [row for row in rows if row.line not in dropped], problems, notices
