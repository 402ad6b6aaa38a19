"""My day (S-45), the landing page: what the signed-in user has to do today, each item one
click from done; and the language switch.

The sections come from `crm.records.daily.daily_view`. Completing a task and moving a deal's
expected close date post to small endpoints here: with htmx they answer with the item alone (and
the section counts, out of band), so the page does not reload; without JavaScript the same forms
post to the ordinary pages and come back here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sopcrm.core.clock import now
from sopcrm.core.errors import DomainError
from sopcrm.crm.records import selectors
from sopcrm.crm.records.daily import DailyView, FirstContact, StepQueue, daily_view, task_counts
from sopcrm.crm.records.models import Activity, ApprovalRequest, Deal, Lead
from sopcrm.crm.records.services.activities import activity_complete
from sopcrm.crm.records.services.deals import deal_update
from sopcrm.crm.records.transition_options import approval_reason, task_completion_fields

from .. import display
from ..forms.activities import CompleteTaskForm
from ..forms.my_day import ExpectedCloseForm
from ..forms.transitions import ApprovalDecisionForm
from ..http import WebRequest, wants_partial
from ..services import language_is_supported, user_set_language
from .activities import about
from .common import language as reader_language
from .common import record_url, remember_language, render_form_page, safe_next, visible_or_404
from .lists import Cell
from .record_pages import stage_text
from .transitions import transition_label

# Per section: the heading counts them all and links to the list with the rest. Twenty is more
# than a morning's work and keeps the page quick for a rep with hundreds of overdue tasks.
MY_DAY_LIMIT = 20


@dataclass(frozen=True)
class HomeTask:
    task: Activity
    # None: the form is fetched when "Complete task" is unfolded. Rendering up to 100 forms of
    # ~40 options each made the page ten times heavier than everything else on it.
    complete_form: CompleteTaskForm | None
    about: Cell
    overdue: bool
    open: bool = False  # the complete form shown unfolded (it came back with an error)


@dataclass(frozen=True)
class LeadItem:
    lead: Lead
    due_at: datetime
    clock_text: str  # "3 h 20 min left", "late by 2 h"
    at_risk: bool
    late: bool


@dataclass(frozen=True)
class ApprovalItem:
    request: ApprovalRequest
    record: Lead | Deal
    record_url: str
    transition_label: str
    reason: str
    form: ApprovalDecisionForm | None  # None for a rep: their own request, to wait for


@dataclass(frozen=True)
class StepRecord:
    record: Lead | Deal
    url: str
    stage: str
    action_url: str


@dataclass(frozen=True)
class StepSection:
    key: str  # "<object type>-<transition key>", for ids
    title: str
    action_label: str
    total: int
    records: list[StepRecord]
    list_url: str


@dataclass(frozen=True)
class LateDeal:
    deal: Deal
    url: str
    form: ExpectedCloseForm
    done: bool = False


@login_required
def home(request: WebRequest) -> HttpResponse:
    """My day: overdue tasks, today's tasks, leads waiting for a first contact, approvals,
    the playbook's steps to take (e.g. quotes to send) and deals past their expected close."""
    day = daily_view(request.user, limit=MY_DAY_LIMIT)
    return render(
        request,
        "web/home.html",
        {
            "day": day,
            "limit": MY_DAY_LIMIT,
            "overdue": _tasks(day.overdue.items, overdue=True),
            "today": _tasks(day.due_today.items, overdue=False),
            "leads": [_lead_item(item, day.at) for item in day.awaiting_first_contact.items],
            "approvals": [_approval_item(r, day) for r in day.awaiting_approval.items],
            "steps": [_step_section(queue) for queue in day.steps if queue.records.total],
            "late_deals": [
                LateDeal(d, record_url("deal", d.pk), ExpectedCloseForm(deal_id=d.pk))
                for d in day.past_expected_close.items
            ],
        },
    )


def complete_form(task: Activity, data: object = None) -> CompleteTaskForm:
    """The task's complete form, its channel already chosen when the task has one (a call)."""
    return CompleteTaskForm(
        data,
        auto_id=f"id_done{task.pk}_%s",  # distinct ids: many forms share the page
        requires=task_completion_fields(task),
        initial={"channel": task.channel},
    )


def _tasks(tasks: list[Activity], *, overdue: bool) -> list[HomeTask]:
    return [HomeTask(task, None, about(task), overdue) for task in tasks]


