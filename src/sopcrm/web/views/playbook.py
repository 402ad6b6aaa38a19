"""The playbook page: the active version and the version history, and per pipeline its
blueprint (a Mermaid diagram drawn in the browser from vendored files) with tables of stages,
transitions and the tasks the process creates, all labelled in the reader's language."""

import re
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopcrm.crm.records.models import Deal, Lead
from sopcrm.playbook.diagram import pipeline_diagram
from sopcrm.playbook.schema import (
    ActorName,
    Assignee,
    ClockName,
    DueDef,
    ObjectDef,
    ObjectType,
    Pipeline,
    StageKind,
    TaskTemplate,
    Transition,
)
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import playbook_for_version

from ..http import WebRequest
from .common import language

# Only leads and deals move through pipelines.
_STAGED = ((ObjectType.LEAD, Lead), (ObjectType.DEAL, Deal))
_DURATION_PART = re.compile(r"(\d+)\s*(d|day|days|h|hour|hours|m|min|minute|minutes)")
VERSION_LIMIT = 50


@dataclass(frozen=True)
class StageRow:
    key: str
    label: str
    kind: str
    kind_label: str
    probability: int
    expected_days: int | None
    idle_days: int | None
    steps: list[str]
    tasks: list[str]


@dataclass(frozen=True)
class TransitionRow:
    key: str
    label: str
    from_text: str
    to_text: str
    required: list[str]
    optional: list[str]
    rules: list[tuple[str, str]]  # (message, condition)
    approval: tuple[str, str] | None  # (reason, condition)
    who: str


@dataclass(frozen=True)
class TaskRow:
    key: str
    title: str
    due: str
    open_in: str
    assignee: str
    completion: str


@dataclass(frozen=True)
class PipelineSection:
    key: str
    label: str
    when: str
    diagram: str
    stages: list[StageRow]
    transitions: list[TransitionRow]


@dataclass(frozen=True)
class ObjectSection:
    key: str
    label: str
    pipelines: list[PipelineSection]
    tasks: list[TaskRow]


class _Labels:
    """Labels of one object's fields, stages and tasks in the reader's language."""

    def __init__(self, obj: ObjectDef, model: type[Lead] | type[Deal], lang: str) -> None:
        self.obj, self.model, self.lang = obj, model, lang
        self.stages = {s.key: s.label.for_language(lang) for p in obj.pipelines for s in p.stages}

    def field(self, key: str) -> str:
        definition = self.obj.field(key)
        if definition is not None:
            return definition.label.for_language(self.lang)
        try:
            return str(getattr(self.model._meta.get_field(key), "verbose_name", key)).capitalize()
        except FieldDoesNotExist:
            return key

    def task(self, key: str) -> str:
        template = self.obj.task(key)
        return template.title.for_language(self.lang) if template else key

    def position(self, pipeline: Pipeline, text: str) -> str:
        """'quoted' -> 'Quoted'; 'quoted.pending_2nd' -> 'Quoted · Pending 2nd follow-up'."""
        if text == "*":
            return _("any open stage")
        stage_key, _dot, sub_key = text.partition(".")
        stage = pipeline.stage(stage_key)
        if stage is None:
            return text
        label = stage.label.for_language(self.lang)
        sub = stage.substate(sub_key) if sub_key else None
        return f"{label} · {sub.label.for_language(self.lang)}" if sub else label


def _kind_label(kind: StageKind) -> str:
    return {StageKind.OPEN: _("Open"), StageKind.WON: _("Won"), StageKind.LOST: _("Lost")}[kind]


def _actor_label(actor: ActorName) -> str:
    return {
        ActorName.OWNER: _("owner"),
        ActorName.REP: _("any rep"),
        ActorName.MANAGER: _("the team's manager"),
        ActorName.ADMIN: _("admin"),
    }[actor]


def duration_text(text: str) -> str:
    """'1 day 4 hours' -> '1 day 4 hours' in the reader's language."""
    parts = []
    for number, unit in _DURATION_PART.findall(text):
        n = int(number)
        match unit[0]:
            case "d":
                parts.append(ngettext("%(n)d day", "%(n)d days", n) % {"n": n})
            case "h":
                parts.append(ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n})
            case _:
                parts.append(ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n})
    return " ".join(parts)


