"""What a person has to do today (S-45) and the lost deals to win back (S-40): read-only views
built on the permission-aware selectors."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from sopcrm.core.clock import now
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.schema import ObjectType, StageKind
from sopcrm.process.playbooks import active_version, playbook_for_version

from . import selectors
from .models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    ApprovalRequest,
    ApprovalStatus,
    Deal,
    ListMembership,
    SlaClock,
    SlaState,
)


@dataclass(frozen=True)
class DailyView:
    due_today: list[Activity]
    overdue: list[Activity]
    sla_at_risk: list[SlaClock]  # running response clocks past their at-risk point or target
    awaiting_approval: list[ApprovalRequest]  # for a manager: to decide; for a rep: their own
    past_expected_close: list[Deal]


def _day_end(at: datetime) -> datetime:
    local = timezone.localtime(at)
    return timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time(0)))


def daily_view(user: User, *, limit: int = 100) -> DailyView:
    at = now()
    mine = selectors.activity_list(user).filter(
        owner=user, kind=ActivityKind.TASK, status=ActivityStatus.OPEN
    )
    clocks = SlaClock.objects.filter(owner=user, state=SlaState.RUNNING).filter(
        Q(at_risk_at__lte=at) | Q(due_at__lte=at)
    )
    approvals = selectors.approval_list(user).filter(status=ApprovalStatus.PENDING)
    if not (user.is_manager or user.is_admin):
        approvals = approvals.filter(requested_by=user)
    else:
        approvals = approvals.exclude(requested_by=user)
    late_deals = selectors.deal_list(user).filter(
        owner=user, closed_at__isnull=True, expected_close_on__lt=timezone.localdate(at)
    )
    return DailyView(
        due_today=list(
            mine.filter(due_at__gte=at, due_at__lt=_day_end(at)).order_by("due_at")[:limit]
        ),
        overdue=list(mine.filter(due_at__lt=at).order_by("due_at")[:limit]),
        sla_at_risk=list(clocks.order_by("due_at")[:limit]),
        awaiting_approval=list(approvals[:limit]),
        past_expected_close=list(late_deals.order_by("expected_close_on")[:limit]),
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
