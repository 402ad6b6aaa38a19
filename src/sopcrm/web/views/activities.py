"""Activities: the list, an activity's page and edit form, logging a contact or adding a task on
a record, and completing a task (from the home page, a record page or the activity's page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, TextChoices
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core.errors import DomainError
from sopcrm.core.models import RecordType
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Activity, ActivityKind, ActivityStatus
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
    ActivityEditForm,
    ActivityForm,
    AddTaskForm,
    CompleteTaskForm,
    LogActivityForm,
)
from ..http import WebRequest
from .common import (
    language,
    record_or_404,
    record_url,
    redirect_to,
    render_form_page,
    safe_next,
    visible_or_404,
)
from .lists import Cell, Column, Filter, ListPage, owner_filter, render_list
from .record_pages import tasks_with_forms

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
            Column("owner", _("Owner"), lambda a: display.user_label(a.owner), "owner__username"),
        ],
        search=lambda q: Q(subject__icontains=q) | Q(summary__icontains=q),
        default_sort="-occurred",
        filters=[
            Filter("kind", _("Kind"), _choices(ActivityKind), lambda qs, v: qs.filter(kind=v)),
            Filter(
                "status", _("Status"), _choices(ActivityStatus), lambda qs, v: qs.filter(status=v)
            ),
            *owner_filter(request.user, _("Owner")),
        ],
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


@login_required
@require_http_methods(["GET", "POST"])
def log_activity(request: WebRequest, record_type: str, pk: int) -> HttpResponse:
    form = LogActivityForm(request.POST if request.method == "POST" else None)
    return _on_record(request, record_type, pk, form, title=_("Log activity"), submit=_("Log"))


@login_required
@require_http_methods(["GET", "POST"])
def add_task(request: WebRequest, record_type: str, pk: int) -> HttpResponse:
    form = AddTaskForm(request.POST if request.method == "POST" else None)
    return _on_record(request, record_type, pk, form, title=_("Add task"), submit=_("Add task"))
