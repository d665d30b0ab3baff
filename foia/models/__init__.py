"""The data model: one module per concept, re-exported here."""

from ..appeals.models import Appeal, AppealBasis, AppealBatch, AppealKind, AppealStatus
from .agency import Agency, AgencyKind
from .agency_import import AgencyImport, ImportStatus
from .bulk import BulkItem, BulkItemState, BulkRun, BulkStatus
from .campaign import Campaign, FollowupMode
from .communication import Communication, CommunicationChannel, Direction
from .dashboard import DashboardCount
from .document import (
    Document,
    DocumentKind,
    DocumentPage,
    ExtractionStatus,
    MessageAttachment,
    RequestDocument,
)
from .finding import (
    CampaignQuestion,
    DuplicateGroups,
    FindingCell,
    Pick,
    TemplateComparison,
    TemplateReference,
)
from .law import ClosedDay, DayType, Law, RequesterLimit
from .reminder import Reminder, ReminderKind, ReminderState
from .request import RecordsRequest, RequestEvent, RequestEventKind, SendMethod, Status
from .user import Role, User

__all__ = [
    "Agency",
    "AgencyImport",
    "AgencyKind",
    "BulkItem",
    "BulkItemState",
    "BulkRun",
    "BulkStatus",
    "Appeal",
    "AppealBasis",
    "AppealBatch",
    "AppealKind",
    "AppealStatus",
    "Campaign",
    "CampaignQuestion",
    "ClosedDay",
    "Communication",
    "CommunicationChannel",
    "DashboardCount",
    "DayType",
    "Direction",
    "Document",
    "DocumentKind",
    "DocumentPage",
    "ExtractionStatus",
    "DuplicateGroups",
    "FindingCell",
    "FollowupMode",
    "ImportStatus",
    "Law",
    "MessageAttachment",
    "Pick",
    "RecordsRequest",
    "Reminder",
    "ReminderKind",
    "ReminderState",
    "RequestDocument",
    "RequestEvent",
    "RequestEventKind",
    "RequesterLimit",
    "Role",
    "SendMethod",
    "TemplateComparison",
    "TemplateReference",
    "Status",
    "User",
]
