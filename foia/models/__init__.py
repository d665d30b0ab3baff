"""The data model: one module per concept, re-exported here."""

from .agency import Agency, AgencyKind
from .campaign import Campaign, FollowupMode
from .communication import Communication, CommunicationChannel, Direction
from .document import Document, DocumentKind, DocumentPage, ExtractionStatus, RequestDocument
from .law import ClosedDay, DayType, Law, RequesterLimit
from .reminder import Reminder, ReminderKind, ReminderState
from .request import RecordsRequest, RequestEvent, RequestEventKind, SendMethod, Status
from .user import Role, User

__all__ = [
    "Agency",
    "AgencyKind",
    "Campaign",
    "ClosedDay",
    "Communication",
    "CommunicationChannel",
    "DayType",
    "Direction",
    "Document",
    "DocumentKind",
    "DocumentPage",
    "ExtractionStatus",
    "FollowupMode",
    "Law",
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
    "Status",
    "User",
]
