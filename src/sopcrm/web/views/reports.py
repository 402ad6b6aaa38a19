"""The report dashboards (S-41..S-44): the manager's (`/reports/`: the team's process, where it
leaks) and the rep's (`/reports/me/`: their own figures). Every figure comes from the report
functions of crm/reports (the API and the monthly export call the same ones) through their
`as_dict()`, so the page, the API and the export cannot disagree. Each chart has its numbers in
a table beside it, and a click on a segment opens the records behind it (`/reports/records/`).
"""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Team, User
from sopcrm.crm.records.models import LeadSource
from sopcrm.crm.reports.best_practice import best_practice_report
from sopcrm.crm.reports.drill import drill_from, drill_records
from sopcrm.crm.reports.dwell import dwell_report
from sopcrm.crm.reports.filters import ReportFilter, report_filter
from sopcrm.crm.reports.first_response import first_response_report, response_rates
from sopcrm.crm.reports.funnel import funnel_report
from sopcrm.crm.reports.lost import lost_reasons_report
from sopcrm.crm.reports.monthly import ExampleNotFound, monthly_review, monthly_review_xlsx
from sopcrm.crm.reports.quotes import quotes_report
from sopcrm.crm.reports.reps import reps_report, visible_reps
from sopcrm.crm.reports.tasks import on_time_rates, tasks_report
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..http import WebRequest
from .common import language, record_url
from .record_pages import stage_text

# Trend lines: a point per week up to this many weeks, else a point per month.
WEEKLY_UP_TO = timedelta(weeks=13)
MAX_POINTS = 12
DRILL_LIMIT = 200


def _filters_or_errors(request: WebRequest, **fixed: str) -> tuple[ReportFilter, dict[str, str]]:
    """The filters of the query string; on bad input the defaults, with the messages by
    parameter (shown beside the fields, the figures are of the default period)."""
    params = {**request.GET.dict(), **fixed}
    try:
        return report_filter(params), {}
    except InvalidInput as error:
        return report_filter(fixed), {p.field: p.message for p in error.problems}


def _periods(filters: ReportFilter) -> list[tuple[date, date]]:
    """The trend's points: weeks (Monday to Sunday, cut to the period) or months."""
    points: list[tuple[date, date]] = []
    if filters.end - filters.start <= WEEKLY_UP_TO:
        start = filters.start
        while start <= filters.end:
            end = min(start + timedelta(days=6 - start.weekday()), filters.end)
            points.append((start, end))
            start = end + timedelta(days=1)
    else:
        start = filters.start
        while start <= filters.end:
            following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            end = min(following - timedelta(days=1), filters.end)
            points.append((start, end))
            start = end + timedelta(days=1)
    return points[-MAX_POINTS:]


def _url(name: str, filters: ReportFilter, **extra: str) -> str:
    return f"{reverse(name)}?{urlencode({**filters.as_params(), **extra})}"


def _chart(
    key: str,
    kind: str,
    categories: list[str],
    series: list[dict[str, Any]],
    *,
    unit: str = "",
    links: Sequence[str | None] | None = None,
    horizontal: bool = False,
) -> dict[str, Any]:
    return {
        "id": f"chart-{key}",
        "spec": {
            "kind": kind,
            "categories": categories,
            "series": series,
            "unit": unit,
            "links": list(links or []),
            "horizontal": horizontal,
        },
    }


def _funnel_chart(funnel: dict[str, Any], filters: ReportFilter, drill: str) -> dict[str, Any]:
    stages = [s for s in funnel["stages"] if s["kind"] != "lost"]
    return _chart(
        "funnel",
        "funnel",
        [s["label"] for s in stages],
        [{"name": _("Entered"), "values": [s["entered"] for s in stages]}],
        links=[_url(drill, filters, segment="entered", value=s["stage"]) for s in stages],
    )


def _dwell_chart(dwell: dict[str, Any], filters: ReportFilter, drill: str) -> dict[str, Any]:
    stages = [s for s in dwell["stages"] if s["stays"]]
    links: list[str | None] = [
        _url(drill, filters, segment="stayed", value=s["stage"]) for s in stages
    ]
    return _chart(
        "dwell",
        "bar",
        [s["label"] for s in stages],
        [
            {"name": name, "values": [s["business_days"][key] for s in stages], "links": links}
            for key, name in (("median", _("Median")), ("p75", "p75"), ("p90", "p90"))
        ],
        unit=_("business days"),
    )


def _lost_chart(lost: dict[str, Any], filters: ReportFilter, drill: str) -> dict[str, Any]:
    rows = lost["reasons"]["rows"]
    return _chart(
        "lost",
        "bar",
        [r["label"] for r in rows],
        [{"name": _("Lost deals"), "values": [r["share"]["part"] for r in rows]}],
        links=[_url(drill, filters, segment="lost_reason", value=r["key"]) for r in rows],
        horizontal=True,
    )


