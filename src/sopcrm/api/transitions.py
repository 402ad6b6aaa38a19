"""Moving leads and deals through the playbook (S-07..S-16, S-33): what the caller may do now,
doing it, and a manager's documented exception.

The endpoints live on the lead and deal routers (`/api/{leads,deals}/{id}/transitions` and
`/exception`); this module holds what they share. Every move goes through
services.transitions, so the API enforces exactly what the web UI does.
"""

from collections.abc import Collection
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Status
from pydantic import BaseModel

from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.events import jsonable
from sopcrm.core.fieldtypes import FieldType
from sopcrm.core.models import RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Deal, Lead
from sopcrm.crm.records.services.playbook_context import pipeline_of
from sopcrm.crm.records.services.transitions import record_exception_move, record_transition
from sopcrm.crm.records.transition_options import (
    FormField,
    TransitionOption,
    exception_stages,
    pending_approval,
    transition_options,
)

from .approvals import render_approval, transition_label
from .auth import actor
from .inputs import StrictInput
from .records import RecordKind, UtcDatetime, render_one, stage_labels


class KeyTextOut(BaseModel):
    # Not `OptionOut`: OpenAPI components are named by class, and fields.OptionOut (with a
    # bilingual label) would take this one's place in the schema.
    key: str
    label: str


class FormFieldOut(BaseModel):
    key: str = Field(description="The key to send in `data`.")
    label: str
    type: FieldType
    required: bool = Field(description="Must have a value once the transition is done.")
    options: list[KeyTextOut] = Field(description="For choice and multi_choice fields.")
    value: Any = Field(
        description="The record's current value (null if none, or if you may not see it)."
    )
    help: str


class ApprovalConditionOut(BaseModel):
    when: str = Field(description="The condition, e.g. `discount_percent > 20`.")
    reason: str


class TransitionOptionOut(BaseModel):
    key: str
    label: str
    to_stage: str
    to_stage_label: str
    to_substate: str | None
    to_substate_label: str | None
    fields: list[FormFieldOut] = Field(
        description="Exactly the fields this transition asks for; nothing else may be sent."
    )
    approval: ApprovalConditionOut | None = Field(
        description="Set if the transition waits for a manager's approval when `when` holds."
    )


class PendingApprovalOut(BaseModel):
    id: int
    transition: str
    transition_label: str
    requested_by: int
    requested_by_name: str
    requested_at: UtcDatetime


class TransitionsOut(BaseModel):
    record_type: str
    record_id: int
    pipeline: str
    stage: str
    stage_label: str
    substate: str | None
    substate_label: str | None
    pending_approval: PendingApprovalOut | None
    transitions: list[TransitionOptionOut] = Field(
        description="The transitions you may take now, in playbook order."
    )
    exception_stages: list[KeyTextOut] = Field(
        description="The stages you may move the record to by a documented exception (S-16): "
        "empty unless you are the owner's manager or an admin."
    )


class TransitionTake(StrictInput):
    transition: str = Field(description="The transition's key, e.g. `send_quote`.")
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Values of the fields the transition asks for, by key (see GET "
        "…/transitions): dates as `YYYY-MM-DD`, money as `{amount, currency}`, multi-choice "
        "as lists of option keys.",
    )


class ExceptionMove(StrictInput):
    stage: str = Field(description="The key of any other stage of the record's pipeline.")
    reason: str = Field(description="Why the standard path is left; required, logged.")


def _field_out(field: FormField) -> dict[str, Any]:
    return {
        "key": field.key,
        "label": field.label,
        "type": FieldType(field.type).value,
        "required": field.required,
        "options": [{"key": k, "label": label} for k, label in field.options],
        "value": jsonable({"v": field.value})["v"],
        "help": field.help,
    }


