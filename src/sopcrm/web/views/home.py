"""The home page (my open tasks) and the language switch."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sopcrm.core.clock import now
from sopcrm.crm.records import selectors
from sopcrm.crm.records.daily import daily_view
from sopcrm.crm.records.models import Activity, ActivityKind, ActivityStatus, SlaClock

from ..forms.activities import CompleteTaskForm
from ..http import WebRequest
from ..services import language_is_supported, user_set_language
from .activities import about
from .common import safe_next
from .lists import Cell
from .record_pages import tasks_with_forms

# The home page is a to-do list, not an archive: past this many tasks, the list page has the rest.
HOME_TASK_LIMIT = 200


@dataclass(frozen=True)
class HomeTask:
    task: Activity
    complete_form: CompleteTaskForm
    about: Cell
    overdue: bool


@login_required
def home(request: WebRequest) -> HttpResponse:
    """The signed-in user's open tasks, overdue first (earliest due first does exactly that)."""
    tasks = list(
        selectors.activity_list(request.user)
        .filter(owner=request.user, kind=ActivityKind.TASK, status=ActivityStatus.OPEN)
        .order_by("due_at", "pk")[:HOME_TASK_LIMIT]
    )
    current = now()
    day = daily_view(request.user, limit=20)
    return render(
        request,
        "web/home.html",
        {
            "tasks": [
                HomeTask(task, form, about(task), task.due_at is not None and task.due_at < current)
                for task, form in tasks_with_forms(tasks)
            ],
            "task_limit": HOME_TASK_LIMIT,
            # S-45: response clocks at risk or late, and approvals waiting for the user.
            "clocks": _clocks(request, day.sla_at_risk, current),
            "approvals_waiting": len(day.awaiting_approval),
        },
    )


@dataclass(frozen=True)
class HomeClock:
    name: str
    href: str
    due_at: datetime
    late: bool


def _clocks(request: WebRequest, clocks: list[SlaClock], current: datetime) -> list[HomeClock]:
    """The records behind the response clocks, by name (two queries at most)."""
    names: dict[tuple[str, int], str] = {}
    for record_type, selector in (("lead", selectors.lead_list), ("deal", selectors.deal_list)):
        ids = [c.record_id for c in clocks if c.record_type == record_type]
        if ids:
            for record in selector(request.user).filter(pk__in=ids):
                names[(record_type, record.pk)] = str(record)
    return [
        HomeClock(
            names[(c.record_type, c.record_id)],
            reverse(f"{c.record_type}_detail", args=[c.record_id]),
            c.due_at,
            c.due_at < current,
        )
        for c in clocks
        if (c.record_type, c.record_id) in names
    ]


@require_POST
def set_language(request: WebRequest) -> HttpResponse:
    """Switch the interface language: remembered on the user (so it follows them to any
    browser) and in the language cookie (which also serves the login page)."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request, reverse("home")))
    if not language_is_supported(language):
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        user_set_language(request.user, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
