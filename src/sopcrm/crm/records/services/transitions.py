"""Moving a lead or deal through its playbook: the one entry point for every stage change, used
by the web UI, the API, the CLI and automation alike (S-07..S-16, S-33).

`record_transition` checks, in this order, and reports all problems of a kind at once:
1. the transition exists and starts where the record is (else 409: someone moved it meanwhile),
2. the actor may take it (role / owner),
3. the submitted values are fields the transition asks for and are valid,
4. every required field has a value and every rule holds,
5. approval: if the transition's approval condition holds, an approval request is created
   instead and the record stays where it is.
Then, in one transaction: fields written, stage left and entered (events with timestamps), tasks
of the left stage cancelled, listed tasks completed, the new stage's tasks created, and any
pending approval of the record withdrawn.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from sopcrm.core.events import jsonable
from sopcrm.core.models import EventKind, User
from sopcrm.core.visibility import can_see_owner
from sopcrm.playbook.core_fields import REQUIRABLE_CORE_FIELDS
from sopcrm.playbook.schema import ObjectType, Pipeline, Stage, StageKind, Transition
from sopcrm.process import engine

from ..models import Activity, ActivityStatus, ApprovalRequest, ApprovalStatus, Deal, Lead
from . import changes as c
from .conversion import lead_convert
from .deals import DEAL_FIELDS
from .guards import lock_visible
from .leads import LEAD_FIELDS
from .logging import event_log, log_changes
from .playbook_context import (
    StagedRecord,
    actor_of,
    calendar_of,
    field_values,
    pipeline_of,
    playbook_of,
    record_link,
    record_type_of,
    record_view,
    today_of,
)
from .process_tasks import after_completion, tasks_cancel_outside, tasks_create
from .slas import slas_end, slas_note_contact
from .timing import record_timers_refresh, rules_batch, task_timer_sync


@dataclass(frozen=True)
class TransitionResult[R: Lead | Deal]:
    record: R
    executed: bool
    approval: ApprovalRequest | None = None


def _object_type(record: StagedRecord) -> ObjectType:
    return ObjectType(record_type_of(record).value)


def _split(
    record: StagedRecord, transition: Transition, data: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Submitted values -> service changes (core fields at the top, custom under "custom"), and
    a problem for each submitted field the transition does not ask for."""
    core_names = REQUIRABLE_CORE_FIELDS[_object_type(record)]
    changes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    problems = []
    for key, value in data.items():
        if key not in transition.requires and key not in transition.optional:
            problems.append(
                FieldProblem(key, "not_asked", _("This transition does not ask for this field."))
            )
        elif key in core_names:
            changes[key] = value
        else:
            custom[key] = value
    if custom:
        changes["custom"] = custom
    return changes, problems


def _check_values(
    record: StagedRecord, transition: Transition, data: Mapping[str, Any], actor: User
) -> list[c.FieldChange]:
    """Apply the submitted values and check the transition's requirements, reporting every
    problem in one error: fields not asked for, invalid values, missing required fields; then,
    once the fields are all there, the rules. Problems name fields by their playbook key."""
    changes, problems = _split(record, transition, data)
    object_type = _object_type(record)
    changed: list[c.FieldChange] = []
    try:
        changed = c.apply_changes(
            record,
            changes,
            cleaners=LEAD_FIELDS if isinstance(record, Lead) else DEAL_FIELDS,
            actor=actor,
            playbook=playbook_of(record),
            object_type=object_type,
        )
    except InvalidInput as exc:
        problems += [
            FieldProblem(p.field.removeprefix("custom."), p.code, p.message) for p in exc.problems
        ]
    values = field_values(record, object_type)
    named = {p.field for p in problems}
    problems += [
        FieldProblem(key, "required", _("This transition requires a value."))
        for key in engine.missing_required(transition, {**values, **data})
        if key not in named
    ]
    if not problems:  # rules read the required fields; judge them once those are there
        problems = [
            FieldProblem("transition", "rule", rule.message.for_language(_language()))
            for rule in engine.failing_rules(transition, values, today_of(record))
        ]
    if problems:
        raise InvalidInput(problems)
    return changed


