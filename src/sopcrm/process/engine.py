"""The playbook applied to one record: which transitions are open to whom, what a transition
still needs, which rules fail, whether it needs approval, and when tasks fall due.

Pure functions over plain data (no queries, no writes): the record services in crm persist what
these decide, so the web UI, API, CLI and automation all get the same answers.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sopcrm.core.calendar import BusinessCalendar, CalendarSpec, Clock
from sopcrm.core.clock import now
from sopcrm.core.fieldtypes import is_empty
from sopcrm.playbook.conditions import Condition, parse_condition
from sopcrm.playbook.schema import (
    ActorName,
    CalendarDef,
    Pipeline,
    RoleName,
    Rule,
    StageKind,
    TaskTemplate,
    Transition,
    parse_duration,
)

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class Actor:
    id: int
    role: RoleName
    team_id: int | None


@dataclass(frozen=True)
class RecordView:
    """What the engine needs to know of a record."""

    owner_id: int | None
    owner_team_id: int | None
    stage: str
    substate: str
    values: Mapping[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1024)
def condition(text: str) -> Condition:
    # Conditions were checked when the playbook loaded; parse each text once per process.
    return parse_condition(text)


@lru_cache(maxsize=32)
def calendar_for(definition: CalendarDef) -> BusinessCalendar:
    hours = []
    for text in definition.working_hours:
        opens, closes = text.split("-")
        hours.append(
            (
                time.fromisoformat(opens),
                time.max if closes == "24:00" else time.fromisoformat(closes),
            )
        )
    return BusinessCalendar(
        CalendarSpec(
            time_zone=definition.time_zone,
            country=definition.country,
            working_weekdays=tuple(_WEEKDAYS[d] for d in definition.working_weekdays),
            working_hours=tuple(hours),
            extra_holidays=frozenset(date.fromisoformat(d) for d in definition.holidays),
            extra_working_days=frozenset(date.fromisoformat(d) for d in definition.working_days),
        )
    )


def at_position(pipeline: Pipeline, origin: str, stage: str, substate: str) -> bool:
    """Whether a record in `stage`/`substate` is where a transition's `from` entry starts."""
    if origin == "*":
        current = pipeline.stage(stage)
        return current is not None and current.kind == StageKind.OPEN
    origin_stage, _dot, origin_sub = origin.partition(".")
    return origin_stage == stage and (not origin_sub or origin_sub == substate)


def starts_here(pipeline: Pipeline, transition: Transition, record: RecordView) -> bool:
    return any(at_position(pipeline, o, record.stage, record.substate) for o in transition.from_)


def may_take(transition: Transition, actor: Actor, record: RecordView) -> bool:
    """Whether `actor` may execute `transition` on `record` (who may see it is checked apart)."""
    for allowed in transition.allowed:
        if allowed == ActorName.OWNER and actor.id == record.owner_id:
            return True
        if allowed == ActorName.ADMIN and actor.role == RoleName.ADMIN:
            return True
        if allowed == ActorName.REP and actor.role == RoleName.REP:
            return True
        if (
            allowed == ActorName.MANAGER
            and actor.role == RoleName.MANAGER
            and (record.owner_id is None or record.owner_team_id == actor.team_id)
        ):
            return True
    return False


def available_transitions(pipeline: Pipeline, record: RecordView, actor: Actor) -> list[Transition]:
    return [
        t
        for t in pipeline.transitions
        if starts_here(pipeline, t, record) and may_take(t, actor, record)
    ]


def target_of(pipeline: Pipeline, transition: Transition) -> tuple[str, str]:
    """(stage, sub-state) a transition leads to; entering a stage with steps starts at the first."""
    stage_key, _dot, sub_key = transition.to.partition(".")
    stage = pipeline.stage(stage_key)
    if not sub_key and stage is not None and stage.substates:
        sub_key = stage.substates[0].key
    return stage_key, sub_key


def missing_required(transition: Transition, values: Mapping[str, Any]) -> list[str]:
    return [key for key in transition.requires if is_empty(values.get(key))]


def failing_rules(transition: Transition, values: Mapping[str, Any], today: date) -> list[Rule]:
    return [r for r in transition.rules if not condition(r.when).evaluate(values, today=today)]


def needs_approval(transition: Transition, values: Mapping[str, Any], today: date) -> bool:
    approval = transition.approval
    return approval is not None and condition(approval.when).evaluate(values, today=today)


def pipeline_for(
    pipelines: tuple[Pipeline, ...], values: Mapping[str, Any], today: date
) -> Pipeline | None:
    """The first pipeline whose `when` holds for a new record, else the default one (S-08)."""
    for pipeline in pipelines:
        if pipeline.when is not None and condition(pipeline.when).evaluate(values, today=today):
            return pipeline
    return next((p for p in pipelines if p.when is None), None)


@dataclass(frozen=True)
class Anchors:
    """The moments a task's due time may count from."""

    created_at: datetime
    stage_entered_at: datetime
    received_at: datetime | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    completed: Mapping[str, datetime] = field(default_factory=dict)


def _anchor_time(anchor: str, anchors: Anchors, zone: ZoneInfo) -> datetime | None:
    if anchor == "created":
        return anchors.created_at
    if anchor == "received":
        return anchors.received_at or anchors.created_at
    if anchor == "stage_entered":
        return anchors.stage_entered_at
    if anchor == "task_created":
        return now()
    kind, _dot, rest = anchor.partition(".")
    if kind == "task":
        return anchors.completed.get(rest.removesuffix(".completed"))
    value = anchors.values.get(rest)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        # A date counts from the end of that day: "quote date + 3 days" is due by the end of
        # the third day after the quote, in the team's time zone.
        return datetime.combine(value + timedelta(days=1), time(0), tzinfo=zone)
    return None


def due_at(template: TaskTemplate, anchors: Anchors, calendar: BusinessCalendar) -> datetime | None:
    """When a task from `template` is due, or None while its anchor has no value (e.g. an empty
    quote date)."""
    start = _anchor_time(template.due.from_, anchors, calendar.zone)
    if start is None:
        return None
    return calendar.add(start, parse_duration(template.due.after), Clock(template.due.clock.value))
