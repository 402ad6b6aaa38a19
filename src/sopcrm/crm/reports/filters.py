"""The filters every report takes (docs/reports.md, "Filters") and the records they select.

Every report starts from the permission-aware selectors, so it counts only what the viewer may
see, then narrows by team, rep, pipeline, source, country and product line. Parsing refuses bad
input with the parameter's name and the rule, and nothing is read before the filters are valid.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.models import User
from sopcrm.playbook.schema import ObjectType, Pipeline, ReportsDef
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..records import selectors
from ..records.models import ActivityKind, ActivityStatus, Deal, Direction, Lead
from ..records.services.slas import CONTACT_KINDS

# A longer period is almost always a typo (2062 for 2026) and would read the whole log.
MAX_PERIOD = timedelta(days=3 * 366)
PARAMETERS = ("from", "to", "team", "rep", "pipeline", "source", "country", "product_line")


@dataclass(frozen=True)
class ReportFilter:
    start: date  # inclusive
    end: date  # inclusive
    team: int | None = None
    rep: int | None = None
    pipeline: str | None = None
    source: str | None = None
    country: str | None = None
    product_line: str | None = None

    @property
    def start_at(self) -> datetime:
        """The first moment of the period, in the server's time zone."""
        return timezone.make_aware(datetime.combine(self.start, time(0)))

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time(0)))

    def in_period(self, path: str) -> Q:
        """`path` (a datetime field) falls in the period."""
        return Q(**{f"{path}__gte": self.start_at, f"{path}__lt": self.end_at})

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (what a drill-down link carries)."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for name in PARAMETERS[2:]:
            value = getattr(self, name)
            if value not in (None, ""):
                params[name] = str(value)
        return params

    def with_period(self, start: date, end: date) -> "ReportFilter":
        return replace(self, start=start, end=end)


def month_period(month: str) -> tuple[date, date]:
    """`2026-10` -> (2026-10-01, 2026-10-31); InvalidInput naming `month` otherwise."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput.single(
            "month", "invalid", _("Give the month as YYYY-MM, e.g. 2026-10.")
        ) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def report_filter(params: Mapping[str, Any], *, today: date | None = None) -> ReportFilter:
    """The filters from query parameters (web, API) or options (CLI). Every problem is reported
    at once, by parameter name. Default period: the current month up to today."""
    today = today or timezone.localdate()
    problems: list[FieldProblem] = []

    def text(name: str) -> str:
        value = params.get(name)
        value = "" if value is None else str(value).strip()
        if "\x00" in value:  # PostgreSQL cannot compare text with NUL in it
            problems.append(
                FieldProblem(name, "invalid", _("Text may not contain NUL characters."))
            )
            return ""
        return value

    def day(name: str, default: date) -> date:
        raw = text(name)
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            problems.append(
                FieldProblem(name, "invalid", _("Give a date as YYYY-MM-DD, e.g. 2026-10-01."))
            )
            return default

    def number(name: str) -> int | None:
        raw = text(name)
        if not raw:
            return None
        # isdigit() alone lets "²" through, which int() refuses; ids fit in 64 bits.
        if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**63:
            problems.append(FieldProblem(name, "invalid", _("Give the id as a whole number.")))
            return None
        return int(raw)

    start = day("from", today.replace(day=1))
    end = day("to", today)
    if not problems:
        if end < start:
            problems.append(
                FieldProblem("to", "before_start", _("The period ends before it starts."))
            )
        elif end - start > MAX_PERIOD:
            problems.append(
                FieldProblem("to", "too_long", _("A report covers at most three years."))
            )
    team, rep = number("team"), number("rep")
    country = text("country").upper()
    if country and (len(country) != 2 or not country.isalpha()):
        problems.append(
            FieldProblem("country", "invalid", _("Give a two-letter country code, e.g. DE."))
        )
    pipeline, source, product_line = text("pipeline"), text("source"), text("product_line")
    if problems:
        raise InvalidInput(problems)
    return ReportFilter(
        start=start,
        end=end,
        team=team,
        rep=rep,
        pipeline=pipeline or None,
        source=source or None,
        country=country or None,
        product_line=product_line or None,
    )


def customer_contact() -> Q:
    """A follow-up: a completed outbound contact with the customer (a logged call, email,
    meeting or message, or a task done through a channel), as a filter on activities. The rule
    of services/slas.py's `is_customer_contact`, which the response clocks stop on."""
    return Q(status=ActivityStatus.DONE, direction=Direction.OUTBOUND) & (
        Q(kind__in=CONTACT_KINDS) | (Q(kind=ActivityKind.TASK) & ~Q(channel=""))
    )


def reports_def(object_type: ObjectType) -> ReportsDef:
    """What the active playbook names for the reports on `object_type`."""
    return playbook_for_version(active_version().pk).object(object_type).reports


def pipeline_of(object_type: ObjectType, filters: ReportFilter) -> Pipeline | None:
    """The filtered pipeline of the active playbook, else the object's default one."""
    obj = playbook_for_version(active_version().pk).object(object_type)
    return (obj.pipeline(filters.pipeline) if filters.pipeline else None) or obj.default_pipeline


def _owner_filters(filters: ReportFilter, owner: str = "owner") -> Q:
    condition = Q()
    if filters.team is not None:
        condition &= Q(**{f"{owner}__team_id": filters.team})
    if filters.rep is not None:
        condition &= Q(**{f"{owner}_id": filters.rep})
    return condition


def report_leads(user: User, filters: ReportFilter) -> QuerySet[Lead]:
    """The leads `user` may see that the filters keep (the period is each report's own)."""
    rows = selectors.lead_list(user).filter(_owner_filters(filters))
    if filters.pipeline:
        rows = rows.filter(pipeline=filters.pipeline)
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.country:
        rows = rows.filter(country=filters.country)
    if filters.product_line:
        field = reports_def(ObjectType.DEAL).product_line
        rows = (
            rows.filter(pk__in=[])
            if field is None
            else rows.filter(
                pk__in=Deal.objects.filter(**{f"custom__{field}": filters.product_line}).values(
                    "lead_id"
                )
            )
        )
    return rows


def report_deals(user: User, filters: ReportFilter) -> QuerySet[Deal]:
    """The deals `user` may see that the filters keep (the period is each report's own)."""
    rows = selectors.deal_list(user).filter(_owner_filters(filters))
    if filters.pipeline:
        rows = rows.filter(pipeline=filters.pipeline)
    if filters.source:
        rows = rows.filter(lead__source=filters.source)
    if filters.country:
        rows = rows.filter(account__country=filters.country)
    if filters.product_line:
        field = reports_def(ObjectType.DEAL).product_line
        rows = (
            rows.filter(pk__in=[])
            if field is None
            else rows.filter(**{f"custom__{field}": filters.product_line})
        )
    return rows