def _trend(user: User, filters: ReportFilter, page: str) -> dict[str, Any]:
    """The response rate and the on-time task rate per week (or month) of the period; a point
    opens the dashboard for that week."""
    parts = [filters.with_period(start, end) for start, end in _periods(filters)]
    labels = [
        part.start.strftime("%m-%d")
        if part.end - part.start < timedelta(days=27)
        else part.start.strftime("%Y-%m")
        for part in parts
    ]
    # One grouped query per line (a point per period), not two reports per point.
    response = [rate.percent for rate in response_rates(user, parts)]
    on_time = [rate.percent for rate in on_time_rates(user, parts)]
    links = [_url(page, part) for part in parts]
    chart = _chart(
        "trend",
        "line",
        labels,
        [
            {"name": _("Answered in time"), "values": response},
            {"name": _("Tasks on time"), "values": on_time},
        ],
        unit="%",
        links=links,
    )
    chart["rows"] = list(zip(labels, response, on_time, strict=True))
    return chart


def _choices(user: User) -> dict[str, Any]:
    """The filter form's choices, limited to what the user may see."""
    playbook = playbook_for_version(active_version().pk)
    lang = language()
    return {
        "teams": list(Team.objects.all()) if user.is_admin else [],
        "reps": list(visible_reps(user, report_filter({})))
        if (user.is_manager or user.is_admin)
        else [],
        "pipelines": [
            (p.key, p.label.for_language(lang)) for p in playbook.object("deal").pipelines
        ],
        "sources": LeadSource.choices,
    }


def _dashboard(request: WebRequest, *, mine: bool) -> HttpResponse:
    user = request.user
    fixed = {"rep": str(user.pk)} if mine else {}
    filters, errors = _filters_or_errors(request, **fixed)
    page = "reports_me" if mine else "reports"
    drill = "reports_records"
    first_response = first_response_report(user, filters).as_dict()
    tasks = tasks_report(user, filters).as_dict()
    funnel = funnel_report(user, filters).as_dict()
    dwell = dwell_report(user, filters).as_dict()
    quotes = quotes_report(user, filters).as_dict()
    lost = lost_reasons_report(user, filters).as_dict()
    reps = reps_report(user, filters).as_dict()
    context: dict[str, Any] = {
        "title": _("My figures") if mine else _("Reports"),
        "mine": mine,
        "filters": filters,
        "params": filters.as_params(),
        "errors": errors,
        "choices": _choices(user),
        "first_response": first_response,
        "tasks": tasks,
        "funnel": funnel,
        "dwell": dwell,
        "quotes": quotes,
        "lost": lost,
        "reps": reps,
        "charts": {
            "funnel": _funnel_chart(funnel, filters, drill),
            "dwell": _dwell_chart(dwell, filters, drill),
            "lost": _lost_chart(lost, filters, drill),
            "trend": _trend(user, filters, page),
        },
        "month": filters.end.strftime("%Y-%m"),
    }
    if not mine:
        context["by_team"] = (
            reps_report(user, filters, by="team").as_dict() if user.is_admin else None
        )
        context["by_source"] = reps_report(user, filters, by="source").as_dict()
        context["best"] = best_practice_report(user, filters).as_dict()
    return render(request, "web/reports/dashboard.html", context)


@login_required
def reports_page(request: WebRequest) -> HttpResponse:
    """The manager's dashboard; a rep is taken to their own."""
    if not (request.user.is_manager or request.user.is_admin):
        query = request.GET.urlencode()
        return redirect(f"{reverse('reports_me')}{'?' + query if query else ''}")
    return _dashboard(request, mine=False)


@login_required
def reports_me_page(request: WebRequest) -> HttpResponse:
    return _dashboard(request, mine=True)


@login_required
def reports_records(request: WebRequest) -> HttpResponse:
    """The records behind a chart segment, with the filters they were counted under."""
    filters, errors = _filters_or_errors(request)
    try:
        drill = drill_from(request.GET.dict())
    except InvalidInput as error:
        errors.update({p.field: p.message for p in error.problems})
        drill = None
    if drill is None or errors:
        return render(
            request,
            "web/reports/records.html",
            {"title": _("Records behind a figure"), "errors": errors, "rows": [], "total": 0},
            status=400,
        )
    rows = drill_records(request.user, filters, drill)
    total = rows.count()
    return render(
        request,
        "web/reports/records.html",
        {
            "title": _("Records behind a figure"),
            "errors": {},
            "drill": drill,
            "filters": filters,
            "total": total,
            "rows": [
                {
                    "record": record,
                    "url": record_url(drill.object_type.value, record.pk),
                    "stage": stage_text(record),
                }
                for record in rows[:DRILL_LIMIT]
            ],
            "limit": DRILL_LIMIT,
            "back": _url("reports", filters),
        },
    )


@login_required
def reports_monthly(request: WebRequest) -> HttpResponse:
    """The monthly review (S-42) as an XLSX download: the same workbook as `sopcrm report
    monthly`. `month` (default: this one), `team`, and `won` / `lost` to choose the examples. Bad
    input answers 400 with the message naming the parameter, and nothing is built."""
    month = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    try:
        numbers = {name: _whole_number(request, name) for name in ("team", "won", "lost")}
        review = monthly_review(request.user, month, **numbers)
    except InvalidInput as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    except ExampleNotFound as error:
        message = f"{error.field}: {error}"
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        monthly_review_xlsx(review),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="sopcrm-review-{month}.xlsx"'
    return response


def _whole_number(request: WebRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput.single(name, "invalid", _("Give the id as a whole number."))
    return int(raw)
