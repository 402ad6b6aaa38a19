"""The stage funnel (S-41; docs/reports.md, "Stage funnel").

The cohort is the records created in the period in one pipeline; for each stage, in pipeline
order, how many of them ever entered it, left it forward, or left it for a lost stage, read from
their `stage_entered` / `stage_left` events. Figures are as of now: a cohort keeps converting
after its period. The cohort's events are read once, in one grouped query with a filtered count
per figure, whatever the cohort's size.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils.translation import get_language

from sopcrm.core.models import Event, EventKind, User
from sopcrm.playbook.schema import ObjectType, Pipeline, Stage, StageKind

from ..records.models import Deal, Lead
from .filters import ReportFilter, pipeline_of, report_deals, report_leads
from .stats import Share


@dataclass(frozen=True)
class FunnelStage:
    key: str
    label: str
    kind: StageKind
    entered: int  # cohort records that ever entered the stage
    advanced: int  # ... and left it for a stage that is not a lost stage
    lost: int  # ... and left it for a lost stage
    next_stage: str | None  # the next open or won stage: where the conversion goes
    conversion: Share | None  # entered(next_stage) / entered(this); None past the open stages

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.key,
            "label": self.label,
            "kind": self.kind.value,
            "entered": self.entered,
            "advanced": self.advanced,
            "lost": self.lost,
            "next_stage": self.next_stage,
            "conversion": self.conversion.as_dict() if self.conversion else None,
        }


@dataclass(frozen=True)
class FunnelReport:
    filters: ReportFilter
    object_type: ObjectType
    pipeline: str | None  # None: the object has no pipeline in the active playbook
    pipeline_label: str
    cohort: int  # records created in the period
    stages: tuple[FunnelStage, ...]
    overall: Share  # cohort records that entered a won stage / cohort

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.object_type.value,
            "pipeline": self.pipeline,
            "pipeline_label": self.pipeline_label,
            "cohort": self.cohort,
            "stages": [stage.as_dict() for stage in self.stages],
            "overall": self.overall.as_dict(),
            "filters": self.filters.as_params(),
        }


def staged_records(
    user: User, filters: ReportFilter, object_type: ObjectType
) -> QuerySet[Lead] | QuerySet[Deal]:
    """The leads or deals `user` may see that the filters keep."""
    if object_type == ObjectType.LEAD:
        return report_leads(user, filters)
    return report_deals(user, filters)


def ids_of(records: QuerySet[Lead] | QuerySet[Deal]) -> QuerySet[Any]:
    """The records' ids as a subquery, to restrict the event log to them (`record_id__in`)."""
    return records.values("pk")


def stage_label(stage: Stage) -> str:
    return stage.label.for_language(get_language())


def funnel_report(
    user: User, filters: ReportFilter, *, object_type: ObjectType = ObjectType.DEAL
) -> FunnelReport:
    """The funnel of the records of `object_type` created in the period (see the module)."""
    pipeline = pipeline_of(object_type, filters)
    if pipeline is None:
        return FunnelReport(filters, object_type, None, "", 0, (), Share(0, 0))
    cohort = staged_records(user, filters, object_type).filter(
        filters.in_period("created_at"), pipeline=pipeline.key
    )
    events = Event.objects.filter(record_type=object_type.value, record_id__in=ids_of(cohort))
    entered, left = _moves(events, _keys(pipeline, StageKind.LOST))
    won_keys = _keys(pipeline, StageKind.WON)
    if len(won_keys) == 1:  # the records that entered the won stage, counted already
        won = entered.get(won_keys[0], 0)
    else:  # a record may enter two won stages: counted once
        won = (
            events.filter(kind=EventKind.STAGE_ENTERED, data__stage__in=won_keys)
            .values("record_id")
            .distinct()
            .count()
        )
    rows = []
    for index, stage in enumerate(pipeline.stages):
        following = _next_stage(pipeline, index) if stage.kind == StageKind.OPEN else None
        advanced, lost = left.get(stage.key, (0, 0))
        rows.append(
            FunnelStage(
                key=stage.key,
                label=stage_label(stage),
                kind=stage.kind,
                entered=entered.get(stage.key, 0),
                advanced=advanced,
                lost=lost,
                next_stage=following.key if following else None,
                conversion=(
                    Share(entered.get(following.key, 0), entered.get(stage.key, 0))
                    if following
                    else None
                ),
            )
        )
    size = cohort.count()
    return FunnelReport(
        filters=filters,
        object_type=object_type,
        pipeline=pipeline.key,
        pipeline_label=pipeline.label.for_language(get_language()),
        cohort=size,
        stages=tuple(rows),
        overall=Share(won, size),
    )


def _keys(pipeline: Pipeline, kind: StageKind) -> list[str]:
    return [stage.key for stage in pipeline.stages if stage.kind == kind]


def _next_stage(pipeline: Pipeline, index: int) -> Stage | None:
    """The first open or won stage after the one at `index` (lost stages are not a step on)."""
    return next((s for s in pipeline.stages[index + 1 :] if s.kind != StageKind.LOST), None)


def _moves(
    events: QuerySet[Event], lost_keys: list[str]
) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """From one read of the cohort's stage events: stage key -> distinct records that entered it
    (the first stage: at creation); stage key -> (distinct records that left it forward, ...
    that left it for a lost stage). A record that came back and left the stage both ways
    counts in both."""
    # A leaving event whose `to` is missing counts as forward, as the CASE makes it.
    to_lost = (
        Case(
            When(data__to__in=lost_keys, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        if lost_keys
        else Value(False)
    )
    left = Q(kind=EventKind.STAGE_LEFT)
    rows = (
        events.filter(kind__in=(EventKind.STAGE_ENTERED, EventKind.STAGE_LEFT))
        .annotate(to_lost=to_lost)
        .order_by()
        .values("data__stage")
        .annotate(
            entered=Count("record_id", distinct=True, filter=Q(kind=EventKind.STAGE_ENTERED)),
            advanced=Count("record_id", distinct=True, filter=left & Q(to_lost=False)),
            lost=Count("record_id", distinct=True, filter=left & Q(to_lost=True)),
        )
    )
    entered: dict[str, int] = {}
    moved: dict[str, tuple[int, int]] = {}
    for row in rows:
        stage = str(row["data__stage"])
        if row["entered"]:
            entered[stage] = row["entered"]
        if row["advanced"] or row["lost"]:
            moved[stage] = (row["advanced"], row["lost"])
    return entered, moved