def span_text(delta: timedelta) -> str:
    """A span of time as people say it on a to-do list: "2 d 3 h", "3 h 20 min", "45 min"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("under a minute")


def _lead_item(item: FirstContact, at: datetime) -> LeadItem:
    due = item.clock.due_at
    if item.late:
        text = _("late by %(span)s") % {"span": span_text(at - due)}
    else:
        text = _("%(span)s left") % {"span": span_text(due - at)}
    return LeadItem(item.lead, due, text, item.at_risk, item.late)


def _approval_item(request: ApprovalRequest, day: DailyView) -> ApprovalItem:
    record = request.deal or request.lead
    assert record is not None  # the approval_is_about_one_record constraint
    record_type = "deal" if request.deal_id else "lead"
    return ApprovalItem(
        request=request,
        record=record,
        record_url=record_url(record_type, record.pk),
        transition_label=transition_label(record, request.transition),
        reason=approval_reason(request),
        form=ApprovalDecisionForm(approval_id=request.pk) if day.deciding else None,
    )


def _step_section(queue: StepQueue) -> StepSection:
    lang = reader_language()
    transition = queue.transition
    assert transition.my_day is not None  # only my_day transitions make a queue
    object_type = queue.object_type.value
    origins = {origin.partition(".")[0] for origin in transition.from_}
    list_url = reverse(f"{object_type}_list")
    if len(origins) == 1 and "*" not in origins:
        list_url += f"?stage={next(iter(origins))}"
    return StepSection(
        key=f"{object_type}-{transition.key}",
        title=transition.my_day.for_language(lang),
        action_label=transition.label.for_language(lang),
        total=queue.records.total,
        records=[
            StepRecord(
                record=record,
                url=record_url(object_type, record.pk),
                stage=stage_text(record),
                action_url=reverse(f"{object_type}_transition", args=[record.pk, transition.key]),
            )
            for record in queue.records.items
        ],
        list_url=list_url,
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_day_task_complete(request: WebRequest, pk: int) -> HttpResponse:
    """Complete a task from My day. A GET fetches the form when "Complete task" is unfolded.
    htmx swaps a POST's answer in place of the task: a line saying it is done (and the new
    counts), or the form again with the error beside its field."""
    task = visible_or_404(selectors.activity_get, request.user, pk)
    if request.method == "GET":
        if not wants_partial(request):
            return HttpResponseRedirect(reverse("activity_complete", args=[task.pk]))
        return _partial(
            request, "web/home.html#task_form", {"task": task, "form": complete_form(task)}
        )
    form = complete_form(task, request.POST)
    if form.is_valid():
        try:
            activity_complete(task, actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            if not wants_partial(request):
                messages.success(request, _("Task completed: %(subject)s") % {"subject": task})
                return HttpResponseRedirect(reverse("home"))
            overdue, today = task_counts(request.user)
            return _partial(
                request,
                "web/home.html#task_done",
                {"task": task, "overdue_total": overdue, "today_total": today},
            )
    if not wants_partial(request):
        return render_form_page(
            request,
            form,
            title=_("Complete task: %(subject)s") % {"subject": task.subject},
            submit=_("Complete"),
            cancel_url=reverse("home"),
            record=task,
        )
    overdue_task = task.due_at is not None and task.due_at < now()
    item = HomeTask(task, form, about(task), overdue_task, open=True)
    return _partial(request, "web/home.html#task", {"item": item})


@login_required
@require_POST
def my_day_expected_close(request: WebRequest, pk: int) -> HttpResponse:
    """Move a late deal's expected close date (through the deal update service, so it is on
    the timeline). htmx swaps the answer in place of the deal's line."""
    deal = visible_or_404(selectors.deal_get, request.user, pk)
    form = ExpectedCloseForm(request.POST, deal_id=deal.pk)
    if form.is_valid():
        try:
            deal = deal_update(
                deal,
                actor=request.user,
                data={"expected_close_on": form.cleaned_data["expected_close_on"].isoformat()},
            )
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            if not wants_partial(request):
                messages.success(
                    request,
                    _("%(deal)s: expected close moved to %(date)s.")
                    % {"deal": deal, "date": display.format_date(deal.expected_close_on)},
                )
                return HttpResponseRedirect(reverse("home"))
            item = LateDeal(deal, record_url("deal", deal.pk), form, done=True)
            return _partial(request, "web/home.html#late_deal", {"item": item})
    if not wants_partial(request):
        for error in form.errors.get("expected_close_on", []) + form.non_field_errors():
            messages.error(request, f"{deal}: {error}")
        return HttpResponseRedirect(reverse("home"))
    item = LateDeal(deal, record_url("deal", deal.pk), form)
    return _partial(request, "web/home.html#late_deal", {"item": item})


def _partial(request: WebRequest, template: str, context: dict[str, object]) -> HttpResponse:
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
    remember_language(request, response, language)
    return response
