"""A deal's path compared with its playbook (S-42): the stages it went through with their dates
and days against each stage's idle limit, the tasks the playbook gave it done on time or late,
the moves made outside the allowed transitions, and the follow-ups. The monthly review shows one
won and one lost deal this way, for the team to compare with the SOP.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils.translation import get_language

from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.playbook.schema import StageKind
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..records import selectors
from ..records.models import Activity, ActivityKind, ActivityStatus, Deal
from .filters import ReportFilter, customer_contact, report_deals
from .stats import Share


@dataclass(frozen=True)
class StageStay:
    stage: str
    label: str
    entered_at: datetime
    left_at: datetime | None  # None: still there
    days: float
    idle_days: int | None  # the playbook's limit for the stage
    exception: str  # the reason, when the record left the stage outside the transitions

    @property
    def over_limit(self) -> bool:
        return self.idle_days is not None and self.days > self.idle_days

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "label": self.label,
            "entered_at": self.entered_at.isoformat(),
            "left_at": self.left_at.isoformat() if self.left_at else None,
            "days": self.days,
            "idle_days": self.idle_days,
            "over_limit": self.over_limit,
            "exception": self.exception,
        }


@dataclass(frozen=True)
class TaskOutcome:
    subject: str
    template: str
    due_at: datetime | None
    completed_at: datetime | None
    status: str
    # "on_time", "late" (done after its due time), "overdue" (open past due), "open", "cancelled"
    outcome: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "template": self.template,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "status": self.status,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class DealPath:
    deal: Deal
    stays: list[StageStay]
    tasks: list[TaskOutcome]
    follow_ups: int

    @property
    def within_limits(self) -> Share:
        limited = [s for s in self.stays if s.idle_days is not None]
        return Share(sum(1 for s in limited if not s.over_limit), len(limited))

    @property
    def on_time(self) -> Share:
        due = [t for t in self.tasks if t.outcome in ("on_time", "late", "overdue")]
        return Share(sum(1 for t in due if t.outcome == "on_time"), len(due))

    @property
    def exceptions(self) -> int:
        return sum(1 for s in self.stays if s.exception)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deal": {
                "id": self.deal.pk,
                "title": self.deal.title,
                "owner": str(self.deal.owner) if self.deal.owner else None,
                "amount": str(self.deal.amount) if self.deal.amount is not None else None,
                "currency": self.deal.currency,
                "stage": self.deal.stage,
            },
            "stays": [s.as_dict() for s in self.stays],
            "tasks": [t.as_dict() for t in self.tasks],
            "follow_ups": self.follow_ups,
            "stages_within_limits": self.within_limits.as_dict(),
            "tasks_on_time": self.on_time.as_dict(),
            "exceptions": self.exceptions,
        }


def _task_outcome(task: Activity, at: datetime) -> str:
    if task.status == ActivityStatus.CANCELLED:
        return "cancelled"
    if task.status == ActivityStatus.DONE:
        if task.due_at is None or (task.completed_at and task.completed_at <= task.due_at):
            return "on_time"
        return "late"
    return "overdue" if task.due_at is not None and task.due_at < at else "open"


def deal_path(user: User, deal: Deal) -> DealPath:
    """The path of one deal `user` may see (NotFound otherwise, through the selector)."""
    deal = selectors.record_get(user, RecordType.DEAL, deal.pk)
    pipeline = playbook_for_version(deal.playbook_version_id).object("deal").pipeline(deal.pipeline)
    language = get_language()
    events = Event.objects.filter(
        record_type=RecordType.DEAL,
        record_id=deal.pk,
        kind__in=[EventKind.STAGE_ENTERED, EventKind.STAGE_LEFT],
    ).order_by("occurred_at", "pk")
    at = now()
    stays: list[StageStay] = []
    entered: tuple[str, datetime] | None = None
    for event in events:
        key = str(event.data.get("stage", ""))
        stage = pipeline.stage(key) if pipeline else None
        if event.kind == EventKind.STAGE_ENTERED:
            entered = (key, event.occurred_at)
            continue
        if entered is None:
            continue
        stays.append(
            StageStay(
                stage=key,
                label=stage.label.for_language(language) if stage else key,
                entered_at=entered[1],
                left_at=event.occurred_at,
                days=round((event.occurred_at - entered[1]).total_seconds() / 86400, 1),
                idle_days=stage.idle_days if stage and stage.kind == StageKind.OPEN else None,
                exception=str(event.data.get("exception") or ""),
            )
        )
        entered = None
    if entered is not None:
        stage = pipeline.stage(entered[0]) if pipeline else None
        open_stage = stage is not None and stage.kind == StageKind.OPEN
        stays.append(
            StageStay(
                stage=entered[0],
                label=stage.label.for_language(language) if stage else entered[0],
                entered_at=entered[1],
                left_at=None,
                days=round((at - entered[1]).total_seconds() / 86400, 1) if open_stage else 0.0,
                idle_days=stage.idle_days if stage and open_stage else None,
                exception="",
            )
        )
    activities = Activity.objects.filter(deal=deal)
    tasks = [
        TaskOutcome(
            subject=task.subject,
            template=task.template_key,
            due_at=task.due_at,
            completed_at=task.completed_at,
            status=task.status,
            outcome=_task_outcome(task, at),
        )
        for task in activities.filter(kind=ActivityKind.TASK).order_by("due_at", "created_at", "pk")
    ]
    return DealPath(deal, stays, tasks, activities.filter(customer_contact()).count())


def example_deals(user: User, filters: ReportFilter) -> tuple[Deal | None, Deal | None]:
    """The won and the lost example of the period: of the deals closed (won, lost) in it, the
    one with the largest amount (the most instructive), the latest closed on a tie."""
    deals = report_deals(user, filters).filter(filters.in_period("closed_at"))
    chosen = []
    for kind in (StageKind.WON, StageKind.LOST):
        keys = _stage_keys_of_kind(kind)
        chosen.append(
            deals.filter(stage__in=keys)
            .order_by(F("amount").desc(nulls_last=True), "-closed_at", "-pk")
            .first()
            if keys
            else None
        )
    return chosen[0], chosen[1]


def _stage_keys_of_kind(kind: StageKind) -> list[str]:
    obj = playbook_for_version(active_version().pk).object("deal")
    return sorted({s.key for p in obj.pipelines for s in p.stages if s.kind == kind})
