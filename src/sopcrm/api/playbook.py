"""The active playbook, read-only: the process every record follows (pipelines, stages,
transitions with their required fields, rules and approvals, task templates and their timing),
and its diagram. Any signed-in user may read it; applying a new version is the CLI's job
(`sopcrm playbook apply FILE`).
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Query, Router
from pydantic import BaseModel, ConfigDict

from sopcrm.playbook.diagram import playbook_diagrams
from sopcrm.playbook.schema import (
    ObjectDef,
    ObjectType,
    Pipeline,
    Playbook,
    Stage,
    TaskTemplate,
    Transition,
)
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import active_version, playbook_for_version

from .auth import actor
from .errors import responses
from .inputs import QueryInput
from .records import UtcDatetime

router = Router(tags=["playbook"])


class LanguageQuery(QueryInput):
    language: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2}([-_][A-Za-z]+)?$",
        description="`en` or `zh` (labels in other languages fall back to English); default: "
        "your language (Accept-Language, or your profile's for a token).",
    )


class VersionOut(BaseModel):
    key: str
    number: int
    applied_at: UtcDatetime
    source_name: str = Field(description="The file it was applied from.")


class KeyLabelOut(BaseModel):
    key: str
    label: str


class StageOut(BaseModel):
    key: str
    label: str
    kind: str = Field(description="`open`, `won` or `lost`.")
    probability: int = Field(description="Win probability in percent (S-06).")
    expected_days: int | None
    idle_days: int | None = Field(
        description="Days without an update after which the owner is reminded (S-23)."
    )
    substates: list[KeyLabelOut] = Field(description="The steps inside the stage, in order.")
    tasks: list[str] = Field(description="Task templates created on entering the stage.")


class RuleOut(BaseModel):
    when: str
    message: str


class ApprovalDefOut(BaseModel):
    when: str
    reason: str
    approver: str


class TransitionDefOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    key: str
    label: str
    from_: list[str] = Field(
        alias="from", description="Stages (or `stage.substate`) it starts from; `*` = any open."
    )
    to: str
    allowed: list[str] = Field(description="Who may take it: owner, rep, manager, admin.")
    requires: list[str]
    optional: list[str]
    rules: list[RuleOut]
    approval: ApprovalDefOut | None
    completes_tasks: list[str]


class PipelineOut(BaseModel):
    key: str
    label: str
    when: str | None = Field(description="The condition choosing this pipeline, if any (S-08).")
    stages: list[StageOut]
    transitions: list[TransitionDefOut]


class DueOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    after: str = Field(description="A duration, e.g. `24 hours`, `3 days`.")
    from_: str = Field(
        alias="from",
        description="The anchor: created, received, stage_entered, field.<key>, "
        "task.<template>.completed.",
    )
    clock: str = Field(description="calendar, working_days or working_hours (S-24).")


class TaskTemplateOut(BaseModel):
    key: str
    title: str
    description: str | None
    channel: str | None
    assignee: str
    due: DueOut
    active_in: list[str]
    keep_after_stage: bool
    completion_requires: list[str]
    on_complete_substate: str | None


class ObjectOut(BaseModel):
    object: ObjectType
    pipelines: list[PipelineOut]
    tasks: list[TaskTemplateOut]


class PlaybookOut(BaseModel):
    key: str
    name: str
    description: str | None
    version: VersionOut
    language: str
    objects: list[ObjectOut]


class DiagramOut(BaseModel):
    object: ObjectType
    pipeline: str
    mermaid: str = Field(description="A Mermaid `stateDiagram-v2`.")


class DiagramsOut(BaseModel):
    version: VersionOut
    language: str
    items: list[DiagramOut]


def _stage(stage: Stage, language: str) -> dict[str, Any]:
    return {
        "key": stage.key,
        "label": stage.label.for_language(language),
        "kind": stage.kind.value,
        "probability": stage.probability,
        "expected_days": stage.expected_days,
        "idle_days": stage.idle_days,
        "substates": [
            {"key": s.key, "label": s.label.for_language(language)} for s in stage.substates
        ],
        "tasks": list(stage.on_enter.tasks),
    }


def _transition(transition: Transition, language: str) -> dict[str, Any]:
    approval = transition.approval
    return {
        "key": transition.key,
        "label": transition.label.for_language(language),
        "from": list(transition.from_),
        "to": transition.to,
        "allowed": [a.value for a in transition.allowed],
        "requires": list(transition.requires),
        "optional": list(transition.optional),
        "rules": [
            {"when": r.when, "message": r.message.for_language(language)} for r in transition.rules
        ],
        "approval": (
            {
                "when": approval.when,
                "reason": approval.reason.for_language(language),
                "approver": approval.approver.value,
            }
            if approval is not None
            else None
        ),
        "completes_tasks": list(transition.completes_tasks),
    }


def _pipeline(pipeline: Pipeline, language: str) -> dict[str, Any]:
    return {
        "key": pipeline.key,
        "label": pipeline.label.for_language(language),
        "when": pipeline.when,
        "stages": [_stage(s, language) for s in pipeline.stages],
        "transitions": [_transition(t, language) for t in pipeline.transitions],
    }


def _task(template: TaskTemplate, language: str) -> dict[str, Any]:
    return {
        "key": template.key,
        "title": template.title.for_language(language),
        "description": (
            template.description.for_language(language) if template.description else None
        ),
        "channel": template.channel,
        "assignee": template.assignee.value,
        "due": {
            "after": template.due.after,
            "from": template.due.from_,
            "clock": template.due.clock.value,
        },
        "active_in": list(template.active_in),
        "keep_after_stage": template.keep_after_stage,
        "completion_requires": [c.value for c in template.completion_requires],
        "on_complete_substate": template.on_complete.substate,
    }


def _object(object_type: ObjectType, definition: ObjectDef, language: str) -> dict[str, Any]:
    return {
        "object": object_type,
        "pipelines": [_pipeline(p, language) for p in definition.pipelines],
        "tasks": [_task(t, language) for t in definition.tasks],
    }


def _active() -> tuple[PlaybookVersion, Playbook]:
    version = PlaybookVersion.objects.get(pk=active_version().pk)
    return version, playbook_for_version(version.pk)


def _version(version: PlaybookVersion) -> dict[str, Any]:
    return {
        "key": version.key,
        "number": version.number,
        "applied_at": version.applied_at,
        "source_name": version.source_name,
    }


def _language(params: LanguageQuery) -> str:
    return params.language or get_language() or "en"


@router.get("", response={200: PlaybookOut, **responses(401, 404, 422)}, by_alias=True)
def get_playbook(request: HttpRequest, params: Query[LanguageQuery]) -> dict[str, Any]:
    """The active playbook version and, per object, its pipelines (stages and transitions) and
    task templates, with labels in your language. Records created before the last version was
    applied may still run under an older one (their `playbook_version`)."""
    actor(request)
    version, playbook = _active()
    language = _language(params)
    return {
        "key": playbook.key,
        "name": playbook.name.for_language(language),
        "description": (
            playbook.description.for_language(language) if playbook.description else None
        ),
        "version": _version(version),
        "language": language,
        "objects": [
            _object(object_type, playbook.objects[object_type], language)
            for object_type in ObjectType
            if object_type in playbook.objects
        ],
    }


@router.get("/diagram", response={200: DiagramsOut, **responses(401, 404, 422)})
def get_playbook_diagram(request: HttpRequest, params: Query[LanguageQuery]) -> dict[str, Any]:
    """The active playbook as one Mermaid state diagram per pipeline: stages, sub-states and the
    transitions with the fields they require and their approval conditions."""
    actor(request)
    version, playbook = _active()
    language = _language(params)
    items = []
    for name, text in playbook_diagrams(playbook, language=language).items():
        object_type, _dot, pipeline = name.partition(".")
        items.append({"object": object_type, "pipeline": pipeline, "mermaid": text})
    return {"version": _version(version), "language": language, "items": items}
