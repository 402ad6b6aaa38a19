"""What the record pages of accounts, contacts, leads and deals share: the page frame (custom
fields, activities, timeline) and the edit and create forms. Leads and deals add their place in
the playbook (views/transitions.py)."""

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from sopcrm.core.errors import DomainError
from sopcrm.core.models import User
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Activity, ActivityStatus, Deal, Lead
from sopcrm.crm.records.qualification_view import qualification_view
from sopcrm.crm.records.transition_options import task_completion_fields
from sopcrm.playbook.schema import FieldDef, Playbook
from sopcrm.process.fields import editable_field_keys, field_defs
from sopcrm.process.playbooks import active_version, playbook_for_version, playbook_of_record

from .. import display, timeline
from ..forms.activities import AddTaskForm, CompleteTaskForm, LogActivityForm
from ..forms.records import RecordForm
from ..http import WebRequest
from .common import (
    language,
    record_type_of,
    record_url,
    redirect_to,
    render_form_page,
)

# At most this many past activities on a record page; the activity list has them all.
HISTORY_LIMIT = 100


def tasks_with_forms(tasks: list[Activity]) -> list[tuple[Activity, CompleteTaskForm]]:
    """Each open task with its own complete form (distinct ids, so labels point at the right
    inputs when many forms are on one page)."""
    return [
        (
            task,
            CompleteTaskForm(auto_id=f"id_done{task.pk}_%s", requires=task_completion_fields(task)),
        )
        for task in tasks
    ]


def record_page(
    request: WebRequest, record: Any, *, template: str, rows: list[display.Row], **extra: Any
) -> HttpResponse:
    """The record page: `rows` are the core fields the family shows; the rest is shared."""
    user, lang = request.user, language()
    record_type = record_type_of(record)
    playbook = playbook_of_record(record)
    activities = selectors.record_activities(user, record)
    open_tasks = list(activities.filter(status=ActivityStatus.OPEN).order_by("due_at", "pk"))
    history = list(
        activities.exclude(status=ActivityStatus.OPEN).order_by("-occurred_at", "-pk")[
            :HISTORY_LIMIT
        ]
    )
    events = selectors.record_timeline(user, record_type, record.pk)
    context = {
        "record": record,
        "record_type": record_type,
        "rows": rows,
        "custom_rows": display.custom_rows(user, playbook, record_type, record.custom, lang),
        "owner": display.user_label(record.owner),
        "open_tasks": tasks_with_forms(open_tasks),
        "history": history,
        "timeline": timeline.describe(user, record_type, events, playbook, lang),
        # The inquiry checklist of a lead or deal (S-27..S-29), when its playbook has one.
        "qualification": (
            qualification_view(record, user=user, language=lang)
            if isinstance(record, Lead | Deal)
            else None
        ),
        "log_form": LogActivityForm(auto_id="id_log_%s"),
        "task_form": AddTaskForm(auto_id="id_task_%s"),
        "edit_url": reverse(f"{record_type}_edit", args=[record.pk]),
        "log_url": reverse(f"{record_type}_log", args=[record.pk]),
        "task_url": reverse(f"{record_type}_task", args=[record.pk]),
        # Emails from templates are written on a lead or a deal (views/compose.py).
        "compose_url": (
            reverse(f"{record_type}_compose", args=[record.pk])
            if isinstance(record, Lead | Deal)
            else ""
        ),
        **extra,
    }
    return render(request, template, context)


def editable_fields(user: User, playbook: Playbook, object_type: str) -> list[FieldDef]:
    keys = editable_field_keys(user, playbook, object_type)
    return [f for f in field_defs(playbook, object_type) if f.key in keys]


def edit_record(
    request: WebRequest,
    record: Any,
    *,
    form_class: type[RecordForm],
    update: Callable[..., Any],
    title: str,
) -> HttpResponse:
    """The Edit page: core fields and editable custom fields; only what changed is sent."""
    user, record_type = request.user, record_type_of(record)
    form = form_class(
        request.POST if request.method == "POST" else None,
        initial=model_to_dict(record),
        user=user,
        custom_fields=editable_fields(user, playbook_of_record(record), record_type),
        custom_values=record.custom,
        language=language(),
    )
    url = record_url(record_type, record.pk)
    if request.method == "POST" and form.is_valid():
        try:
            update(record, actor=user, data=form.service_data(only_changed=True))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect_to(url)
    return render_form_page(
        request, form, title=title, submit=_("Save"), cancel_url=url, record=record
    )


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
