"""What a person has to do today (S-45: *My day*) and the lost deals to win back (S-40):
read-only views built on the permission-aware selectors."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from sopcrm.core.clock import now
from sopcrm.core.models import RecordType, User
from sopcrm.core.visibility import owner_visibility
from sopcrm.playbook.schema import ObjectType, Pipeline, StageKind, Transition
from sopcrm.process.playbooks import active_version, playbook_for_version

from . import selectors
from .models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    ApprovalRequest,
    ApprovalStatus,
    Deal,
    Lead,
    ListMembership,
    SlaClock,
    SlaState,
)


@dataclass(frozen=True)
class Section[T]:
    """The first items of one part of the day and how many there are in all."""

    items: list[T]
    total: int


def _section(rows: QuerySet[Any], limit: int) -> Section[Any]:
    # One query when everything fits; a COUNT only when the list was cut at the limit.
    items = list(rows[:limit])
    return Section(items, len(items) if len(items) < limit else rows.count())


@dataclass(frozen=True)
class FirstContact:
    """A lead waiting for its first contact, with its response clock (S-17)."""

    lead: Lead
    clock: SlaClock
    at_risk: bool  # past the clock's at-risk point
    late: bool  # past its target


@dataclass(frozen=True)
class StepQueue:
    """The user's records waiting for a transition the playbook marks `my_day` (S-45): e.g.
    the deals in Requirements confirmed, for "Quotes to send"."""

    object_type: ObjectType
    transition: Transition
    records: Section[Lead | Deal]


@dataclass(frozen=True)
class DailyView:
    at: datetime
    overdue: Section[Activity]
    due_today: Section[Activity]  # due later today
    awaiting_first_contact: Section[FirstContact]
    sla_at_risk: list[SlaClock]  # running response clocks past their at-risk point or target
    # For a manager or an admin: the requests they may decide; for a rep: their own.
    awaiting_approval: Section[ApprovalRequest]
    deciding: bool
    steps: list[StepQueue]
    past_expected_close: Section[Deal]

    @property
    def is_empty(self) -> bool:
        sections: list[Section[Any]] = [
            self.overdue,
            self.due_today,
            self.awaiting_first_contact,
            self.awaiting_approval,
            self.past_expected_close,
            *(queue.records for queue in self.steps),
        ]
        return not any(section.total for section in sections)


def _day_end(at: datetime) -> datetime:
    local = timezone.localtime(at)
    return timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time(0)))


def open_tasks(user: User) -> QuerySet[Activity]:
    return selectors.own_activity_list(user).filter(
        kind=ActivityKind.TASK, status=ActivityStatus.OPEN
    )


def task_counts(user: User) -> tuple[int, int]:
    """(overdue, due later today): the counts My day shows, after a task is done."""
    at = now()
    mine = open_tasks(user)
    return (
        mine.filter(due_at__lt=at).count(),
        mine.filter(due_at__gte=at, due_at__lt=_day_end(at)).count(),
    )


def _first_contacts(user: User, at: datetime, limit: int) -> Section[FirstContact]:
    """The user's leads whose response clock runs, the soonest due first."""
    clocks = SlaClock.objects.filter(
        owner=user, record_type=RecordType.LEAD, state=SlaState.RUNNING
    ).order_by("due_at", "pk")
    first = _section(clocks, limit)
    leads = selectors.lead_list(user).in_bulk([c.record_id for c in first.items])
    items = [
        FirstContact(
            lead=leads[clock.record_id],
            clock=clock,
            at_risk=clock.at_risk_at is not None and clock.at_risk_at <= at,
            late=clock.due_at <= at,
        )
        for clock in first.items
        if clock.record_id in leads
    ]
    return Section(items, first.total)


def _approvals(user: User) -> tuple[QuerySet[ApprovalRequest], bool]:
    """Pending requests the user may decide (the owner's manager, or an admin: as
    services.transitions.may_decide), else those the user asked for."""
    pending = selectors.approval_list(user).filter(status=ApprovalStatus.PENDING)
    if user.is_admin:
        return pending.order_by("requested_at", "pk"), True
    if user.is_manager:
        # A manager decides on the team's records, not on their own.
        decidable = (
            Q(deal__isnull=False) & owner_visibility(user, "deal__owner") & ~Q(deal__owner=user)
        ) | (Q(lead__isnull=False) & owner_visibility(user, "lead__owner") & ~Q(lead__owner=user))
        return pending.filter(decidable).order_by("requested_at", "pk"), True
    return pending.filter(requested_by=user).order_by("requested_at", "pk"), False


def _at_origin(pipeline: Pipeline, transition: Transition) -> Q:
    """Records where the transition starts: its `from` stages ('stage', 'stage.step', '*')."""
    where = Q(pk__in=[])
    for origin in transition.from_:
        if origin == "*":
            open_stages = [s.key for s in pipeline.stages if s.kind == StageKind.OPEN]
            where |= Q(stage__in=open_stages)
        else:
            stage, _dot, substate = origin.partition(".")
            where |= Q(stage=stage, substate=substate) if substate else Q(stage=stage)
    return where


