"""Lost reasons (S-36, S-40, S-41; docs/reports.md, "Lost reasons").

The population is the deals that entered a lost stage in the period (a deal lost twice in it
counts once). Each part reads only the field the playbook's `reports` section names for it:
the reasons (`lost_reasons`, a choice or multi-choice field: each reason counts once per deal,
so the shares add up to more than 100 %), the competitor (`competitor`, free text: trimmed,
blank as "unknown") and the reactivation likelihood (`reactivation`, a choice field). A part
whose field is not named, or that the viewer's role may not see, says it is not set up.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sopcrm.core.models import Event, EventKind, User
from sopcrm.playbook.schema import FieldDef, ObjectDef, ObjectType, StageKind
from sopcrm.process.fields import role_of
from sopcrm.process.playbooks import active_version, playbook_for_version

from .filters import ReportFilter, report_deals, reports_def
from .stats import Share

UNKNOWN = "unknown"
Order = Callable[[tuple[str, int]], Any]  # a sort key on (value, count) pairs


@dataclass(frozen=True)
class LostRow:
    """One value (a reason, a competitor, a likelihood) and the lost deals that have it."""

    key: str
    label: str
    share: Share  # deals with this value / lost deals

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "share": self.share.as_dict()}


@dataclass(frozen=True)
class LostReasonsReport:
    filters: ReportFilter
    lost: int  # deals that entered a lost stage in the period
    reasons_configured: bool
    reasons: tuple[LostRow, ...]  # by count, then the field's option order
    without_reason: int  # lost deals with no reason recorded (e.g. moved there by exception)
    competitors_configured: bool
    competitors: tuple[LostRow, ...]  # by count, then name; blank as "unknown"
    reactivation_configured: bool
    reactivation: tuple[LostRow, ...]  # in the field's option order; blank as "unknown", last

    def top(self, n: int) -> tuple[LostRow, ...]:
        """The `n` most frequent reasons (the monthly review shows three)."""
        return self.reasons[:n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lost": self.lost,
            "reasons": {
                "configured": self.reasons_configured,
                "rows": [row.as_dict() for row in self.reasons],
                "without_reason": self.without_reason,
            },
            "competitors": {
                "configured": self.competitors_configured,
                "rows": [row.as_dict() for row in self.competitors],
            },
            "reactivation": {
                "configured": self.reactivation_configured,
                "rows": [row.as_dict() for row in self.reactivation],
            },
            "filters": self.filters.as_params(),
        }


def lost_reasons_report(user: User, filters: ReportFilter) -> LostReasonsReport:
    """Why the deals lost in the period were lost, to whom, and whether they may come back."""
    obj = playbook_for_version(active_version().pk).object(ObjectType.DEAL)
    names = reports_def(ObjectType.DEAL)
    reasons_field = _readable(user, obj, names.lost_reasons)
    competitor_field = _readable(user, obj, names.competitor)
    reactivation_field = _readable(user, obj, names.reactivation)
    fields = [f for f in (reasons_field, competitor_field, reactivation_field) if f is not None]

    deals = report_deals(user, filters)
    lost_deals = deals.filter(
        pk__in=Event.objects.filter(
            filters.in_period("occurred_at"),
            lost_stage_entered(obj),
            record_type=ObjectType.DEAL.value,
            kind=EventKind.STAGE_ENTERED,
        ).values("record_id")
    )
    # Only the named fields are read, never the whole custom column; a deal lost twice in the
    # period is one row.
    rows = list(lost_deals.order_by().values_list("pk", *(f"custom__{f.key}" for f in fields)))
    values: dict[str, list[Any]] = {
        field.key: [row[index] for row in rows] for index, field in enumerate(fields, start=1)
    }
    lost = len(rows)

    reasons: tuple[LostRow, ...] = ()
    without_reason = 0
    if reasons_field is not None:
        counts: Counter[str] = Counter()
        for value in values[reasons_field.key]:
            chosen = _chosen(value)
            counts.update(chosen)
            without_reason += not chosen
        reasons = _rows(counts, lost, reasons_field, _by_count_then(_option_order(reasons_field)))
    competitors: tuple[LostRow, ...] = ()
    if competitor_field is not None:
        names_count = Counter(_competitor(value) for value in values[competitor_field.key])
        competitors = _rows(names_count, lost, None, _by_count_then(_by_name))
    likelihoods: tuple[LostRow, ...] = ()
    if reactivation_field is not None:
        likely = Counter(
            (_chosen(value) or [UNKNOWN])[0] for value in values[reactivation_field.key]
        )
        likelihoods = _rows(
            likely, lost, reactivation_field, _by_value(_option_order(reactivation_field))
        )
    return LostReasonsReport(
        filters=filters,
        lost=lost,
        reasons_configured=reasons_field is not None,
        reasons=reasons,
        without_reason=without_reason,
        competitors_configured=competitor_field is not None,
        competitors=competitors,
        reactivation_configured=reactivation_field is not None,
        reactivation=likelihoods,
    )


def _readable(user: User, obj: ObjectDef, key: str | None) -> FieldDef | None:
    """The field the playbook names, if it exists and the viewer's role may see it."""
    field = obj.field(key) if key else None
    return field if field is not None and role_of(user) in field.visible_to else None


def lost_stage_entered(obj: ObjectDef) -> Q:
    """A stage event into a lost stage of its pipeline."""
    conditions = [
        Q(data__pipeline=pipeline.key, data__stage__in=lost)
        for pipeline in obj.pipelines
        if (lost := [s.key for s in pipeline.stages if s.kind == StageKind.LOST])
    ]
    return reduce(or_, conditions) if conditions else Q(pk__in=[])


def _chosen(value: Any) -> list[str]:
    """The option keys of a choice (a string) or multi-choice (a list) value, each once."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return list(dict.fromkeys(v for v in value if isinstance(v, str) and v))
    return []


def _competitor(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    return name or UNKNOWN


def _option_order(field: FieldDef) -> Callable[[str], Any]:
    """Sort key on a value: the field's option order; values it no longer offers after, by
    key; "unknown" last."""
    position = {key: index for index, key in enumerate(field.option_keys)}
    return lambda key: (key == UNKNOWN, position.get(key, len(position)), key)


def _by_count_then(then: Callable[[str], Any]) -> Order:
    return lambda item: (-item[1], then(item[0]))


def _by_value(order: Callable[[str], Any]) -> Order:
    return lambda item: order(item[0])


def _by_name(key: str) -> Any:
    return (key == UNKNOWN, key.casefold(), key)


def _rows(
    counts: Counter[str], lost: int, field: FieldDef | None, order: Order
) -> tuple[LostRow, ...]:
    """Rows of the counted values in `order`, labelled by the field's options (free text: as
    written)."""
    language = get_language()
    rows = []
    for key, count in sorted(counts.items(), key=order):
        if key == UNKNOWN:
            label = _("Unknown")
        elif field is not None:
            label = field.option_label(key, language)
        else:
            label = key
        rows.append(LostRow(key, label, Share(count, lost)))
    return tuple(rows)
