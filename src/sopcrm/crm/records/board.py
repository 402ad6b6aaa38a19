"""The pipeline board (S-07, S-15, S-23): the leads or deals a user may see in one pipeline of the
active playbook, a column per stage, each card with its next open task and its warnings; and
where a card may be moved. Read-only, built on the permission-aware selectors.

The number of queries does not depend on the number of cards: one query counts the columns, one
per non-empty column picks its first cards, one fetches them, then one query each for the open
tasks, the response clocks and the pending approvals of all the cards.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from sopcrm.core.clock import now
from sopcrm.core.models import User
from sopcrm.playbook.schema import ObjectType, Pipeline, Stage, StageKind, Transition
from sopcrm.process import engine
from sopcrm.process.playbooks import active_version, playbook_for_version

from . import selectors
from .models import (
    ActivityKind,
    ActivityStatus,
    ApprovalStatus,
    Deal,
    Lead,
    SlaClock,
    SlaState,
)
from .services.playbook_context import actor_of, pipeline_of, record_view
from .transition_options import TransitionOption, pending_approval, transition_options

# Enough to work from; the "+N more" link opens the list of the rest (and keeps the page light).
CARD_LIMIT = 20
# A closed (won or lost) column shows only what closed recently: the board is for work in hand.
CLOSED_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class NextTask:
    subject: str
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class ResponseClock:
    """A running response clock (S-17) past its at-risk point (`late` once past its target)."""

    due_at: datetime
    late: bool


@dataclass(frozen=True)
class Card:
    record: Lead | Deal
    days_in_stage: int
    next_task: NextTask | None
    idle: bool  # longer in an open stage than the stage's idle_days (S-23)
    no_contact_days: int | None  # no contact with the customer for longer than idle_days
    clock: ResponseClock | None
    approval_pending: bool
    next_stages: tuple[str, ...]  # the stages the user may move it to now, in pipeline order


@dataclass
class Column:
    stage: Stage
    count: int
    cards: list[Card] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.stage.kind != StageKind.OPEN

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


@dataclass(frozen=True)
class Board:
    object_type: ObjectType
    pipelines: tuple[Pipeline, ...]  # of the active playbook, for the pipeline choice
    pipeline: Pipeline
    columns: list[Column]


def _selector(user: User, object_type: ObjectType) -> QuerySet[Any]:
    if object_type == ObjectType.DEAL:
        return selectors.deal_list(user)
    return selectors.lead_list(user)


def board_view(
    user: User, object_type: ObjectType, pipeline_key: str = "", *, limit: int = CARD_LIMIT
) -> Board | None:
    """The board of the chosen pipeline (the default one if the key is unknown); None when the
    active playbook has no pipeline for the object."""
    obj = playbook_for_version(active_version().pk).object(object_type)
    pipeline = obj.pipeline(pipeline_key) or obj.default_pipeline
    if pipeline is None:
        return None
    at = now()
    open_keys = [s.key for s in pipeline.stages if s.kind == StageKind.OPEN]
    closed_keys = [s.key for s in pipeline.stages if s.kind != StageKind.OPEN]
    shown = (
        _selector(user, object_type)
        .filter(pipeline=pipeline.key)
        .filter(
            Q(stage__in=open_keys)
            | Q(stage__in=closed_keys, stage_entered_at__gte=at - CLOSED_WINDOW)
        )
    )
    counts = dict(
        shown.order_by().values_list("stage").annotate(n=Count("pk")).values_list("stage", "n")
    )
    records = _first_of_each_column(shown, _selector(user, object_type), pipeline, counts, limit)
    cards = _cards(user, object_type, records, at)
    columns = {s.key: Column(s, counts.get(s.key, 0)) for s in pipeline.stages}
    for card in cards:
        columns[card.record.stage].cards.append(card)
    return Board(object_type, obj.pipelines, pipeline, list(columns.values()))


def _first_of_each_column(
    shown: QuerySet[Any],
    visible: QuerySet[Any],
    pipeline: Pipeline,
    counts: dict[str, int],
    limit: int,
) -> list[Any]:
    """The first `limit` records of each non-empty column: one small query per column picks the
    ids (served by the stage and owner index), then one query joins only those rows to their
    owner, account and contact. (A window function over all the columns, tried first, ranked and
    joined every visible record; one query with a `LIMIT` subquery per column made PostgreSQL
    scan the table.) Open columns: the longest waiting first; closed ones: the latest closed
    first."""
    ids: list[int] = []
    for stage in pipeline.stages:
        if counts.get(stage.key):
            order = "stage_entered_at" if stage.kind == StageKind.OPEN else "-stage_entered_at"
            column = shown.filter(stage=stage.key).order_by(order, "pk")
            ids += column.values_list("pk", flat=True)[:limit]
    position = {pk: i for i, pk in enumerate(ids)}
    # Fetched from the user's visible records by id alone: with the board's stage and window
    # conditions as well, SQLite walked the stage index instead of the ids (28 ms instead of
    # 4 for 40 cards).
    return sorted(visible.filter(pk__in=ids), key=lambda record: position[record.pk])


def _cards(
    user: User, object_type: ObjectType, records: Sequence[Lead | Deal], at: datetime
) -> list[Card]:
    link = "deal" if object_type == ObjectType.DEAL else "lead"
    ids = [r.pk for r in records]
    tasks = _next_tasks(user, link, ids, at)
    clocks = _clocks(object_type, ids, at)
    pending = dict(
        selectors.approval_list(user)
        .filter(**{f"{link}_id__in": ids}, status=ApprovalStatus.PENDING)
        .values_list(f"{link}_id", "transition")
    )
    actor = actor_of(user)
    cards = []
    for record in records:
        pipeline = pipeline_of(record)
        stage = pipeline.stage(record.stage)
        open_stage = stage is not None and stage.kind == StageKind.OPEN
        limit = timedelta(days=stage.idle_days) if stage and stage.idle_days else None
        in_stage = at - record.stage_entered_at
        quiet = at - record.last_contact_at if record.last_contact_at else None
        cards.append(
            Card(
                record=record,
                days_in_stage=max(in_stage.days, 0),
                next_task=tasks.get(record.pk),
                idle=open_stage and limit is not None and in_stage > limit,
                no_contact_days=(
                    quiet.days
                    if open_stage and limit is not None and quiet is not None and quiet > limit
                    else None
                ),
                clock=clocks.get(record.pk),
                approval_pending=record.pk in pending,
                next_stages=_next_stages(
                    pipeline, _movable(pipeline, record, actor, pending.get(record.pk)), record
                ),
            )
        )
    return cards


def _next_tasks(user: User, link: str, ids: list[int], at: datetime) -> dict[int, NextTask]:
    """The first open task of each record (the earliest due; undated ones last)."""
    rows = (
        selectors.activity_list(user)
        .filter(**{f"{link}_id__in": ids}, kind=ActivityKind.TASK, status=ActivityStatus.OPEN)
        .order_by(F("due_at").asc(nulls_last=True), "pk")
        .values_list(f"{link}_id", "subject", "due_at")
    )
    first: dict[int, NextTask] = {}
    for record_id, subject, due_at in rows:
        if record_id not in first:
            first[record_id] = NextTask(subject, due_at, due_at is not None and due_at < at)
    return first


def _clocks(object_type: ObjectType, ids: list[int], at: datetime) -> dict[int, ResponseClock]:
    """Running response clocks past their at-risk point, the latest-due first per record."""
    found: dict[int, ResponseClock] = {}
    running = SlaClock.objects.filter(
        record_type=object_type.value, record_id__in=ids, state=SlaState.RUNNING
    ).filter(Q(at_risk_at__lte=at) | Q(due_at__lte=at))
    for clock in running.order_by("due_at"):
        if clock.record_id not in found:  # the one due first is the one to act on
            found[clock.record_id] = ResponseClock(clock.due_at, clock.due_at <= at)
    return found


def _movable(
    pipeline: Pipeline, record: Lead | Deal, actor: Any, pending: str | None
) -> list[Transition]:
    """The transitions the actor may take now, less the one already waiting for approval (taking
    it again would only be refused; another step withdraws the request, S-33)."""
    available = engine.available_transitions(pipeline, record_view(record), actor)
    return [t for t in available if t.key != pending]


def _next_stages(
    pipeline: Pipeline, transitions: list[Transition], record: Lead | Deal
) -> tuple[str, ...]:
    targets = {engine.target_of(pipeline, t)[0] for t in transitions} - {record.stage}
    return tuple(s.key for s in pipeline.stages if s.key in targets)


@dataclass(frozen=True)
class MoveDecision:
    """What dropping a card on a stage means: the transitions that take the record there now
    (one opens its form; several let the person choose), or why it cannot go there."""

    options: list[TransitionOption]
    # "" when there are options; else "same_stage", "approval_pending" (the step there is waiting
    # for a manager), "not_allowed" (the user may not take the step there) or "no_path" (no
    # transition leads there from the current stage: S-07, no skipping).
    refusal: str
    blocked: tuple[str, ...]  # keys of the transitions there that may not be taken now
    next_stages: tuple[str, ...]  # the stages the user may move the record to now


def move_decision(user: User, record: Lead | Deal, stage: str) -> MoveDecision:
    pipeline = pipeline_of(record)
    pending = pending_approval(record)
    pending_key = pending.transition if pending is not None else None
    actor = actor_of(user)
    next_stages = _next_stages(pipeline, _movable(pipeline, record, actor, pending_key), record)
    if stage == record.stage:
        return MoveDecision([], "same_stage", (), next_stages)
    options = [
        o for o in transition_options(user, record) if o.to_stage == stage and o.key != pending_key
    ]
    if options:
        return MoveDecision(options, "", (), next_stages)
    view = record_view(record)
    leading = [
        t
        for t in pipeline.transitions
        if engine.target_of(pipeline, t)[0] == stage and engine.starts_here(pipeline, t, view)
    ]
    if any(t.key == pending_key for t in leading):
        refusal = "approval_pending"
    elif leading:
        refusal = "not_allowed"
    else:
        refusal = "no_path"
    return MoveDecision([], refusal, tuple(t.key for t in leading), next_stages)
