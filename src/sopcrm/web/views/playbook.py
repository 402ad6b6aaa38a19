"""The playbook page: the active version and the version history, and per pipeline its
blueprint (a Mermaid diagram drawn in the browser from vendored files) with tables of stages,
transitions and the tasks the process creates, all labelled in the reader's language. Each
version of the history has a page of its own, built the same way, with what the active version
changed since."""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopcrm.crm.records.models import Account, Contact, Deal, Lead
from sopcrm.playbook.diagram import pipeline_diagram
from sopcrm.playbook.diff import playbook_diff
from sopcrm.playbook.schema import (
    ActorName,
    Assignee,
    ClockName,
    DueDef,
    ObjectDef,
    ObjectType,
    Pipeline,
    Playbook,
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
_MODELS: dict[str, type[Account | Contact | Lead | Deal]] = {
    ObjectType.LEAD.value: Lead,
    ObjectType.DEAL.value: Deal,
    ObjectType.ACCOUNT.value: Account,
    ObjectType.CONTACT.value: Contact,
}
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


def _version_history() -> list[PlaybookVersion]:
    return list(
        PlaybookVersion.objects.select_related("applied_by")
        .defer("source", "compiled")
        .order_by("-applied_at", "-number")[:VERSION_LIMIT]
    )


def _active(versions: list[PlaybookVersion]) -> PlaybookVersion | None:
    active = next((v for v in versions if v.is_active), None)
    if active is None:  # more than VERSION_LIMIT applied since, or none at all
        active = PlaybookVersion.objects.select_related("applied_by").filter(is_active=True).first()
    return active


def _version_context(version: PlaybookVersion, lang: str) -> dict[str, Any]:
    """What the page shows of one version: its name, and per staged object its pipelines
    (blueprint, stages, transitions) and task templates. The active version and an old one are
    shown by the same builder and template."""
    playbook = playbook_for_version(version.pk)
    objects = []
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
    return {
        "shown": version,
        "playbook_name": playbook.name.for_language(lang),
        "playbook_description": (
            playbook.description.for_language(lang) if playbook.description else ""
        ),
        "objects": objects,
    }


@login_required
def playbook_page(request: WebRequest) -> HttpResponse:
    lang = language()
    versions = _version_history()
    active = _active(versions)
    context: dict[str, Any] = {
        "title": _("Playbook"),
        "active": active,
        "versions": versions,
        "shown": None,
    }
    if active is not None:
        context.update(_version_context(active, lang))
    return render(request, "web/playbook.html", context)


@login_required
def playbook_version_page(request: WebRequest, number: int) -> HttpResponse:
    """One applied version, shown like the active one; an old one is marked "not active" with
    when it was applied and replaced, and what the active version changed since. Version
    numbers count per playbook: `?key=` names another playbook than the active one."""
    lang = language()
    versions = _version_history()
    active = _active(versions)
    key = request.GET.get("key") or (active.key if active else "")
    version = (
        PlaybookVersion.objects.select_related("applied_by")
        .defer("source", "compiled")
        .filter(key=key, number=number)
        .first()
    )
    if version is None:
        raise Http404(_("No such playbook version."))
    # Only one version is active at a time: the next one applied is the one that replaced it.
    replaced_by = (
        None
        if version.is_active
        else PlaybookVersion.objects.defer("source", "compiled")
        .filter(applied_at__gte=version.applied_at)
        .exclude(pk=version.pk)
        .order_by("applied_at", "number")
        .first()
    )
    context: dict[str, Any] = {
        "title": _("Playbook version %(number)s") % {"number": version.number},
        "active": active,
        "versions": versions,
        "replaced_by": replaced_by,
        **_version_context(version, lang),
    }
    if active is not None and not version.is_active and active.key == version.key:
        context["changes"] = _changes(version, active, lang)
    return render(request, "web/playbook.html", context)


@dataclass(frozen=True)
class ChangeGroup:
    label: str
    added: list[str]
    removed: list[str]
    changed: list[str]


def _changes(old: PlaybookVersion, new: PlaybookVersion, lang: str) -> list[ChangeGroup]:
    """What the active version (`new`) changed against `old`: stages, transitions, task
    templates and fields added, removed or changed, by label (keys where none is found)."""
    before, after = playbook_for_version(old.pk), playbook_for_version(new.pk)
    sections = playbook_diff(before, after).sections
    names = {
        "stages": _("Stages"),
        "transitions": _("Transitions"),
        "tasks": _("Task templates"),
        "fields": _("Fields"),
    }
    return [
        ChangeGroup(
            label=label,
            added=[_item_label(after, section, item, lang) for item in sections[section].added],
            removed=[
                _item_label(before, section, item, lang) for item in sections[section].removed
            ],
            changed=[_item_label(after, section, item, lang) for item in sections[section].changed],
        )
        for section, label in names.items()
        if sections[section]
    ]


def _item_label(playbook: Playbook, section: str, item: str, lang: str) -> str:
    """'deal.export.quoted' -> 'Deals · Quoted'; 'lead.first_contact' -> 'Leads · First contact'."""
    object_key, _dot, rest = item.partition(".")
    obj = playbook.object(object_key)
    model = _MODELS.get(object_key)
    prefix = str(model._meta.verbose_name_plural).capitalize() if model else object_key
    label: Any = None
    if section in ("stages", "transitions"):
        pipeline_key, _dot, key = rest.partition(".")
        pipeline = obj.pipeline(pipeline_key)
        if pipeline is not None:
            found = pipeline.stage(key) if section == "stages" else pipeline.transition(key)
            label = found.label if found is not None else None
    elif section == "tasks":
        task = obj.task(rest)
        label = task.title if task is not None else None
    else:
        field = obj.field(rest)
        label = field.label if field is not None else None
    return f"{prefix} · {label.for_language(lang) if label is not None else rest}"
