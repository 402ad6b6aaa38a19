"""What the record page and `GET /api/{deals,leads}/{id}/transitions` show: the transitions a
user may take now, each with exactly the fields its form asks for (type, options, current value,
required or optional), whether it may need approval, and the task completion requirements.

A read model over the playbook engine; writing goes through services.transitions.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language

from sopcrm.core.fieldtypes import FieldType
from sopcrm.core.models import User
from sopcrm.playbook.core_fields import CORE_FIELDS
from sopcrm.playbook.schema import ObjectType, Option, Transition
from sopcrm.process import engine
from sopcrm.process.fields import visible_field_keys

from .models import Activity, ApprovalRequest, ApprovalStatus, Deal, Lead
from .services.playbook_context import (
    actor_of,
    field_values,
    object_of,
    pipeline_of,
    playbook_of,
    record_link,
    record_type_of,
    record_view,
)
from .services.transitions import may_decide

# Labels of the built-in fields a transition may ask for, by the names playbooks use.
_CORE_LABELS = {
    "title": ("Title", "标题"),
    "amount": ("Amount", "金额"),
    "currency": ("Currency", "币种"),
    "expected_close_on": ("Expected close", "预计成交日期"),
    "name": ("Name", "姓名"),
    "company": ("Company", "公司"),
    "email": ("Email", "邮箱"),
    "phone": ("Phone", "电话"),
    "country": ("Country", "国家"),
    "message": ("Inquiry", "询盘内容"),
}


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    type: FieldType
    required: bool
    options: tuple[tuple[str, str], ...]  # (key, label)
    value: Any
    help: str


@dataclass(frozen=True)
class TransitionOption:
    key: str
    label: str
    to_stage: str
    to_stage_label: str
    to_substate: str
    fields: tuple[FormField, ...]
    approval_when: str | None
    approval_reason: str | None


def _language() -> str:
    return get_language() or "en"


def _options(options: tuple[Option, ...], language: str) -> tuple[tuple[str, str], ...]:
    return tuple((o.key, o.label.for_language(language)) for o in options)


def _form_fields(record: Lead | Deal, transition: Transition, user: User) -> tuple[FormField, ...]:
    object_type = ObjectType(record_type_of(record).value)
    obj = object_of(record)
    values = field_values(record, object_type)
    visible = visible_field_keys(user, playbook_of(record), object_type)
    language = _language()
    fields = []
    for key, required in [(k, True) for k in transition.requires] + [
        (k, False) for k in transition.optional
    ]:
        definition = obj.field(key)
        if definition is not None:
            fields.append(
                FormField(
                    key=key,
                    label=definition.label.for_language(language),
                    type=definition.type,
                    required=required,
                    options=_options(definition.options, language),
                    # A field the user may not see is asked for without showing its current value.
                    value=values.get(key) if key in visible else None,
                    help=definition.help.for_language(language) if definition.help else "",
                )
            )
        else:
            en, zh = _CORE_LABELS.get(key, (key, key))
            fields.append(
                FormField(
                    key=key,
                    label=zh if language.startswith("zh") else en,
                    type=CORE_FIELDS[object_type][key],
                    required=required,
                    options=(),
                    value=values.get(key),
                    help="",
                )
            )
    return tuple(fields)


def transition_options(user: User, record: Lead | Deal) -> list[TransitionOption]:
    """The transitions `user` may take on `record` now (the caller has checked visibility)."""
    pipeline = pipeline_of(record)
    language = _language()
    result = []
    for transition in engine.available_transitions(pipeline, record_view(record), actor_of(user)):
        stage_key, substate = engine.target_of(pipeline, transition)
        stage = pipeline.stage(stage_key)
        result.append(
            TransitionOption(
                key=transition.key,
                label=transition.label.for_language(language),
                to_stage=stage_key,
                to_stage_label=stage.label.for_language(language) if stage else stage_key,
                to_substate=substate,
                fields=_form_fields(record, transition, user),
                approval_when=transition.approval.when if transition.approval else None,
                approval_reason=(
                    transition.approval.reason.for_language(language)
                    if transition.approval
                    else None
                ),
            )
        )
    return result


def exception_stages(user: User, record: Lead | Deal) -> list[tuple[str, str]]:
    """The stages a manager may move the record to by a documented exception (S-16); empty for
    users who may not authorise exceptions."""
    if not may_decide(user, record):
        return []
    language = _language()
    return [
        (s.key, s.label.for_language(language))
        for s in pipeline_of(record).stages
        if s.key != record.stage
    ]


def pending_approval(record: Lead | Deal) -> ApprovalRequest | None:
    link = record_link(record)
    return (
        ApprovalRequest.objects.filter(**link, status=ApprovalStatus.PENDING)
        .select_related("requested_by", "deal", "lead")
        .first()
    )


def approval_reason(request: ApprovalRequest) -> str:
    """Why the request needs approval, in the reader's language (the stored text is in the
    requester's), from the playbook version of its record."""
    record = request.deal or request.lead
    if record is not None:
        transition = pipeline_of(record).transition(request.transition)
        if transition is not None and transition.approval is not None:
            return transition.approval.reason.for_language(_language())
    return request.reason


def task_completion_fields(task: Activity) -> tuple[str, ...]:
    """The outcome fields completing this task requires besides the summary (S-15)."""
    record = task.deal or task.lead
    if record is None or not task.template_key:
        return ()
    template = object_of(record).task(task.template_key)
    return tuple(f.value for f in template.completion_requires) if template else ()
