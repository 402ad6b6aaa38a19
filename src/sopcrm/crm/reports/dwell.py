"""Stage dwell time (S-23, S-41; docs/reports.md, "Stage dwell time").

The population is the stays in a stage that ended in the period: the `stage_left` events of the
visible, filtered records. Each carries the stay in calendar days (`days_in_stage`) and in
business days (`business_days`, working days of the record's playbook calendar). Beside the
spread of each stage: the open records in it now for longer than its `idle_days`, whatever the
period, counted the way the board marks a card idle.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import get_language

from sopcrm.core.calendar import BusinessCalendar
from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, User
from sopcrm.playbook.schema import ObjectType, Pipeline, StageKind
from sopcrm.process.engine import calendar_for
from sopcrm.process.playbooks import playbook_for_version

from ..records.models import Deal, Lead
from .filters import ReportFilter, pipeline_of
from .funnel import ids_of, stage_label, staged_records
from .stats import percentile, rounded


@dataclass(frozen=True)
class Spread:
    """Median, p75 and p90 (nearest rank) of durations in days, one decimal; None for none."""

    median: float | None
    p75: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        return cls(
            rounded(percentile(values, 50)),
            rounded(percentile(values, 75)),
            rounded(percentile(values, 90)),
        )

    def as_dict(self) -> dict[str, float | None]:
        return {"median": self.median, "p75": self.p75, "p90": self.p90}


NO_SPREAD = Spread(None, None, None)


@dataclass(frozen=True)
class DwellStage:
    key: str
    label: str
    stays: int  # stays in the stage that ended in the period
    days: Spread  # calendar days
    business_days: Spread  # working days of the playbook's calendar
    idle_days: int | None  # the stage's idle limit; None: the stage has none
    over_idle_now: int | None  # open records in the stage past the limit now

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.key,
            "label": self.label,
            "stays": self.stays,
            "days": self.days.as_dict(),
            "business_days": self.business_days.as_dict(),
            "idle_days": self.idle_days,
            "over_idle_now": self.over_idle_now,
        }


@dataclass(frozen=True)
class DwellReport:
    filters: ReportFilter
    object_type: ObjectType
    pipeline: str | None
    pipeline_label: str
    stages: tuple[DwellStage, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.object_type.value,
            "pipeline": self.pipeline,
            "pipeline_label": self.pipeline_label,
            "stages": [stage.as_dict() for stage in self.stages],
            "filters": self.filters.as_params(),
        }


@dataclass(frozen=True)
class _Stay:
    days: float
    business_days: float


def dwell_report(
    user: User, filters: ReportFilter, *, object_type: ObjectType = ObjectType.DEAL
) -> DwellReport:
    """How long the stays that ended in the period lasted, per stage of the pipeline."""
    pipeline = pipeline_of(object_type, filters)
    if pipeline is None:
        return DwellReport(filters, object_type, None, "", ())
    records = staged_records(user, filters, object_type).filter(pipeline=pipeline.key)
    spreads = _spreads_in_sql(records, object_type, filters)
    if spreads is None:  # SQLite, or stays from before business days were recorded
        spreads = {
            key: (
                len(ended),
                Spread.of([s.days for s in ended]),
                Spread.of([s.business_days for s in ended]),
            )
            for key, ended in _stays(records, object_type, filters).items()
        }
    over_idle = _over_idle_now(records, pipeline)
    rows = []
    for stage in pipeline.stages:
        ended, days, business_days = spreads.get(stage.key, (0, NO_SPREAD, NO_SPREAD))
        # A closed stage is only left when a record is reopened: shown when that happened.
        if stage.kind != StageKind.OPEN and not ended:
            continue
        rows.append(
            DwellStage(
                key=stage.key,
                label=stage_label(stage),
                stays=ended,
                days=days,
                business_days=business_days,
                idle_days=stage.idle_days if stage.kind == StageKind.OPEN else None,
                over_idle_now=(
                    over_idle.get(stage.key, 0)
                    if stage.kind == StageKind.OPEN and stage.idle_days
                    else None
                ),
            )
        )
    return DwellReport(
        filters=filters,
        object_type=object_type,
        pipeline=pipeline.key,
        pipeline_label=pipeline.label.for_language(get_language()),
        stages=tuple(rows),
    )


class _JsonNumber(Func):
    """A number in a JSON column's key as float8 on PostgreSQL; NULL when it is not a number
    (absent, text), as the Python path skips it."""

    output_field = FloatField()

    def __init__(self, column: str, key: str) -> None:
        assert key.replace("_", "").isalnum(), key  # inlined in the SQL below
        super().__init__(F(column))
        self.template = (
            f"CASE WHEN jsonb_typeof(%(expressions)s -> '{key}') = 'number'"
            f" THEN (%(expressions)s ->> '{key}')::float8 END"
        )


class _PercentileDisc(Aggregate):
    """PostgreSQL's percentile_disc: the value at sorted place ceil(share * n), 1 at least: the
    nearest rank of stats.percentile, computed the same way in double precision."""

    output_field = FloatField()

    def __init__(self, expression: Any, share: float) -> None:
        super().__init__(expression)
        self.template = f"percentile_disc({share!r}) WITHIN GROUP (ORDER BY %(expressions)s)"


SHARES = (0.5, 0.75, 0.9)  # median, p75, p90, as stats.percentile's p / 100


def _spreads_in_sql(
    records: QuerySet[Lead] | QuerySet[Deal], object_type: ObjectType, filters: ReportFilter
) -> dict[str, tuple[int, Spread, Spread]] | None:
    """On PostgreSQL, stage key -> (stays, days, business days) of the stays that ended in the
    period, from one grouped query with percentile_disc: a few rows instead of every stay. None
    on SQLite (no ordered-set aggregates) or when a stay lacks its business days (computed in
    Python from the calendar by `_stays`)."""
    if connection.vendor != "postgresql":
        return None
    aggregates: dict[str, Any] = {
        "stays": Count("pk"),
        "without_business": Count("pk", filter=Q(business__isnull=True)),
    }
    for column in ("days", "business"):
        for share in SHARES:
            aggregates[f"{column}_{share}"] = _PercentileDisc(F(column), share)
    rows: Any = (  # Any: the type checker does not follow the aggregates built above
        Event.objects.filter(
            filters.in_period("occurred_at"),
            record_type=object_type.value,
            kind=EventKind.STAGE_LEFT,
            record_id__in=ids_of(records),
        )
        .annotate(
            days=_JsonNumber("data", "days_in_stage"),
            business=_JsonNumber("data", "business_days"),
            stage=KeyTextTransform("stage", "data"),
        )
        .filter(days__isnull=False)
        .order_by()
        .values("stage")
        .annotate(**aggregates)
    )
    spreads = {}
    for row in rows:
        if row["without_business"]:
            return None
        days, business = (
            Spread(*(rounded(row[f"{column}_{share}"]) for share in SHARES))
            for column in ("days", "business")
        )
        spreads[str(row["stage"])] = (row["stays"], days, business)
    return spreads


def _stays(
    records: QuerySet[Lead] | QuerySet[Deal], object_type: ObjectType, filters: ReportFilter
) -> dict[str, list[_Stay]]:
    """Stage key -> the stays that ended in the period. Events written before business days
    were recorded get them computed from the stay's start (left - days_in_stage) on the
    calendar of the record's playbook version; events without days_in_stage are left out."""
    left = Event.objects.filter(
        filters.in_period("occurred_at"),
        record_type=object_type.value,
        kind=EventKind.STAGE_LEFT,
        record_id__in=ids_of(records),
    )
    rows = left.order_by().values_list(
        "record_id", "occurred_at", "data__stage", "data__days_in_stage", "data__business_days"
    )
    stays: dict[str, list[_Stay]] = defaultdict(list)
    missing = []
    for record_id, left_at, stage, days, business_days in rows:
        if not isinstance(days, int | float):
            continue
        if isinstance(business_days, int | float):
            stays[str(stage)].append(_Stay(float(days), float(business_days)))
        else:
            missing.append((record_id, left_at, str(stage), float(days)))
    if missing:
        calendars = _calendars(records.filter(pk__in=left.values("record_id")))
        for record_id, left_at, stage, days in missing:
            entered_at = left_at - timedelta(days=days)
            worked = calendars[record_id].working_days_between(entered_at, left_at)
            stays[stage].append(_Stay(days, worked))
    return stays


def _calendars(records: QuerySet[Lead] | QuerySet[Deal]) -> dict[int, BusinessCalendar]:
    """Record id -> the business calendar of the playbook version it runs under."""
    versions = records.order_by().values_list("pk", "playbook_version_id")
    return {pk: calendar_for(playbook_for_version(version).calendar) for pk, version in versions}


def _over_idle_now(records: QuerySet[Lead] | QuerySet[Deal], pipeline: Pipeline) -> dict[str, int]:
    """Open stage key -> records in it now for longer than its idle_days (calendar days)."""
    at = now()
    limits = [
        Q(stage=stage.key, stage_entered_at__lt=at - timedelta(days=stage.idle_days))
        for stage in pipeline.stages
        if stage.kind == StageKind.OPEN and stage.idle_days
    ]
    if not limits:
        return {}
    past_limit = limits[0]
    for limit in limits[1:]:
        past_limit |= limit
    rows = records.filter(past_limit).order_by().values("stage").annotate(n=Count("pk"))
    return {row["stage"]: row["n"] for row in rows}