def _find(pipeline: Pipeline, record: StagedRecord, key: str, actor: User) -> Transition:
    transition = pipeline.transition(key) if isinstance(key, str) else None
    if transition is None:
        raise InvalidInput.single("transition", "unknown", _("No such transition."))
    view = record_view(record)
    if not engine.starts_here(pipeline, transition, view):
        raise Conflict(
            _("The record is no longer where this transition starts (now: %(stage)s).")
            % {"stage": ".".join(p for p in (record.stage, record.substate) if p)},
            code="stale_stage",
        )
    if not engine.may_take(transition, actor_of(actor), view):
        raise PermissionDenied(_("You may not take this transition."))
    return transition


@transaction.atomic
def record_transition[R: Lead | Deal](
    record: R,
    *,
    transition: str,
    data: Mapping[str, Any],
    actor: User,
    approved: ApprovalRequest | None = None,
) -> TransitionResult[R]:
    # The transition's events are written with one INSERT and queued for the rules once, at
    # the end, not one by one.
    with rules_batch():
        return _transition(record, transition, data, actor, approved)


def _transition[R: Lead | Deal](
    record: R,
    transition: str,
    data: Mapping[str, Any],
    actor: User,
    approved: ApprovalRequest | None,
) -> TransitionResult[R]:
    record = lock_visible(actor, record_type_of(record), record.pk)
    pipeline = pipeline_of(record)
    found = _find(pipeline, record, transition, actor)
    changed = _check_values(record, found, data, actor)
    values = field_values(record, _object_type(record))
    today = today_of(record)
    if approved is None and engine.needs_approval(found, values, today):
        return TransitionResult(record, False, _request_approval(record, found, data, actor))

    changed += _system_set(record, found.set, actor)
    target_stage, target_sub = engine.target_of(pipeline, found)
    stage = pipeline.stage(target_stage)
    assert stage is not None  # checked when the playbook loaded
    at = now()
    record.updated_at = at
    log_changes(record_type_of(record), record, changed, actor)
    # Tasks the transition finishes are completed before the stage is left, so that leaving it
    # does not cancel them.
    _complete_listed(record, found, actor, response=stage.kind == StageKind.OPEN)
    if target_stage != record.stage:
        _enter_stage(record, stage, target_sub, found, actor, approved)
    elif target_sub != record.substate:
        _change_substate(record, target_sub, found, actor)
    record.save()
    conversion = playbook_of(record).object(ObjectType.LEAD).conversion
    if isinstance(record, Lead) and conversion and conversion.transition == found.key:
        lead_convert(record, conversion, actor=actor)
    record_timers_refresh(record_type_of(record), record)
    return TransitionResult(record, True, None)


def _language() -> str:
    from django.utils.translation import get_language

    return get_language() or "en"


def _system_set(
    record: StagedRecord, values: Mapping[str, Any], actor: User
) -> list[c.FieldChange]:
    """Values a transition or stage sets by itself; checked when the playbook loaded, and set
    whoever the actor is (a rep's transition may set a manager-only flag)."""
    if not values:
        return []
    merged = dict(record.custom or {})
    changes = []
    for key, value in values.items():
        if merged.get(key) != value:
            changes.append(c.FieldChange(f"custom.{key}", merged.get(key), value))
            merged[key] = value
    record.custom = merged
    return changes