def _option_out(record: Lead | Deal, option: TransitionOption) -> dict[str, Any]:
    substate_label = None
    if option.to_substate:
        stage = pipeline_of(record).stage(option.to_stage)
        found = stage.substate(option.to_substate) if stage is not None else None
        substate_label = (
            found.label.for_language(get_language()) if found is not None else option.to_substate
        )
    return {
        "key": option.key,
        "label": option.label,
        "to_stage": option.to_stage,
        "to_stage_label": option.to_stage_label,
        "to_substate": option.to_substate or None,
        "to_substate_label": substate_label,
        "fields": [_field_out(f) for f in option.fields],
        "approval": (
            {"when": option.approval_when, "reason": option.approval_reason or ""}
            if option.approval_when is not None
            else None
        ),
    }


def transitions_of(request: HttpRequest, record_type: RecordType, record_id: int) -> dict[str, Any]:
    user = actor(request)
    record: Lead | Deal = selectors.record_get(user, record_type, record_id)
    stage_label, substate_label = stage_labels(record)
    pending = pending_approval(record)
    return {
        "record_type": record_type.value,
        "record_id": record.pk,
        "pipeline": record.pipeline,
        "stage": record.stage,
        "stage_label": stage_label,
        "substate": record.substate or None,
        "substate_label": substate_label,
        "pending_approval": (
            {
                "id": pending.pk,
                "transition": pending.transition,
                "transition_label": transition_label(record, pending.transition),
                "requested_by": pending.requested_by_id,
                "requested_by_name": str(pending.requested_by),
                "requested_at": pending.requested_at,
            }
            if pending is not None
            else None
        ),
        "transitions": [_option_out(record, o) for o in transition_options(user, record)],
        "exception_stages": [
            {"key": key, "label": label} for key, label in exception_stages(user, record)
        ],
    }


def _as_data_key(problem: FieldProblem, sent: Collection[str]) -> FieldProblem:
    # The service names a bad custom value `custom.<key>` and a missing one `<key>`; a client of
    # this endpoint sent both as `data.<key>`, so both are named by the key alone, as in GET. A
    # key the client sent keeps its name (even `custom.x`), and the nameless key "" is `data`.
    field = problem.field
    if field not in sent and field.startswith("custom."):
        field = field.removeprefix("custom.")
    return FieldProblem(field or "data", problem.code, problem.message)


def transition_take(
    request: HttpRequest, kind: RecordKind, record_id: int, payload: TransitionTake
) -> Status[dict[str, Any]]:
    user = actor(request)
    record = selectors.record_get(user, kind.record_type, record_id)
    try:
        result = record_transition(
            record, transition=payload.transition, data=payload.data, actor=user
        )
    except InvalidInput as exc:
        raise InvalidInput([_as_data_key(p, payload.data) for p in exc.problems]) from None
    if not result.executed:
        assert result.approval is not None
        return Status(202, render_approval(user, result.approval))
    return Status(
        200, render_one(user, kind, selectors.record_get(user, kind.record_type, record_id))
    )


def exception_take(
    request: HttpRequest, kind: RecordKind, record_id: int, payload: ExceptionMove
) -> dict[str, Any]:
    user = actor(request)
    record = selectors.record_get(user, kind.record_type, record_id)
    record_exception_move(record, to_stage=payload.stage, reason=payload.reason, actor=user)
    return render_one(user, kind, selectors.record_get(user, kind.record_type, record_id))


TAKE_DOC = """Take a transition with the values its form asks for (see GET …/transitions).

- `200` with the record when it moved;
- `202` with the approval request when the transition waits for a manager (S-33); the record
  stays where it is until the request is approved;
- `422` listing every missing or invalid field by its key (`fields[].field`), a broken playbook
  rule as field `transition` with code `rule`, an unknown transition as `transition`/`unknown`,
  a field the transition does not ask for as code `not_asked`;
- `409 stale_stage` if the record is no longer where the transition starts (someone moved it, or
  it skips a stage), `409 approval_pending` if this needs approval and a request is pending;
- `403` if your role may not take this transition, `404` for a record you may not see.

Nothing is changed by a refused request."""

EXCEPTION_DOC = """A documented exception (S-16): the owner's manager (or an admin) moves the
record to any other stage of its pipeline outside the allowed transitions, with a `reason`. It is
logged on the timeline with the reason; the new stage's tasks are created as usual. `403` for
anyone else; `422` without a reason or for an unknown stage or the current one."""
