"""The shapes of an agency import: checked rows, problems and notices by line, the parsed file."""

from dataclasses import dataclass, field

from ..models.agency import normalize_agency_name


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
    def name_key(self) -> tuple[str, str]:
        return normalize_agency_name(self.values["name"]), self.values["state"]

    @property
    def place_key(self) -> str:
        """The city as a key (Agency.place_key); empty when the file gives none."""
        return normalize_agency_name(self.values.get("city", ""))


@dataclass
class ParsedFile:
    rows: list[AgencyRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # original header -> model field or "extra"
    # What was read differently from the letter of the file but is not an error (merged rows, encoding).
    notices: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