def _enter_stage(
    record: StagedRecord,
    stage: Stage,
    substate: str,
    transition: Transition | None,
    actor: User,
    approved: ApprovalRequest | None,
    exception_reason: str | None = None,
    merged_into: int | None = None,
) -> None:
    at = record.updated_at
    previous, previous_sub = record.stage, record.substate
    record_type = record_type_of(record)
    common: dict[str, Any] = {"pipeline": record.pipeline}
    if transition is not None:
        common["transition"] = transition.key
    if approved is not None:
        common["approval"] = approved.pk
    if exception_reason is not None:
        common["exception"] = exception_reason
    if merged_into is not None:
        # A merge closing the absorbed lead: logged as a documented move, but not a manager's
        # exception to the process (the reports count those, S-16).
        common["merged_into"] = merged_into
    event_log(
        record_type=record_type,
        record_id=record.pk,
        kind=EventKind.STAGE_LEFT,
        actor=actor,
        occurred_at=at,
        data={
            **common,
            "stage": previous,
            "substate": previous_sub,
            "to": stage.key,
            "days_in_stage": round((at - record.stage_entered_at).total_seconds() / 86400, 4),
            # The stay on the playbook's calendar (S-23, S-41): working days only.
            "business_days": calendar_of(record).working_days_between(record.stage_entered_at, at),
        },
    )
    record.stage, record.substate, record.stage_entered_at = stage.key, substate, at
    if isinstance(record, Deal):
        record.closed_at = at if stage.kind != StageKind.OPEN else None
    event_log(
        record_type=record_type,
        record_id=record.pk,
        kind=EventKind.STAGE_ENTERED,
        actor=actor,
        occurred_at=at,
        data={**common, "stage": stage.key, "substate": substate, "from": previous},
    )
    record.custom = {**(record.custom or {}), **stage.on_enter.set}
    # Not saved here: the caller saves the record once, after the stage's effects (none of
    # which reads the record's row).
    tasks_cancel_outside(record, stage.key, actor=actor)
    _withdraw_pending(record, actor)
    if stage.kind != StageKind.OPEN:
        slas_end(record, actor=actor)
    tasks_create(record, stage.on_enter.tasks, actor=actor)


def _change_substate(
    record: StagedRecord, substate: str, transition: Transition, actor: User
) -> None:
    event_log(
        record_type=record_type_of(record),
        record_id=record.pk,
        kind=EventKind.SUBSTATE_CHANGED,
        actor=actor,
        data={
            "pipeline": record.pipeline,
            "stage": record.stage,
            "from": record.substate,
            "to": substate,
            "transition": transition.key,
        },
    )
    record.substate = substate


def _complete_listed(
    record: StagedRecord, transition: Transition, actor: User, *, response: bool
) -> None:
    """Complete the tasks the transition finishes. Into an open stage, a finished contact task
    is the customer's response (S-17); disqualifying or losing a record is not."""
    if not transition.completes_tasks:
        return
    link = record_link(record)
    tasks = Activity.objects.select_for_update().filter(
        **link, status=ActivityStatus.OPEN, template_key__in=transition.completes_tasks
    )
    at = now()
    for task in tasks:
        task.status = ActivityStatus.DONE
        task.completed_at = task.occurred_at = task.updated_at = at
        task.summary = _("Done by the transition “%(label)s”.") % {
            "label": transition.label.for_language(_language())
        }
        task.save()
        task_timer_sync(task)
        event_log(
            record_type=record_type_of(record),
            record_id=record.pk,
            kind=EventKind.ACTIVITY_COMPLETED,
            actor=actor,
            data={
                "activity": task.pk,
                "kind": task.kind,
                "subject": task.subject,
                "template": task.template_key,
                "transition": transition.key,
            },
        )
        after_completion(task, record, actor=actor)
        if response:
            slas_note_contact(task, record, actor=actor)


def _request_approval(
    record: StagedRecord, transition: Transition, data: Mapping[str, Any], actor: User
) -> ApprovalRequest:
    link = record_link(record)
    if ApprovalRequest.objects.filter(**link, status=ApprovalStatus.PENDING).exists():
        raise Conflict(
            _("An approval is already pending for this record."), code="approval_pending"
        )
    assert transition.approval is not None
    request = ApprovalRequest.objects.create(
        **link,
        transition=transition.key,
        data=jsonable(dict(data)),
        reason=transition.approval.reason.for_language(_language()),
        requested_by=actor,
        requested_at=now(),
    )
    event_log(
        record_type=record_type_of(record),
        record_id=record.pk,
        kind=EventKind.APPROVAL_REQUESTED,
        actor=actor,
        data={"approval": request.pk, "transition": transition.key, "reason": request.reason},
    )
    return request


def _withdraw_pending(record: StagedRecord, actor: User) -> None:
    link = record_link(record)
    for request in ApprovalRequest.objects.filter(**link, status=ApprovalStatus.PENDING):
        request.status = ApprovalStatus.WITHDRAWN
        request.decided_at = now()
        request.comment = _("The record moved on before a decision.")
        request.save()
        event_log(
            record_type=record_type_of(record),
            record_id=record.pk,
            kind=EventKind.APPROVAL_DECIDED,
            actor=actor,
            data={
                "approval": request.pk,
                "status": request.status,
                "transition": request.transition,
            },
        )


