from .events import Event, EventKind, RecordType
from .identity import ApiToken, Role, Team, User

__all__ = ["ApiToken", "Event", "EventKind", "RecordType", "Role", "Team", "User"]
