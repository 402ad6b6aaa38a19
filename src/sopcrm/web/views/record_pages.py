"""What the record pages of accounts, contacts, leads and deals share: the page frame (activities,
checklist, field groups, timeline), editing a field group in place, and the edit and create
forms. Leads and deals add their place in the playbook (views/transitions.py).

The parts of a record page that an action on it can change (header, stage bar, open tasks, done
activities, checklist, timeline) are small templates with ids. An htmx action (logging a contact,
completing a task, saving a field group) answers with what it swaps in and then those parts
again, marked `hx-swap-oob`, so the whole page is current without a reload (`render_live`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from sopcrm.core.errors import DomainError, NotFound
from sopcrm.core.models import User
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Activity, ActivityStatus, Deal, Lead
from sopcrm.crm.records.qualification_view import qualification_view
from sopcrm.crm.records.transition_options import task_completion_fields
from sopcrm.playbook.schema import FieldDef, Playbook
from sopcrm.process.fields import editable_field_keys, field_defs, visible_fields
from sopcrm.process.playbooks import active_version, playbook_for_version, playbook_of_record

from .. import display, timeline
from ..forms.activities import LOG_PRESETS, QUICK_LOG_KEYS, AddTaskForm, CompleteTaskForm
from ..forms.base import CUSTOM_PREFIX
from ..forms.records import RecordForm
from ..http import WebRequest, wants_partial
from .common import (
    language,
    record_type_of,
    record_url,
    redirect_to,
    render_form_page,
)
from .transitions import staged_context

# At most this many past activities on a record page; the activity list has them all.
HISTORY_LIMIT = 100

# The core fields a family shows in its Details group, for a user (accounts.py, deals.py, ...).
RowsOf = Callable[[User, Any], list[display.Row]]

# The groups of fields a record page edits in place: the core fields and the playbook's ones.
DETAILS, CUSTOM = "details", "custom"


@dataclass(frozen=True)
class FieldGroup:
    """One group of fields on a record page: its values, or (`form`) the form editing them in
    place with the values the user may see but not change (`readonly_rows`)."""

    key: str
    heading: str
    rows: list[display.Row]
    editable: bool
    form: RecordForm | None = None
    readonly_rows: list[display.Row] = field(default_factory=list)
    refocus: bool = False  # back from editing: the focus returns to its Edit button


def tasks_with_forms(
    tasks: list[Activity], bound: Mapping[int, CompleteTaskForm] | None = None
) -> list[tuple[Activity, CompleteTaskForm]]:
    """Each open task with its own complete form (distinct ids, so labels point at the right
    inputs when many forms are on one page); `bound` replaces some by a form sent back with its
    errors."""
    bound = bound or {}
    return [(task, bound[task.pk] if task.pk in bound else complete_form(task)) for task in tasks]


def complete_form(task: Activity, data: Any = None) -> CompleteTaskForm:
    return CompleteTaskForm(
        data, auto_id=f"id_done{task.pk}_%s", requires=task_completion_fields(task)
    )


def record_open_tasks(user: User, record: Any) -> list[Activity]:
    activities = selectors.record_activities(user, record)
    return list(activities.filter(status=ActivityStatus.OPEN).order_by("due_at", "pk"))


def live_context(request: WebRequest, record: Any) -> dict[str, Any]:
    """What a record page shows that an action on it may change, and the URLs of its actions."""
    user, lang = request.user, language()
    record_type = record_type_of(record)
    activities = selectors.record_activities(user, record)
    history = list(
        activities.exclude(status=ActivityStatus.OPEN).order_by("-occurred_at", "-pk")[
            :HISTORY_LIMIT
        ]
    )
    events = selectors.record_timeline(user, record_type, record.pk)
    context = {
        "record": record,
        "record_type": record_type,
        "owner": display.user_label(record.owner),
        "open_tasks": tasks_with_forms(record_open_tasks(user, record)),
        "history": history,
        "timeline": timeline.describe(user, record_type, events, playbook_of_record(record), lang),
        # The inquiry checklist of a lead or deal (S-27..S-29), when its playbook has one.
        "qualification": (
            qualification_view(record, user=user, language=lang)
            if isinstance(record, Lead | Deal)
            else None
        ),
        "log_buttons": [LOG_PRESETS[key] for key in QUICK_LOG_KEYS],
        "record_url": record_url(record_type, record.pk),
        "edit_url": reverse(f"{record_type}_edit", args=[record.pk]),
        "log_url": reverse(f"{record_type}_log", args=[record.pk]),
        "task_url": reverse(f"{record_type}_task", args=[record.pk]),
        # Emails from templates are written on a lead or a deal (views/compose.py).
        "compose_url": (
            reverse(f"{record_type}_compose", args=[record.pk])
            if isinstance(record, Lead | Deal)
            else ""
        ),
    }
    if isinstance(record, Lead | Deal):
        context.update(staged_context(user, record))
    return context


def render_live(
    request: WebRequest,
    record: Any,
    template: str,
    main: Callable[[Any], dict[str, Any]],
    *,
    skip: str = "",
) -> HttpResponse:
    """The answer to an htmx action on a record page: `template` (what the action's target
    gets, its context from `main(record)`), then the page's other changing parts out of band,
    all from the record as it is now. `skip` names the part `template` already is."""
    record_type = record_type_of(record)
    try:
        fresh = selectors.record_get(request.user, record_type, record.pk)
    except NotFound:
        # The change took the record out of the user's sight (e.g. handed to another team).
        return HttpResponseClientRedirect(reverse(f"{record_type}_list"))
    context = {**live_context(request, fresh), "main_template": template, "skip": skip}
    context.update(main(fresh))
    return render(request, "web/records/live.html", context)


def record_page(
    request: WebRequest, record: Any, *, template: str, rows: list[display.Row], **extra: Any
) -> HttpResponse:
    """The record page: `rows` are the core fields the family shows; the rest is shared."""
    user = request.user
    record_type = record_type_of(record)
    playbook = playbook_of_record(record)
    custom_rows = display.custom_rows(user, playbook, record_type, record.custom, language())
    groups = [FieldGroup(DETAILS, _("Details"), rows, editable=True)]
    if custom_rows:
        editable = bool(editable_fields(user, playbook, record_type))
        groups.append(FieldGroup(CUSTOM, _("More fields"), custom_rows, editable=editable))
    context = {
        **live_context(request, record),
        "rows": rows,
        "custom_rows": custom_rows,
        "field_groups": groups,
        "task_form": AddTaskForm(auto_id="id_task_%s"),
        **extra,
    }
    return render(request, template, context)


def editable_fields(user: User, playbook: Playbook, object_type: str) -> list[FieldDef]:
    keys = editable_field_keys(user, playbook, object_type)
    return [f for f in field_defs(playbook, object_type) if f.key in keys]


def _record_form(
    request: WebRequest, record: Any, form_class: type[RecordForm], **kwargs: Any
) -> RecordForm:
    """The Edit page's form for `record`: core fields and the custom fields the user may edit."""
    user = request.user
    return form_class(
        request.POST if request.method == "POST" else None,
        initial=model_to_dict(record),
        user=user,
        custom_fields=editable_fields(user, playbook_of_record(record), record_type_of(record)),
        custom_values=record.custom,
        language=language(),
        **kwargs,
    )


