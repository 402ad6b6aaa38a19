"""The records behind a segment of a report chart (a funnel stage, a dwell-time bar, a lost
reason): the drill-down the dashboards link to. Each uses the same population as its report, so
the list has as many records as the figure counted (tests hold them equal).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Event, EventKind, User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.playbooks import active_version, playbook_for_version

from .filters import ReportFilter, pipeline_of, reports_def
from .funnel import staged_records
from .lost import lost_stage_entered

SEGMENTS = ("entered", "stayed", "lost_reason")


@dataclass(frozen=True)
class Drill:
    """What a drill-down link asks for: the kind of segment and its value (a stage or reason
    key), on leads or deals."""

    segment: str
    value: str
    object_type: ObjectType = ObjectType.DEAL


def drill_from(params: dict[str, Any]) -> Drill:
    """The segment from query parameters; InvalidInput naming the parameter otherwise."""
    segment = str(params.get("segment") or "")
    value = str(params.get("value") or "")
    if segment not in SEGMENTS:
        raise InvalidInput.single(
            "segment", "invalid", _("Choose one of: %s.") % ", ".join(SEGMENTS)
        )
    if not value:
        raise InvalidInput.single("value", "required", _("Say which stage or reason."))
    try:
        object_type = ObjectType(str(params.get("object") or "deal"))
    except ValueError:
        object_type = None
    if object_type not in (ObjectType.DEAL, ObjectType.LEAD):
        raise InvalidInput.single("object", "invalid", _("Choose deal or lead."))
    if segment == "lost_reason" and object_type != ObjectType.DEAL:
        raise InvalidInput.single("object", "invalid", _("Lost reasons are on deals."))
    return Drill(segment, value, object_type)


def drill_records(user: User, filters: ReportFilter, drill: Drill) -> QuerySet[Any]:
    """The visible records behind the segment, newest first."""
    records: QuerySet[Any] = staged_records(user, filters, drill.object_type)
    events = Event.objects.filter(
        record_type=drill.object_type.value, record_id__in=records.values("pk")
    )
    if drill.segment == "entered":
        # The funnel: the period's cohort that ever entered the stage.
        pipeline = pipeline_of(drill.object_type, filters)
        cohort = records.filter(
            filters.in_period("created_at"), pipeline=pipeline.key if pipeline else ""
        )
        ids = events.filter(
            kind=EventKind.STAGE_ENTERED, data__stage=drill.value, record_id__in=cohort.values("pk")
        ).values("record_id")
    elif drill.segment == "stayed":
        # Dwell time: the stays in the stage that ended in the period.
        ids = events.filter(
            filters.in_period("occurred_at"), kind=EventKind.STAGE_LEFT, data__stage=drill.value
        ).values("record_id")
    else:
        return _lost_with_reason(user, filters, drill.value, records)
    return records.filter(pk__in=ids).order_by("-created_at", "-pk")


def _lost_with_reason(
    user: User, filters: ReportFilter, reason: str, deals: QuerySet[Any]
) -> QuerySet[Any]:
    """The deals lost in the period with `reason` among their lost reasons."""
    field = reports_def(ObjectType.DEAL).lost_reasons
    if field is None:
        return deals.none()
    obj = playbook_for_version(active_version().pk).object(ObjectType.DEAL)
    lost_ids = (
        Event.objects.filter(
            filters.in_period("occurred_at"),
            lost_stage_entered(obj),  # the population of the lost-reasons report
            record_type=ObjectType.DEAL.value,
            kind=EventKind.STAGE_ENTERED,
            record_id__in=deals.values("pk"),
        )
        .order_by()
        .values_list("record_id", flat=True)
        .distinct()
    )
    # A JSON list's membership is tested here: SQLite and PostgreSQL disagree on JSON contains.
    chosen = [
        pk
        for pk, value in deals.filter(pk__in=list(lost_ids)).values_list("pk", f"custom__{field}")
        if value == reason or (isinstance(value, list) and reason in value)
    ]
    return deals.filter(pk__in=chosen).order_by("-created_at", "-pk")
