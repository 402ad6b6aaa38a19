"""Tasks (S-19..S-22, S-41): of the tasks due in the period, how many were done, and done on
time; and how many are overdue now (docs/reports.md, "Tasks").

A task counts for its owner, the person who had to do it, so the `rep` and `team` filters apply
to the task's owner and the viewer sees the tasks of the people they may see. The record filters
(pipeline, source, country, product line) apply through the lead or deal the task is about: with
one of them set, a task on a record the filters drop (or on no lead or deal) is dropped.

`report_activities` (the activities a report counts) and `task_counts` (the counts by owner and
lead source) serve the per-rep reports too, so their on-time column is this report's figure.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from sopcrm.core.clock import now
from sopcrm.core.models import User
from sopcrm.core.visibility import owner_visibility

from ..records.models import Activity, ActivityKind, ActivityStatus
from .filters import ReportFilter, report_deals, report_leads
from .first_response import owner_names, period_index
from .stats import Share


def report_activities(user: User, filters: ReportFilter) -> QuerySet[Activity]:
    """The activities `user` may see, of owners `user` may see (a rep: their own), that the
    filters keep: `rep` and `team` on the activity's owner, the record filters through its lead
    or deal. The period is each report's own.

    `selectors.activity_list(user)` keeps the activities whose owner `user` may see OR whose
    lead, deal, account or contact `user` may see; with the owner rule added, the owner rule
    alone decides (A and (A or B) is A), so the rule is applied by itself: the five-way test of
    the related records' owners made the task counts read every task's records."""
    rows = Activity.objects.filter(owner_visibility(user))
    if filters.team is not None:
        rows = rows.filter(owner__team_id=filters.team)
    if filters.rep is not None:
        rows = rows.filter(owner_id=filters.rep)
    if filters.pipeline or filters.source or filters.country or filters.product_line:
        records = replace(filters, team=None, rep=None)
        rows = rows.filter(
            Q(deal_id__in=report_deals(user, records).values("pk"))
            | Q(lead_id__in=report_leads(user, records).values("pk"))
        )
    return rows


@dataclass
class TaskCount:
    """Task counts of one owner (and, for the per-source tables, one lead source)."""

    due: int = 0  # due in the period, not cancelled
    done: int = 0
    on_time: int = 0  # done at or before the due time
    overdue_now: int = 0  # open and past due now, whatever the period

    def add(self, other: "TaskCount") -> None:
        self.due += other.due
        self.done += other.done
        self.on_time += other.on_time
        self.overdue_now += other.overdue_now

    @property
    def completion(self) -> Share:
        return Share(self.done, self.due)

    @property
    def on_time_rate(self) -> Share:
        return Share(self.on_time, self.due)


# The lead source of the record a task is about: the lead's own, or that of a deal's lead.
TASK_SOURCE = Coalesce("lead__source", "deal__lead__source")


def task_counts(
    user: User, filters: ReportFilter, *, by_source: bool = True
) -> dict[tuple[int | None, str], TaskCount]:
    """The task counts by (owner id, lead source of the task's record, "" for none): two grouped
    queries, one for the period, one for what is overdue now. Without `by_source` every source
    is "": the lead and the deal's lead are joined only for the per-source tables."""
    tasks = report_activities(user, filters).filter(kind=ActivityKind.TASK)
    counts: dict[tuple[int | None, str], TaskCount] = defaultdict(TaskCount)
    source = TASK_SOURCE if by_source else Value("")
    due = (
        tasks.filter(filters.in_period("due_at"))
        .exclude(status=ActivityStatus.CANCELLED)
        .order_by()
        .values("owner_id", source=source)
        .annotate(
            due=Count("pk"),
            done=Count("pk", filter=Q(status=ActivityStatus.DONE)),
            on_time=Count(
                "pk", filter=Q(status=ActivityStatus.DONE, completed_at__lte=F("due_at"))
            ),
        )
    )
    for row in due:
        count = counts[(row["owner_id"], row["source"] or "")]
        count.due, count.done, count.on_time = row["due"], row["done"], row["on_time"]
    overdue = (
        tasks.filter(status=ActivityStatus.OPEN, due_at__lt=now())
        .order_by()
        .values("owner_id", source=source)
        .annotate(overdue=Count("pk"))
    )
    for late in overdue:
        counts[(late["owner_id"], late["source"] or "")].overdue_now = late["overdue"]
    return counts


def on_time_rates(user: User, periods: Sequence[ReportFilter]) -> list[Share]:
    """The on-time rate of the tasks due in each of `periods` (consecutive, with the same
    filters), as `tasks_report` gives it for that period alone: one grouped query for them all."""
    if not periods:
        return []
    span = periods[0].with_period(periods[0].start, periods[-1].end)
    due, on_time = [0] * len(periods), [0] * len(periods)
    rows = (
        report_activities(user, span)
        .filter(span.in_period("due_at"), kind=ActivityKind.TASK)
        .exclude(status=ActivityStatus.CANCELLED)
        .annotate(point=period_index("due_at", periods))
        .order_by()
        .values("point")
        .annotate(
            due=Count("pk"),
            on_time=Count(
                "pk", filter=Q(status=ActivityStatus.DONE, completed_at__lte=F("due_at"))
            ),
        )
    )
    for row in rows:
        if row["point"] is not None:
            due[row["point"]], on_time[row["point"]] = row["due"], row["on_time"]
    return [Share(part, whole) for part, whole in zip(on_time, due, strict=True)]


def total(counts: Iterable[TaskCount]) -> TaskCount:
    summed = TaskCount()
    for count in counts:
        summed.add(count)
    return summed


def _count_dict(count: TaskCount) -> dict[str, Any]:
    return {
        "due": count.due,
        "done": count.done,
        "on_time": count.on_time,
        "completion": count.completion.as_dict(),
        "on_time_rate": count.on_time_rate.as_dict(),
        "overdue_now": count.overdue_now,
    }


@dataclass(frozen=True)
class RepTasks:
    user_id: int | None
    name: str
    count: TaskCount

    def as_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, **_count_dict(self.count)}


@dataclass(frozen=True)
class TasksReport:
    filters: ReportFilter
    count: TaskCount
    by_rep: list[RepTasks] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.as_params(),
            **_count_dict(self.count),
            "by_rep": [row.as_dict() for row in self.by_rep],
        }


def tasks_report(user: User, filters: ReportFilter) -> TasksReport:
    """The task figures of the period for what `user` may see, overall and by task owner."""
    by_owner: dict[int | None, TaskCount] = defaultdict(TaskCount)
    for (owner_id, _source), count in task_counts(user, filters, by_source=False).items():
        by_owner[owner_id].add(count)
    names = owner_names(by_owner)
    rows = [
        RepTasks(user_id=owner_id, name=names[owner_id], count=count)
        for owner_id, count in by_owner.items()
    ]
    rows.sort(key=lambda row: (row.name.casefold(), row.user_id or 0))
    return TasksReport(filters=filters, count=total(by_owner.values()), by_rep=rows)