def _pending_approval_ids(object_type: ObjectType) -> QuerySet[ApprovalRequest]:
    """The leads or deals with a pending approval request, as a subquery (no NULLs: NOT IN with
    a NULL would match nothing)."""
    link = object_type.value
    return ApprovalRequest.objects.filter(
        status=ApprovalStatus.PENDING, **{f"{link}__isnull": False}
    ).values(f"{link}_id")


def _steps(user: User, limit: int) -> list[StepQueue]:
    """One queue per `my_day` transition of the active playbook (open records move to each new
    version, so its transitions are theirs). One query per such transition, whatever the
    number of records."""
    playbook = playbook_for_version(active_version().pk)
    lists = {ObjectType.LEAD: selectors.lead_list, ObjectType.DEAL: selectors.deal_list}
    queues = []
    for object_type, selector in lists.items():
        for pipeline in playbook.object(object_type).pipelines:
            for transition in pipeline.transitions:
                if transition.my_day is None:
                    continue
                rows = (
                    selector(user)
                    .filter(owner=user, pipeline=pipeline.key)
                    .filter(_at_origin(pipeline, transition))
                    # One already waiting for a manager's decision is not the user's to do.
                    .exclude(pk__in=_pending_approval_ids(object_type))
                    .order_by("stage_entered_at", "pk")
                )
                queues.append(StepQueue(object_type, transition, _section(rows, limit)))
    return queues


def daily_view(user: User, *, limit: int = 100) -> DailyView:
    """What the user has to do today (S-45), each part at most `limit` items with its total.
    The number of queries does not depend on the number of items."""
    at = now()
    mine = open_tasks(user)
    clocks = SlaClock.objects.filter(owner=user, state=SlaState.RUNNING).filter(
        Q(at_risk_at__lte=at) | Q(due_at__lte=at)
    )
    approvals, deciding = _approvals(user)
    late_deals = selectors.deal_list(user).filter(
        owner=user, closed_at__isnull=True, expected_close_on__lt=timezone.localdate(at)
    )
    return DailyView(
        at=at,
        overdue=_section(mine.filter(due_at__lt=at).order_by("due_at", "pk"), limit),
        due_today=_section(
            mine.filter(due_at__gte=at, due_at__lt=_day_end(at)).order_by("due_at", "pk"), limit
        ),
        awaiting_first_contact=_first_contacts(user, at, limit),
        sla_at_risk=list(clocks.order_by("due_at")[:limit]),
        awaiting_approval=_section(approvals, limit),
        deciding=deciding,
        steps=_steps(user, limit),
        past_expected_close=_section(late_deals.order_by("expected_close_on", "pk"), limit),
    )


@dataclass
class RemarketingGroup:
    reason: str
    likelihood: str
    deals: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.deals)


def _lost_stages() -> list[str]:
    deal = playbook_for_version(active_version().pk).object(ObjectType.DEAL)
    return [s.key for p in deal.pipelines for s in p.stages if s.kind == StageKind.LOST]


def _reasons(values: dict[str, Any]) -> list[str]:
    """The lost reasons: a multi-choice `lost_reasons` (export trade) or a single `lost_reason`."""
    many = values.get("lost_reasons")
    if isinstance(many, list) and many:
        return [str(r) for r in many]
    one = values.get("lost_reason")
    return [str(one)] if one else [""]


def remarketing_groups(user: User) -> list[RemarketingGroup]:
    """Lost deals the user can see (in a stage of kind `lost`), grouped by lost reason x
    reactivation likelihood (S-40). A deal lost for two reasons is in both reason groups."""
    groups: dict[tuple[str, str], RemarketingGroup] = {}
    lost = selectors.deal_list(user).filter(closed_at__isnull=False, stage__in=_lost_stages())
    for deal_id, custom in lost.values_list("pk", "custom").order_by("pk"):
        values: dict[str, Any] = custom or {}
        likelihood = str(values.get("reactivation_likelihood") or "")
        for reason in _reasons(values):
            key = (str(reason), likelihood)
            groups.setdefault(key, RemarketingGroup(*key)).deals.append(deal_id)
    return sorted(groups.values(), key=lambda g: (-g.count, g.reason, g.likelihood))


def list_members(user: User, list_key: str, *, limit: int = 500) -> list[tuple[str, Any]]:
    """The records on a playbook list the user can see, newest first (at most `limit`)."""
    rows = list(
        ListMembership.objects.filter(list_key=list_key)
        .order_by("-added_at", "-pk")
        .values_list("record_type", "record_id")
    )
    by_type: dict[str, list[int]] = defaultdict(list)
    for record_type, record_id in rows:
        by_type[record_type].append(record_id)
    visible: dict[tuple[str, int], Any] = {}
    lists = {
        RecordType.DEAL: selectors.deal_list,
        RecordType.LEAD: selectors.lead_list,
        RecordType.ACCOUNT: selectors.account_list,
        RecordType.CONTACT: selectors.contact_list,
    }
    for record_type, ids in by_type.items():
        selector = lists.get(RecordType(record_type))
        if selector is not None:
            visible.update({(record_type, r.pk): r for r in selector(user).filter(pk__in=ids)})
    ordered = [(t, visible[(t, i)]) for t, i in rows if (t, i) in visible]
    return ordered[:limit]