def _due_text(due: DueDef, labels: _Labels) -> str:
    if due.anchor_field:
        anchor = labels.field(due.anchor_field)
    elif due.anchor_task:
        anchor = _("“%(task)s” is completed") % {"task": labels.task(due.anchor_task)}
    else:
        anchor = {
            "created": _("creation"),
            "received": _("the inquiry arrived"),
            "stage_entered": _("entering the stage"),
        }.get(due.from_, due.from_)
    clock = {
        ClockName.CALENDAR: _("calendar time"),
        ClockName.WORKING_DAYS: _("working days"),
        ClockName.WORKING_HOURS: _("working hours"),
    }[due.clock]
    return _("%(after)s after %(anchor)s (%(clock)s)") % {
        "after": duration_text(due.after),
        "anchor": anchor,
        "clock": clock,
    }


def _task_row(template: TaskTemplate, labels: _Labels) -> TaskRow:
    if template.keep_after_stage:
        open_in = _("until done, also after the stage")
    elif template.active_in:
        open_in = ", ".join(labels.stages.get(k, k) for k in template.active_in)
    else:
        open_in = _("the stage it is created in")
    completion = {
        "channel": _("channel"),
        "feedback_type": _("customer feedback"),
        "new_information": _("new information"),
    }
    return TaskRow(
        key=template.key,
        title=template.title.for_language(labels.lang),
        due=_due_text(template.due, labels),
        open_in=open_in,
        assignee=_("owner") if template.assignee == Assignee.OWNER else _("the owner's manager"),
        completion=", ".join(completion[f.value] for f in template.completion_requires),
    )


def _transition_row(pipeline: Pipeline, transition: Transition, labels: _Labels) -> TransitionRow:
    lang = labels.lang
    approval = transition.approval
    return TransitionRow(
        key=transition.key,
        label=transition.label.for_language(lang),
        from_text=", ".join(labels.position(pipeline, o) for o in transition.from_),
        to_text=labels.position(pipeline, transition.to),
        required=[labels.field(k) for k in transition.requires],
        optional=[labels.field(k) for k in transition.optional],
        rules=[(r.message.for_language(lang), r.when) for r in transition.rules],
        approval=(approval.reason.for_language(lang), approval.when) if approval else None,
        who=", ".join(_actor_label(a) for a in transition.allowed),
    )


def _pipeline_section(pipeline: Pipeline, labels: _Labels) -> PipelineSection:
    lang = labels.lang
    return PipelineSection(
        key=pipeline.key,
        label=pipeline.label.for_language(lang),
        when=pipeline.when or "",
        diagram=pipeline_diagram(pipeline, language=lang, obj=labels.obj),
        stages=[
            StageRow(
                key=s.key,
                label=s.label.for_language(lang),
                kind=s.kind.value,
                kind_label=_kind_label(s.kind),
                probability=s.probability,
                expected_days=s.expected_days,
                idle_days=s.idle_days,
                steps=[sub.label.for_language(lang) for sub in s.substates],
                tasks=[labels.task(k) for k in s.on_enter.tasks],
            )
            for s in pipeline.stages
        ],
        transitions=[_transition_row(pipeline, t, labels) for t in pipeline.transitions],
    )


@login_required
def playbook_page(request: WebRequest) -> HttpResponse:
    lang = language()
    versions = list(
        PlaybookVersion.objects.select_related("applied_by")
        .defer("source", "compiled")
        .order_by("-applied_at", "-number")[:VERSION_LIMIT]
    )
    active = next((v for v in versions if v.is_active), None)
    if active is None:  # more than VERSION_LIMIT applied since, or none at all
        active = PlaybookVersion.objects.select_related("applied_by").filter(is_active=True).first()
    objects = []
    playbook = playbook_for_version(active.pk) if active else None
    if playbook is not None:
        for object_type, model in _STAGED:
            obj = playbook.object(object_type)
            labels = _Labels(obj, model, lang)
            objects.append(
                ObjectSection(
                    key=object_type.value,
                    label=str(model._meta.verbose_name_plural).capitalize(),
                    pipelines=[_pipeline_section(p, labels) for p in obj.pipelines],
                    tasks=[_task_row(t, labels) for t in obj.tasks],
                )
            )
    return render(
        request,
        "web/playbook.html",
        {
            "title": _("Playbook"),
            "active": active,
            "playbook_name": playbook.name.for_language(lang) if playbook else "",
            "playbook_description": (
                playbook.description.for_language(lang) if playbook and playbook.description else ""
            ),
            "versions": versions,
            "objects": objects,
        },
    )