def edit_record(
    request: WebRequest,
    record: Any,
    *,
    form_class: type[RecordForm],
    update: Callable[..., Any],
    title: str,
    rows: RowsOf,
) -> HttpResponse:
    """The Edit page: core fields and editable custom fields; only what changed is sent.

    `?group=details` or `?group=custom` from htmx edits one group of the record page in place
    with the same form and service, so the rules are exactly the Edit page's (`edit_group`).
    """
    group = request.GET.get("group", "")
    if wants_partial(request) and group in (DETAILS, CUSTOM):
        response = edit_group(
            request, record, group=group, form_class=form_class, update=update, rows=rows
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    user, record_type = request.user, record_type_of(record)
    form = _record_form(request, record, form_class)
    url = record_url(record_type, record.pk)
    if request.method == "POST" and form.is_valid():
        try:
            update(record, actor=user, data=form.service_data(only_changed=True))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect_to(url)
    response = render_form_page(
        request, form, title=title, submit=_("Save"), cancel_url=url, record=record
    )
    if group:  # the same URL answers htmx with a partial
        patch_vary_headers(response, ["HX-Request"])
    return response


def _group_view(user: User, record: Any, key: str, rows: RowsOf, *, refocus: bool) -> FieldGroup:
    if key == DETAILS:
        return FieldGroup(DETAILS, _("Details"), rows(user, record), True, refocus=refocus)
    record_type = record_type_of(record)
    playbook = playbook_of_record(record)
    return FieldGroup(
        CUSTOM,
        _("More fields"),
        display.custom_rows(user, playbook, record_type, record.custom, language()),
        editable=bool(editable_fields(user, playbook, record_type)),
        refocus=refocus,
    )


def _readonly_custom_rows(user: User, record: Any) -> list[display.Row]:
    """The custom fields the user may see but not change, shown beside the group's form."""
    record_type = record_type_of(record)
    playbook = playbook_of_record(record)
    shown = visible_fields(user, playbook, record_type)
    rows = display.custom_rows(user, playbook, record_type, record.custom, language())
    editable = editable_field_keys(user, playbook, record_type)
    return [row for f, row in zip(shown, rows, strict=True) if f.key not in editable]


def edit_group(
    request: WebRequest,
    record: Any,
    *,
    group: str,
    form_class: type[RecordForm],
    update: Callable[..., Any],
    rows: RowsOf,
) -> HttpResponse:
    """One field group of the record page, in place: GET the form (`view=read`: the values
    again, which is Cancel), POST saves it. A refused value comes back beside its field and
    nothing is saved; a saved group answers with its values and the page's changing parts."""
    user, record_type = request.user, record_type_of(record)
    urls = {
        "edit_url": reverse(f"{record_type}_edit", args=[record.pk]),
        "record_url": record_url(record_type, record.pk),
    }
    template = "web/records/fields.html"
    if request.method == "GET" and request.GET.get("view") == "read":
        view = _group_view(user, record, group, rows, refocus=True)
        return render(request, template, {"group": view, **urls})
    form = _record_form(request, record, form_class, auto_id=f"id_{group}_%s")
    # The group's own fields only: the rest of the record is not sent, so it cannot change.
    for name in list(form.fields):
        if name.startswith(CUSTOM_PREFIX) != (group == CUSTOM):
            del form.fields[name]
    if request.method == "POST" and form.is_valid():
        try:
            update(record, actor=user, data=form.service_data(only_changed=True))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            return render_live(
                request,
                record,
                template,
                lambda fresh: {"group": _group_view(user, fresh, group, rows, refocus=True)},
            )
    elif request.method == "GET":
        for bound_field in form.visible_fields()[:1]:  # htmx moves the focus into the form
            bound_field.field.widget.attrs["autofocus"] = True
    view = FieldGroup(
        group,
        _("Details") if group == DETAILS else _("More fields"),
        [],
        editable=True,
        form=form,
        readonly_rows=_readonly_custom_rows(user, record) if group == CUSTOM else [],
    )
    return render(request, template, {"group": view, **urls})


def create_record(
    request: WebRequest,
    *,
    record_type: str,
    form_class: type[RecordForm],
    create: Callable[..., Any],
    title: str,
    cancel_url: str,
    initial: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The New page: custom fields come from the active playbook, which new records run under."""
    user = request.user
    form = form_class(
        request.POST if request.method == "POST" else None,
        initial={"owner": user.pk, **(initial or {})},
        user=user,
        custom_fields=editable_fields(user, playbook_for_version(active_version().pk), record_type),
        custom_values={},
        language=language(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = create(actor=user, data=form.service_data(only_changed=False))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Created."))
            return redirect_to(record_url(record_type, record.pk))
    return render_form_page(request, form, title=title, submit=_("Create"), cancel_url=cancel_url)


def related_deals(deals: list[Any]) -> list[display.Row]:
    """Deals listed on another record's page: title, stage and amount."""
    lang = language()
    rows = []
    for deal in deals:
        stage = display.stage_label(
            playbook_for_version(deal.playbook_version_id), "deal", deal.pipeline, deal.stage, lang
        )
        money = display.format_money(deal.amount, deal.currency)
        rows.append(
            display.Row(
                deal.title, " · ".join(filter(None, [stage, money])), record_url("deal", deal.pk)
            )
        )
    return rows


def stage_text(record: Any) -> str:
    """The label of a lead's or deal's stage under the playbook version it runs under."""
    return display.stage_label(
        playbook_for_version(record.playbook_version_id),
        record_type_of(record),
        record.pipeline,
        record.stage,
        language(),
    )
