"""Activities: the list, an activity's page and edit form, logging a contact or adding a task on
a record, and completing a task (from the home page, a record page or the activity's page).

On a record page both logging and completing work in place with htmx: the answer is the short
form again (with its errors) or what changed, with the page's changing parts out of band
(record_pages.render_live). Without JavaScript the same URLs are pages of their own.
"""

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import TextChoices
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core import normalise
from sopcrm.core.errors import DomainError
from sopcrm.core.models import RecordType
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Activity, ActivityKind, ActivityStatus
from sopcrm.crm.records.querying.matching import search_condition
from sopcrm.crm.records.services.activities import (
    activity_complete,
    activity_create,
    activity_update,
)
from sopcrm.crm.records.transition_options import task_completion_fields
from sopcrm.process.playbooks import active_version, playbook_for_version

from .. import display, timeline
from ..display import Row
from ..forms.activities import (
    LOG_PRESETS,
    ActivityEditForm,
    ActivityForm,
    AddTaskForm,
    CompleteTaskForm,
    LogActivityForm,
    QuickLogForm,
    log_preset,
)
from ..http import WebRequest, wants_partial
from ..models import ListKey
from .common import (
    language,
    record_or_404,
    record_type_of,
    record_url,
    redirect_to,
    render_form_page,
    safe_next,
    visible_or_404,
)
from .lists import Cell, Column, Filter, ListPage, owner_filter, render_list
from .record_pages import (
    complete_form,
    record_open_tasks,
    render_live,
    tasks_with_forms,
)

_LINKS = (
    ("lead", RecordType.LEAD),
    ("deal", RecordType.DEAL),
    ("account", RecordType.ACCOUNT),
    ("contact", RecordType.CONTACT),
)


def about(activity: Activity) -> Cell:
    """The record an activity is about (the first linked one), as a link."""
    for name, record_type in _LINKS:
        record = getattr(activity, name)
        if record is not None:
            return Cell(str(record), record_url(record_type, record.pk))
    return Cell("")


@login_required
def activity_list(request: WebRequest) -> HttpResponse:
    page = ListPage(
        title=_("Activities"),
        columns=[
            Column("subject", _("Subject"), _subject_cell, "subject"),
            Column("kind", _("Kind"), lambda a: a.get_kind_display(), "kind"),
            Column("status", _("Status"), lambda a: a.get_status_display(), "status"),
            Column("due", _("Due"), lambda a: display.format_datetime(a.due_at), "due_at"),
            Column(
                "occurred",
                _("Occurred at"),
                lambda a: display.format_datetime(a.occurred_at),
                "occurred_at",
            ),
            Column("about", _("About"), about),
            Column("channel", _("Channel"), lambda a: a.get_channel_display(), default=False),
            Column("direction", _("Direction"), lambda a: a.get_direction_display(), default=False),
            Column(
                "completed",
                _("Completed at"),
                lambda a: display.format_datetime(a.completed_at),
                "completed_at",
                default=False,
            ),
            Column("owner", _("Owner"), lambda a: display.user_label(a.owner), "owner__username"),
        ],
        search=partial(search_condition, RecordType.ACTIVITY),
        default_sort="-occurred",
        filters=[
            Filter("kind", _("Kind"), _choices(ActivityKind), lambda qs, v: qs.filter(kind=v)),
            Filter(
                "status", _("Status"), _choices(ActivityStatus), lambda qs, v: qs.filter(status=v)
            ),
            *owner_filter(request.user, _("Owner")),
        ],
        key=ListKey.ACTIVITIES,
    )
    return render_list(request, page, selectors.activity_list(request.user))


def _choices(choices: type[TextChoices]) -> list[tuple[str, str]]:
    return [(c.value, str(c.label)) for c in choices]


def _subject_cell(activity: Activity) -> Cell:
    return Cell(activity.subject, reverse("activity_detail", args=[activity.pk]))


