"""The CRM records (S-01). Models hold data only: every write goes through services/, every read
through selectors.py, and no model has logic in save()."""

from .activities import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Channel,
    Direction,
    FeedbackType,
    NewInformation,
)
from .approvals import ApprovalRequest, ApprovalStatus
from .automation import AssignmentTurn, ListMembership, SlaClock, SlaState
from .records import Account, Contact, Deal, Lead, LeadSource, RecordBase, StagedRecord

__all__ = [
    "Account",
    "Activity",
    "ActivityKind",
    "ActivityStatus",
    "ApprovalRequest",
    "ApprovalStatus",
    "AssignmentTurn",
    "Channel",
    "Contact",
    "Deal",
    "Direction",
    "FeedbackType",
    "Lead",
    "LeadSource",
    "ListMembership",
    "NewInformation",
    "RecordBase",
    "SlaClock",
    "SlaState",
    "StagedRecord",
]
