"""The stage funnel (S-41; docs/reports.md, "Stage funnel").

The cohort is the records created in the period in one pipeline; for each stage, in pipeline
order, how many of them ever entered it, left it forward, or left it for a lost stage, read from
their `stage_entered` / `stage_left` events. Figures are as of now: a cohort keeps converting
after its period. Each figure is one grouped query over the cohort's events, whatever its size.
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
    entered = _entered(events)
    left = _left(events, _keys(pipeline, StageKind.LOST))
    won = (
        events.filter(kind=EventKind.STAGE_ENTERED, data__stage__in=_keys(pipeline, StageKind.WON))
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


def _entered(events: QuerySet[Event]) -> dict[str, int]:
    """Stage key -> distinct records that entered it (the first stage: at creation)."""
    rows = (
        events.filter(kind=EventKind.STAGE_ENTERED)
        .values("data__stage")
        .annotate(records=Count("record_id", distinct=True))
    )
    return {str(row["data__stage"]): row["records"] for row in rows}


def _left(events: QuerySet[Event], lost_keys: list[str]) -> dict[str, tuple[int, int]]:
    """Stage key -> (distinct records that left it forward, ... that left it for a lost stage).
    A record that came back and left the stage both ways counts in both."""
    to_lost = (
        Case(
            When(data__to__in=lost_keys, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        if lost_keys
        else Value(False)
    )
    rows = (
        events.filter(kind=EventKind.STAGE_LEFT)
        .annotate(to_lost=to_lost)
        .values("data__stage")
        .annotate(
            advanced=Count("record_id", distinct=True, filter=Q(to_lost=False)),
            lost=Count("record_id", distinct=True, filter=Q(to_lost=True)),
        )
    )
    return {str(row["data__stage"]): (row["advanced"], row["lost"]) for row in rows}
