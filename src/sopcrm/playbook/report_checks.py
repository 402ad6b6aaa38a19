"""Checks of an object's `reports` keys (S-41..S-44): each names a stage, field or SLA the object
defines, of a type the report can read; reported at the position of the key."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sopcrm.core.fieldtypes import FieldType

from .hints import did_you_mean
from .loader import Problem
from .schema import ObjectType, ReportsDef

if TYPE_CHECKING:
    from .checks import _ObjectChecker

_CHOICES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)
# The field keys and the types each may have (None: any type of field).
_FIELDS: dict[str, tuple[FieldType, ...] | None] = {
    "lost_reasons": _CHOICES,
    "competitor": None,
    "reactivation": (FieldType.CHOICE,),
    "product_line": None,
}


def report_problems(checker: "_ObjectChecker") -> Iterator[Problem]:
    reports: ReportsDef = checker.obj.reports
    at = ("reports",)
    if reports != ReportsDef() and checker.object_type not in (ObjectType.LEAD, ObjectType.DEAL):
        yield checker.problem(at, "only leads and deals have reports")
        return
    if reports.quote_stage is not None:
        stages = [s.key for p in checker.obj.pipelines for s in p.stages]
        if reports.quote_stage not in stages:
            yield checker.problem(
                (*at, "quote_stage"),
                f"unknown stage '{reports.quote_stage}'",
                did_you_mean(reports.quote_stage, stages),
            )
    for name, types in _FIELDS.items():
        key = getattr(reports, name)
        if key is None:
            continue
        field = checker.obj.field(key)
        if field is None:
            candidates = [f.key for f in checker.obj.fields if types is None or f.type in types]
            yield checker.problem(
                (*at, name), f"unknown field '{key}'", did_you_mean(key, candidates)
            )
        elif types is not None and field.type not in types:
            wanted = " or ".join(types)
            yield checker.problem(
                (*at, name), f"'{key}' is a {field.type} field; a {wanted} is needed"
            )
    if reports.response_sla is not None and checker.obj.sla(reports.response_sla) is None:
        yield checker.problem(
            (*at, "response_sla"),
            f"unknown SLA '{reports.response_sla}'",
            did_you_mean(reports.response_sla, [s.key for s in checker.obj.slas]),
        )