@login_required
def activity_detail(request: WebRequest, pk: int) -> HttpResponse:
    activity = visible_or_404(selectors.activity_get, request.user, pk)
    target = about(activity)
    rows = [
        Row(_("About"), target.text, target.href),
        Row(_("Kind"), activity.get_kind_display()),
        Row(_("Status"), activity.get_status_display()),
        Row(_("Channel"), activity.get_channel_display()),
        Row(_("Direction"), activity.get_direction_display()),
        Row(_("Due"), display.format_datetime(activity.due_at)),
        Row(_("Occurred at"), display.format_datetime(activity.occurred_at)),
        Row(_("Customer feedback"), activity.get_feedback_type_display()),
        Row(_("New information"), activity.get_new_information_display()),
        Row(_("Owner"), display.user_label(activity.owner)),
    ]
    if activity.kind == ActivityKind.EMAIL:
        # An email written in sopcrm: where it is in the outbox (queued, sent, failed).
        queued = OutboundEmail.objects.filter(activity=activity).order_by("-created_at").first()
        if queued is not None:
            rows.append(Row(_("Outbox status"), queued.get_status_display()))
    events = selectors.record_timeline(request.user, RecordType.ACTIVITY, activity.pk)
    playbook = playbook_for_version(active_version().pk)
    is_open = activity.status == ActivityStatus.OPEN
    return render(
        request,
        "web/records/activity.html",
        {
            "record": activity,
            "rows": rows,
            "open_tasks": tasks_with_forms([activity]) if is_open else [],
            "timeline": timeline.describe(
                request.user, RecordType.ACTIVITY, events, playbook, language()
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: WebRequest, pk: int) -> HttpResponse:
    activity = visible_or_404(selectors.activity_get, request.user, pk)
    form = ActivityEditForm(
        request.POST if request.method == "POST" else None,
        initial={
            "subject": activity.subject,
            "channel": activity.channel,
            "summary": activity.summary,
            "feedback_type": activity.feedback_type,
            # The form edits to the minute; dropped seconds must not count as a change.
            "due_at": activity.due_at.replace(second=0, microsecond=0) if activity.due_at else None,
            "owner": activity.owner_id,
        },
        user=request.user,
        is_task=activity.kind == ActivityKind.TASK,
    )
    url = reverse("activity_detail", args=[activity.pk])
    if request.method == "POST" and form.is_valid():
        try:
            activity_update(activity, actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect_to(url)
    return render_form_page(
        request, form, title=_("Edit activity"), submit=_("Save"), cancel_url=url, record=activity
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_complete_view(request: WebRequest, pk: int) -> HttpResponse:
    """Complete a task. The home and record pages embed this form; when the service refuses
    (e.g. no summary), this page shows the form again with the error beside the field."""
    activity = visible_or_404(selectors.activity_get, request.user, pk)
    on_record = _page_record(request)
    if on_record is not None:
        return _complete_on_record(request, activity, on_record)
    form = CompleteTaskForm(
        request.POST if request.method == "POST" else None,
        requires=task_completion_fields(activity),
    )
    done_url = safe_next(request, reverse("activity_detail", args=[activity.pk]))
    if request.method == "POST" and form.is_valid():
        try:
            activity_complete(activity, actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Task completed: %(subject)s") % {"subject": activity})
            return redirect_to(done_url)
    return render_form_page(
        request,
        form,
        title=_("Complete task: %(subject)s") % {"subject": activity.subject},
        submit=_("Complete"),
        cancel_url=done_url,
        record=activity,
    )


def _on_record(
    request: WebRequest, record_type: str, pk: int, form: ActivityForm, *, title: str, submit: str
) -> HttpResponse:
    """Create an activity about a record from `form` (logging a contact or adding a task)."""
    record = record_or_404(request.user, record_type, pk)
    url = record_url(record_type, record.pk)
    if request.method == "POST" and form.is_valid():
        data = {**form.service_data(), record_type: record.pk}
        try:
            activity_create(actor=request.user, data=data)
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect_to(url)
    return render_form_page(
        request, form, title=f"{title}: {record}", submit=submit, cancel_url=url, record=record
    )


def _page_record(request: WebRequest) -> Any:
    """The record whose page an htmx complete form was sent from (`on_record`: "deal:12"), or
    None for a form elsewhere (the home page, the task's page) or sent without htmx."""
    if request.method != "POST" or not wants_partial(request):
        return None
    record_type, _sep, pk = request.POST.get("on_record", "").partition(":")
    record_id = normalise.record_id(pk)
    if record_type not in dict(_LINKS) or record_id is None:
        return None
    return record_or_404(request.user, record_type, record_id)


def _complete_on_record(request: WebRequest, activity: Activity, record: Any) -> HttpResponse:
    """Complete a task from its record's page in place: the open tasks again (this task's form
    with its errors, or without the task), and on success the page's other changing parts."""
    form = complete_form(activity, request.POST)
    if form.is_valid():
        try:
            activity_complete(activity, actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            return render_live(
                request,
                record,
                "web/records/open_tasks.html",
                lambda _fresh: {"completed": activity.subject},
                skip="open_tasks",
            )
    tasks = tasks_with_forms(record_open_tasks(request.user, record), {activity.pk: form})
    return render(
        request,
        "web/records/open_tasks.html",
        {
            "record": record,
            "record_type": record_type_of(record),
            "record_url": record_url(record_type_of(record), record.pk),
            "open_tasks": tasks,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def log_activity(request: WebRequest, record_type: str, pk: int) -> HttpResponse:
    """Log a contact on a record (S-03). `?kind=call` (a log button of the record page) fills in
    the kind, channel and direction; htmx gets the short form of the record page."""
    if wants_partial(request):
        response = _quick_log(request, record_type, pk)
    else:
        form = LogActivityForm(
            request.POST if request.method == "POST" else None,
            preset=log_preset(request.GET.get("kind", "")),
        )
        response = _on_record(
            request, record_type, pk, form, title=_("Log activity"), submit=_("Log")
        )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _quick_log(request: WebRequest, record_type: str, pk: int) -> HttpResponse:
    """The record page's short form in #log-panel: GET opens it with a button's preset (without
    one, the panel empties: Cancel); POST logs and answers with a line saying so, the activities
    and the timeline, or with the form and its errors (nothing is logged)."""
    record = record_or_404(request.user, record_type, pk)
    urls = {
        "log_url": reverse(f"{record_type}_log", args=[record.pk]),
        "record_url": record_url(record_type, record.pk),
    }
    if request.method == "GET":
        preset = log_preset(request.GET.get("kind", ""))
        if preset is None:
            return HttpResponse("")
        form = QuickLogForm(preset=preset)
    else:
        key = request.POST.get("preset") or request.POST.get("kind", "")
        preset = log_preset(key) or LOG_PRESETS["call"]
        form = QuickLogForm(request.POST, preset=preset)
        if form.is_valid():
            try:
                activity = activity_create(
                    actor=request.user, data={**form.service_data(), record_type: record.pk}
                )
            except DomainError as exc:
                form.add_service_error(exc)
            else:
                return render_live(
                    request,
                    record,
                    "web/records/quick_log.html",
                    lambda _fresh: {"logged": activity, **urls},
                )
    return render(request, "web/records/quick_log.html", {"form": form, "preset": preset, **urls})


@login_required
@require_http_methods(["GET", "POST"])
def add_task(request: WebRequest, record_type: str, pk: int) -> HttpResponse:
    form = AddTaskForm(request.POST if request.method == "POST" else None)
    return _on_record(request, record_type, pk, form, title=_("Add task"), submit=_("Add task"))
