"""The rows of a generator batch: plain containers (bench/world.py fills them, bench/generate.py
inserts them through bench/bulk.py)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sopcrm.crm.records.models import (
    Account,
    Contact,
    Deal,
    Direction,
    Lead,
    ListMembership,
    SlaClock,
)
from sopcrm.process.models import Timer

# The columns of the events' rows (tuples: events are most of the rows, model instances cost).
EVENT_COLUMNS = ("record_type", "record_id", "kind", "actor_id", "data", "occurred_at")


@dataclass(slots=True)
class ActivityRow:
    """An activity's row (the columns of crm.records.Activity): building a Django model instance
    costs ten times more, and a deal has about eight of them."""

    id: int
    kind: str
    status: str
    subject: str
    owner_id: int | None
    created_at: datetime
    updated_at: datetime
    created_by_id: int | None
    channel: str = ""
    direction: str = Direction.OUTBOUND
    summary: str = ""
    body: str = ""
    feedback_type: str = ""
    new_information: str = ""
    due_at: datetime | None = None
    occurred_at: datetime | None = None
    completed_at: datetime | None = None
    lead_id: int | None = None
    deal_id: int | None = None
    account_id: int | None = None
    contact_id: int | None = None
    template_key: str = ""
    active_in: list[str] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.id


@dataclass
class Rows:
    """Unsaved rows of one batch, in the order they are inserted (foreign keys first)."""

    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # EVENT_COLUMNS
    timers: list[Timer] = field(default_factory=list)
    clocks: list[SlaClock] = field(default_factory=list)
    memberships: list[ListMembership] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[Any]]]:
        return [(name, getattr(self, name)) for name in self.__dataclass_fields__]


@dataclass(frozen=True)
class Customer:
    """A direct customer's account and contacts, for deals that did not come from a lead."""

    account_id: int
    contact_ids: tuple[int, ...]
    country: str
    name: str
