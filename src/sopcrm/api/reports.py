"""The reports (S-41..S-44) over the API: `GET /api/reports/<name>` with the filters of
docs/reports.md as query parameters. The body is the report's `as_dict()`: the same figures the
dashboards and the monthly export show, with their numerators and denominators and the filters
applied. Bad filters answer 422 naming the parameter; a blank filter is not set."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import User
from sopcrm.crm.reports.best_practice import best_practice_report
from sopcrm.crm.reports.dwell import dwell_report
from sopcrm.crm.reports.filters import ReportFilter, report_filter
from sopcrm.crm.reports.first_response import first_response_report
from sopcrm.crm.reports.funnel import funnel_report
from sopcrm.crm.reports.lost import lost_reasons_report
from sopcrm.crm.reports.quotes import quotes_report
from sopcrm.crm.reports.reps import reps_report
from sopcrm.crm.reports.tasks import tasks_report
from sopcrm.playbook.schema import ObjectType

from .auth import actor
from .errors import responses

router = Router(tags=["reports"])

_FILTERS = [
    ("from", "string", "date", "First day of the period (YYYY-MM-DD); default: the 1st."),
    ("to", "string", "date", "Last day of the period, inclusive; default: today."),
    ("team", "integer", None, "Records owned by this team's members."),
    ("rep", "integer", None, "Records owned by this user."),
    ("pipeline", "string", None, "A pipeline key of the active playbook."),
    ("source", "string", None, "A lead source key; a deal's is its lead's."),
    ("country", "string", None, "Two-letter country code (a deal's account's)."),
    ("product_line", "string", None, "A value of the playbook's reports.product_line field."),
]


def _parameters(*extra: tuple[str, list[str], str]) -> dict[str, Any]:
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            # A blank value (as a dashboard form sends) means the filter is not set.
            "schema": {
                "anyOf": [
                    {"type": kind, **({"format": fmt} if fmt else {})},
                    {"type": "string", "pattern": r"^\s*$"},
                ]
            },
        }
        for name, kind, fmt, description in _FILTERS
    ]
    for name, values, description in extra:
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": {"type": "string", "enum": values},
            }
        )
    return {"parameters": parameters}


def _object(request: HttpRequest) -> ObjectType:
    value = request.GET.get("object", "deal")
    if value not in (ObjectType.DEAL, ObjectType.LEAD):
        raise InvalidInput.single("object", "invalid", _("Choose deal or lead."))
    return ObjectType(value)


def _run(request: HttpRequest, report: Callable[[User, ReportFilter], Any]) -> dict[str, Any]:
    filters = report_filter(request.GET)
    result: dict[str, Any] = report(actor(request), filters).as_dict()
    return result


OBJECT = ("object", ["deal", "lead"], "Deals (default) or leads.")
ANSWERS = {200: dict[str, Any], **responses(401, 422)}


@router.get("/reports/first-response", response=ANSWERS, openapi_extra=_parameters())
def first_response(request: HttpRequest) -> dict[str, Any]:
    """Leads answered within their response clock (S-17): in time, late, not due yet; median and
    p90 response hours; by rep."""
    return _run(request, first_response_report)


@router.get("/reports/funnel", response=ANSWERS, openapi_extra=_parameters(OBJECT))
def funnel(request: HttpRequest) -> dict[str, Any]:
    """The cohort created in the period: entered, advanced and lost per stage, conversions."""
    object_type = _object(request)
    return _run(request, lambda user, f: funnel_report(user, f, object_type=object_type))


@router.get("/reports/dwell", response=ANSWERS, openapi_extra=_parameters(OBJECT))
def dwell(request: HttpRequest) -> dict[str, Any]:
    """Days per stage (median, p75, p90; calendar and business) of the stays that ended in the
    period, and the records over the stage's idle limit now."""
    object_type = _object(request)
    return _run(request, lambda user, f: dwell_report(user, f, object_type=object_type))


@router.get("/reports/quotes", response=ANSWERS, openapi_extra=_parameters())
def quotes(request: HttpRequest) -> dict[str, Any]:
    """Deals first quoted in the period: won, lost, open; follow-ups after the quote."""
    return _run(request, quotes_report)


@router.get("/reports/tasks", response=ANSWERS, openapi_extra=_parameters())
def tasks(request: HttpRequest) -> dict[str, Any]:
    """Tasks due in the period: completion and on-time rates, overdue now; by rep."""
    return _run(request, tasks_report)


@router.get("/reports/lost-reasons", response=ANSWERS, openapi_extra=_parameters())
def lost_reasons(request: HttpRequest) -> dict[str, Any]:
    """Deals lost in the period by reason (a deal may give several), competitor and
    reactivation likelihood."""
    return _run(request, lost_reasons_report)


BY = ("by", ["rep", "team", "source"], "One row per rep (default), team or lead source.")


@router.get("/reports/reps", response=ANSWERS, openapi_extra=_parameters(BY))
def reps(request: HttpRequest) -> dict[str, Any]:
    """Per rep, team or source: leads, deals closed, win rate, follow-ups per deal, response
    time, SLA hit rate, on-time tasks, exceptions."""
    by = request.GET.get("by", "rep")
    if by not in ("rep", "team", "source"):
        raise InvalidInput.single("by", "invalid", _("Choose rep, team or source."))
    return _run(request, lambda user, f: reps_report(user, f, by=by))


@router.get("/reports/best-practice", response=ANSWERS, openapi_extra=_parameters())
def best_practice(request: HttpRequest) -> dict[str, Any]:
    """The top reps by win rate beside the team: follow-up frequency, channels, days per stage;
    the deals won fastest."""
    return _run(request, best_practice_report)
