"""Tasks and logged contacts (S-03). A logged call, email, meeting, message or note needs a
summary, so another rep can take the customer over; a task is open until completed, and its
completion records the outcome (channel, summary, customer feedback)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, FieldProblem, InvalidInput
from sopcrm.core.models import EventKind, RecordType, User

from .. import selectors
from ..models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Channel,
    Deal,
    Direction,
    FeedbackType,
    Lead,
    NewInformation,
)
from . import changes as c
from .guards import lock_visible
from .logging import event_log, log_changes
from .process_tasks import after_completion, completion_problems, tasks_stop_on_reply
from .slas import is_contact, is_customer_reply, slas_note_contact
from .timing import record_timers_refresh, task_timer_sync

_LINKS = {
    "lead": RecordType.LEAD,
    "deal": RecordType.DEAL,
    "account": RecordType.ACCOUNT,
    "contact": RecordType.CONTACT,
}

# The full text of an email on the timeline; longer mail is cut there (its source is kept whole).
ACTIVITY_BODY_MAX = 200_000

ACTIVITY_FIELDS: dict[str, c.Cleaner] = {
    "kind": c.choice(ActivityKind),
    "subject": c.text(200),
    "channel": c.choice(Channel, blank=True),
    "direction": c.choice(Direction),
    "summary": c.text(20_000),
    "body": c.text(ACTIVITY_BODY_MAX),
    "feedback_type": c.choice(FeedbackType, blank=True),
    "new_information": c.choice(NewInformation, blank=True),
    "due_at": c.aware_datetime(),
    "occurred_at": c.aware_datetime(not_future=True),
    "owner": c.owner,
    "lead": c.related(selectors.lead_list),
    "deal": c.related(selectors.deal_list),
    "account": c.related(selectors.account_list),
    "contact": c.related(selectors.contact_list),
}
ACTIVITY_UPDATE_FIELDS = {
    k: ACTIVITY_FIELDS[k]
    for k in (
        "subject",
        "channel",
        "summary",
        "feedback_type",
        "new_information",
        "due_at",
        "owner",
    )
}
COMPLETE_FIELDS = {
    k: ACTIVITY_FIELDS[k]
    for k in ("channel", "summary", "feedback_type", "new_information", "occurred_at")
}


def _linked(activity: Activity) -> list[tuple[RecordType, int]]:
    return [
        (record_type, getattr(activity, f"{name}_id"))
        for name, record_type in _LINKS.items()
        if getattr(activity, f"{name}_id") is not None
    ]


def _log_on_records(activity: Activity, kind: EventKind, actor: User | None) -> None:
    data = {
        "activity": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "status": activity.status,
        "channel": activity.channel,
        "direction": activity.direction,
        "feedback_type": activity.feedback_type,
        "new_information": activity.new_information,
        "summary": activity.summary[:500],
        "due_at": activity.due_at,
        "occurred_at": activity.occurred_at,
    }
    at = activity.created_at if kind == EventKind.ACTIVITY_CREATED else activity.updated_at
    for record_type, record_id in _linked(activity):
        event_log(
            record_type=record_type,
            record_id=record_id,
            kind=kind,
            actor=actor,
            data=data,
            occurred_at=at,
        )


@transaction.atomic
def activity_create(*, actor: User, data: Mapping[str, Any]) -> Activity:
    at = now()
    activity = Activity(owner=actor, created_at=at, updated_at=at, created_by=actor)
    c.apply_changes(
        activity, data, cleaners=ACTIVITY_FIELDS, actor=actor, playbook=None, object_type=None
    )
    problems: list[FieldProblem] = []
    if not activity.kind:
        problems.append(FieldProblem("kind", "required", _("This field is required.")))
    if not _linked(activity):
        problems.append(
            FieldProblem(
                "lead", "required", _("Link the activity to a lead, deal, account or contact.")
            )
        )
    if activity.kind == ActivityKind.TASK:
        if not activity.subject:
            problems.append(FieldProblem("subject", "required", _("Say what is to be done.")))
        if activity.due_at is None:
            problems.append(FieldProblem("due_at", "required", _("A task needs a due time.")))
        if activity.occurred_at is not None:
            problems.append(
                FieldProblem(
                    "occurred_at", "not_allowed", _("A task happens when it is completed.")
                )
            )
        activity.status = ActivityStatus.OPEN
    elif activity.kind:
        if not activity.summary:
            problems.append(
                FieldProblem("summary", "required", _("Write a short summary of the contact."))
            )
        if activity.due_at is not None:
            problems.append(FieldProblem("due_at", "not_allowed", _("Only tasks have a due time.")))
        activity.status = ActivityStatus.DONE
        activity.occurred_at = activity.occurred_at or at
        activity.completed_at = activity.occurred_at
        if not activity.subject:
            activity.subject = str(ActivityKind(activity.kind).label)
    if problems:
        raise InvalidInput(problems)
    activity.save()
    _log_on_records(activity, EventKind.ACTIVITY_CREATED, actor)
    task_timer_sync(activity)
    if activity.status == ActivityStatus.DONE:
        _touch_records(activity, actor)
    return activity


def _touch_records(activity: Activity, actor: User | None) -> None:
    """A contact or completed task counts for the records it is about: a first outbound
    contact stops their response clocks (S-17) and their idle clocks start again (S-23)."""
    for name, record_type in _LINKS.items():
        record = getattr(activity, name) if getattr(activity, f"{name}_id") else None
        if record is None:
            continue
        if isinstance(record, Lead | Deal):
            _note_last_contact(activity, record)
            slas_note_contact(activity, record, actor=actor)
            if is_customer_reply(activity):  # by email, WhatsApp, phone...: the chase stops
                tasks_stop_on_reply(record, actor=actor)
        record_timers_refresh(record_type, record)


def _note_last_contact(activity: Activity, record: Lead | Deal) -> None:
    at = activity.occurred_at or activity.completed_at
    if at is None or not is_contact(activity):
        return
    if record.last_contact_at is None or record.last_contact_at < at:
        # A column update, not save(): the record's own change log is about its fields.
        type(record).objects.filter(pk=record.pk).update(last_contact_at=at)
        record.last_contact_at = at


@transaction.atomic
def activity_update(activity: Activity, *, actor: User, data: Mapping[str, Any]) -> Activity:
    activity = lock_visible(actor, RecordType.ACTIVITY, activity.pk)
    if "due_at" in data and activity.kind != ActivityKind.TASK:
        raise InvalidInput.single("due_at", "not_allowed", _("Only tasks have a due time."))
    changed = c.apply_changes(
        activity,
        data,
        cleaners=ACTIVITY_UPDATE_FIELDS,
        actor=actor,
        playbook=None,
        object_type=None,
    )
    if changed:
        activity.updated_at = now()
        activity.save()
        log_changes(RecordType.ACTIVITY, activity, changed, actor)
        task_timer_sync(activity)
    return activity


def _lock_parent(activity: Activity) -> Lead | Deal | None:
    """Lock the lead or deal a task is about before the task itself: transitions lock the record
    and then its tasks, so taking the locks in the same order cannot deadlock."""
    if activity.deal_id is not None:
        return Deal.objects.select_for_update().get(pk=activity.deal_id)
    if activity.lead_id is not None:
        return Lead.objects.select_for_update().get(pk=activity.lead_id)
    return None


@transaction.atomic
def activity_complete(activity: Activity, *, actor: User, data: Mapping[str, Any]) -> Activity:
    """Complete an open task with its outcome: a summary is required (S-03), and a task from a
    playbook template may require channel and customer feedback (S-15). Completing it moves the
    record to the template's next step and creates the tasks anchored on the completion."""
    visible = selectors.activity_get(actor, activity.pk)
    record = _lock_parent(visible)
    activity = Activity.objects.select_for_update().get(pk=visible.pk)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(_("This task is not open."), code="not_open")
    c.apply_changes(
        activity, data, cleaners=COMPLETE_FIELDS, actor=actor, playbook=None, object_type=None
    )
    problems = completion_problems(activity, record)
    if not activity.summary:
        problems.insert(
            0, FieldProblem("summary", "required", _("Write a short summary of what happened."))
        )
    if problems:
        raise InvalidInput(problems)
    at = now()
    activity.status = ActivityStatus.DONE
    activity.occurred_at = activity.occurred_at or at
    activity.completed_at = at
    activity.updated_at = at
    activity.save()
    _log_on_records(activity, EventKind.ACTIVITY_COMPLETED, actor)
    task_timer_sync(activity)
    if record is not None:
        after_completion(activity, record, actor=actor)
    _touch_records(activity, actor)
    return activity


@transaction.atomic
def activity_cancel(activity: Activity, *, actor: User, reason: str) -> Activity:
    """Cancel an open task by hand, with the reason on the timeline."""
    activity = lock_visible(actor, RecordType.ACTIVITY, activity.pk)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(_("This task is not open."), code="not_open")
    reason = reason.strip()
    if not reason:
        raise InvalidInput.single("reason", "required", _("Say why the task is cancelled."))
    activity.status = ActivityStatus.CANCELLED
    activity.summary = reason
    activity.updated_at = now()
    activity.save()
    _log_on_records(activity, EventKind.ACTIVITY_CANCELLED, actor)
    task_timer_sync(activity)
    return activity