def may_decide(actor: User, record: StagedRecord) -> bool:
    """The owner's manager (or an admin) decides approvals and authorises exceptions."""
    if actor.is_admin:
        return True
    return actor.is_manager and can_see_owner(actor, record.owner) and actor.pk != record.owner_id


@transaction.atomic
def approval_decide(
    request: ApprovalRequest, *, actor: User, approve: bool, comment: str
) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    record: Lead | Deal
    if request.deal is not None:
        record = request.deal
    elif request.lead is not None:
        record = request.lead
    else:  # excluded by the approval_is_about_one_record constraint
        raise Conflict(_("This approval is about no record."))
    if not may_decide(actor, record):
        raise PermissionDenied(_("Only the owner's manager may decide this approval."))
    if request.requested_by_id == actor.pk and not actor.is_admin:
        # Four eyes: whoever asked for the approval does not give it.
        raise PermissionDenied(_("You cannot decide your own approval request."))
    if request.status != ApprovalStatus.PENDING:
        raise Conflict(_("This approval was decided already."), code="decided")
    if not approve and not comment.strip():
        raise InvalidInput.single("comment", "required", _("Say why you reject it."))
    request.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    request.decided_by, request.decided_at, request.comment = actor, now(), comment.strip()
    request.save()
    event_log(
        record_type=record_type_of(record),
        record_id=record.pk,
        kind=EventKind.APPROVAL_DECIDED,
        actor=actor,
        data={
            "approval": request.pk,
            "status": request.status,
            "comment": request.comment,
            "transition": request.transition,
        },
    )
    if approve:
        # The approved transition runs as the requester, with what they submitted; if the record
        # moved meanwhile this fails and the whole decision is rolled back.
        try:
            record_transition(
                record,
                transition=request.transition,
                data=request.data,
                actor=request.requested_by,
                approved=request,
            )
        except (NotFound, PermissionDenied):
            raise Conflict(
                _(
                    "The requester may no longer take this transition (reassigned or inactive); "
                    "reject the request and take the transition yourself."
                ),
                code="requester_cannot_act",
            ) from None
    return request


@transaction.atomic
def record_exception_move(
    record: StagedRecord, *, to_stage: str, reason: str, actor: User
) -> StagedRecord:
    """A manager's documented exception (S-16): move a record to any stage of its pipeline
    outside the allowed transitions. Logged as an exception with the reason."""
    record = lock_visible(actor, record_type_of(record), record.pk)
    if not may_decide(actor, record):
        raise PermissionDenied(_("Only the owner's manager may authorise an exception."))
    reason = reason.strip()
    if not reason:
        raise InvalidInput.single("reason", "required", _("Document why the exception is made."))
    pipeline = pipeline_of(record)
    stage = pipeline.stage(to_stage) if isinstance(to_stage, str) else None
    if stage is None:
        raise InvalidInput.single("stage", "unknown_stage", _("No such stage in this pipeline."))
    if stage.key == record.stage:
        raise InvalidInput.single("stage", "same_stage", _("The record is already in this stage."))
    record_move_documented(record, stage, reason=reason, actor=actor)
    return record


def record_move_documented(
    record: StagedRecord,
    stage: Stage,
    *,
    reason: str,
    actor: User,
    merged_into: int | None = None,
) -> None:
    """Move a locked record to `stage` outside the transitions, logged with `reason` as an
    exception: what a stage change does (events, tasks, clocks, timers) all happens. The
    caller has checked who may (a manager's exception; a merge closing the absorbed lead, which
    names the lead kept in `merged_into`)."""
    with rules_batch():
        record.updated_at = now()
        _enter_stage(
            record,
            stage,
            stage.substates[0].key if stage.substates else "",
            None,
            actor,
            None,
            exception_reason=reason,
            merged_into=merged_into,
        )
        record.save()
        record_timers_refresh(record_type_of(record), record)
