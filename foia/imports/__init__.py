"""Agency imports: read a CSV into checked rows (parse), write them (write), run an upload as a row (runs)."""

from .parse import (
    STATE_NAMES,
    AgencyRow,
    ImportProblem,
    ParsedFile,
    agency_file_parse,
    agency_kind,
    state_code,
)
from .write import AgencyImportError, ImportResult, agencies_import, campaign_for_import

__all__ = [
    "STATE_NAMES",
    "AgencyImportError",
    "AgencyRow",
    "ImportProblem",
    "ImportResult",
    "ParsedFile",
    "agencies_import",
    "agency_file_parse",
    "agency_kind",
    "campaign_for_import",
    "state_code",
]
