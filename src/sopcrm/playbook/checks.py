"""Checks a schema cannot express, each reported at the position of the offending key:
keys unique within their lists, references that resolve (stages, fields, task templates,
anchors), stages reachable, closed stages final, task anchors free of cycles, conditions that
parse and fit the field types, values that fit their fields, a calendar that exists. Email
templates are checked in template_checks.py."""

from collections.abc import Iterator, Sequence
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from sopcrm.core.fieldtypes import FieldType, FieldValueError, clean_value

from .automation_checks import AutomationChecker
from .core_fields import CORE_FIELDS, REQUIRABLE_CORE_FIELDS
from .hints import did_you_mean, duplicates
from .intake_checks import IntakeChecker
from .loader import PathKey, Problem, SourceMap
from .report_checks import report_problems
from .schema import (
    ActorName,
    ObjectDef,
    ObjectType,
    Pipeline,
    Playbook,
    StageKind,
    Transition,
)
from .template_checks import email_template_problems


class _ObjectChecker:
    def __init__(
        self, object_type: ObjectType, obj: ObjectDef, source: SourceMap, playbook: Playbook
    ) -> None:
        self.object_type = object_type
        self.obj = obj
        self.source = source
        self.base: PathKey = ("objects", object_type.value)
        self.custom_types = {f.key: f.type for f in obj.fields}
        self.types: dict[str, FieldType] = {**CORE_FIELDS[object_type], **self.custom_types}
        self.task_keys = [t.key for t in obj.tasks]
        self.playbook = playbook

    def problem(self, path: PathKey, message: str, hint: str = "") -> Problem:
        return self.source.problem((*self.base, *path), message, hint)

    def run(self) -> Iterator[Problem]:
        yield from self.fields()
        yield from self.tasks()
        yield from self.task_refs(self.obj.on_create.tasks, ("on_create", "tasks"))
        yield from self.values(self.obj.on_create.set, ("on_create", "set"))
        for index, key in duplicates([p.key for p in self.obj.pipelines]):
            yield self.problem(("pipelines", index, "key"), f"pipeline '{key}' twice")
        unconditional = [i for i, p in enumerate(self.obj.pipelines) if p.when is None]
        if self.obj.pipelines and not unconditional:
            yield self.problem(
                ("pipelines",), "no default pipeline", "leave 'when' off one pipeline"
            )
        for index in unconditional[1:]:
            yield self.problem(
                ("pipelines", index),
                "only one pipeline may have no 'when'",
                "give this pipeline a 'when' condition",
            )
        for index, pipeline in enumerate(self.obj.pipelines):
            yield from self.pipeline(pipeline, ("pipelines", index))
        yield from AutomationChecker(self, self.playbook).run()
        yield from IntakeChecker(self, self.playbook).run()
        yield from report_problems(self)

    def fields(self) -> Iterator[Problem]:
        for index, key in duplicates([f.key for f in self.obj.fields]):
            yield self.problem(("fields", index, "key"), f"field '{key}' is defined twice")
        for index, field in enumerate(self.obj.fields):
            at: PathKey = ("fields", index)
            if field.key in CORE_FIELDS[self.object_type]:
                yield self.problem(
                    (*at, "key"),
                    f"'{field.key}' is a built-in field of a {self.object_type}",
                    "choose another key",
                )
            needs_options = field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
            if needs_options and not field.options:
                yield self.problem(
                    (*at, "type"), f"a {field.type} field needs options", "add 'options: [...]'"
                )
            if field.options and not needs_options:
                yield self.problem((*at, "options"), f"a {field.type} field takes no options")
            for o_index, key in duplicates(field.option_keys):
                yield self.problem((*at, "options", o_index, "key"), f"option '{key}' twice")
            if not set(field.editable_by) <= set(field.visible_to):
                yield self.problem(
                    (*at, "editable_by"),
                    "a role may edit a field it cannot see",
                    "list in editable_by only roles that are in visible_to",
                )

    def tasks(self) -> Iterator[Problem]:
        for index, key in duplicates(self.task_keys):
            yield self.problem(("tasks", index, "key"), f"task template '{key}' twice")
        for index, template in enumerate(self.obj.tasks):
            at: PathKey = ("tasks", index, "due", "from")
            anchor = template.due.from_
            if anchor == "received" and self.object_type != ObjectType.LEAD:
                yield self.problem(at, "only a lead has a received time", "use 'created'")
            if template.due.anchor_field is not None:
                kind = self.types.get(template.due.anchor_field)
                if kind is None:
                    yield self.problem(
                        at,
                        f"unknown anchor field '{template.due.anchor_field}'",
                        did_you_mean(template.due.anchor_field, list(self.types)),
                    )
                elif kind not in (FieldType.DATE, FieldType.DATETIME):
                    yield self.problem(
                        at,
                        f"anchor field '{template.due.anchor_field}' is a "
                        f"{kind} field; a date or datetime is needed",
                    )
            if (
                template.due.anchor_task is not None
                and template.due.anchor_task not in self.task_keys
            ):
                yield self.problem(
                    at,
                    f"unknown anchor task '{template.due.anchor_task}'",
                    did_you_mean(template.due.anchor_task, self.task_keys),
                )
        yield from self.task_cycles()
        stage_keys = {s.key for p in self.obj.pipelines for s in p.stages}
        substate_keys = {
            sub.key for p in self.obj.pipelines for s in p.stages for sub in s.substates
        }
        for index, template in enumerate(self.obj.tasks):
            for a_index, key in enumerate(template.active_in):
                if key not in stage_keys:
                    yield self.problem(
                        ("tasks", index, "active_in", a_index),
                        f"unknown stage '{key}'",
                        did_you_mean(key, sorted(stage_keys)),
                    )
            target = template.on_complete.substate
            if target is not None and target not in substate_keys:
                yield self.problem(
                    ("tasks", index, "on_complete", "substate"),
                    f"unknown sub-state '{target}'",
                    did_you_mean(target, sorted(substate_keys)),
                )

    def task_cycles(self) -> Iterator[Problem]:
        follows = {t.key: t.due.anchor_task for t in self.obj.tasks}
        reported: set[str] = set()
        for index, template in enumerate(self.obj.tasks):
            chain = [template.key]
            current = follows.get(template.key)
            while current is not None and current in follows and current not in chain:
                chain.append(current)
                current = follows.get(current)
            if current == template.key and template.key not in reported:
                reported.update(chain)
                yield self.problem(
                    ("tasks", index, "due", "from"),
                    "task anchors form a cycle: " + " -> ".join([*chain, template.key]),
                    "anchor one of them on the stage or a field instead",
                )

    def task_refs(self, keys: Sequence[str], path: PathKey) -> Iterator[Problem]:
        for index, key in enumerate(keys):
            if key not in self.task_keys:
                yield self.problem(
                    (*path, index),
                    f"unknown task template '{key}'",
                    did_you_mean(key, self.task_keys),
                )

    def values(self, values: dict[str, Any], path: PathKey) -> Iterator[Problem]:
        for key, value in values.items():
            definition = self.obj.field(key)
            if definition is None:
                yield self.problem(
                    (*path, key),
                    f"unknown field '{key}'",
                    did_you_mean(key, list(self.custom_types)),
                )
                continue
            try:
                clean_value(definition.type, value, definition.option_keys)
            except FieldValueError as exc:
                yield self.problem((*path, key), f"bad value for '{key}': {exc.message}")

    def condition(self, text: str, path: PathKey) -> Iterator[Problem]:
        from .conditions import ConditionError, parse_condition

        try:
            errors = parse_condition(text).check(self.types)
        except ConditionError as exc:
            errors = [exc]
        for error in errors:
            yield self.problem(path, f"condition: {error.message}")

    def pipeline(self, pipeline: Pipeline, at: PathKey) -> Iterator[Problem]:
        if pipeline.when is not None:
            yield from self.condition(pipeline.when, (*at, "when"))
        for index, key in duplicates([s.key for s in pipeline.stages]):
            yield self.problem((*at, "stages", index, "key"), f"stage '{key}' twice")
        if pipeline.initial_stage.kind != StageKind.OPEN:
            yield self.problem(
                (*at, "stages", 0, "kind"), "the first stage, where records start, must be open"
            )
        for index, stage in enumerate(pipeline.stages):
            s_at: PathKey = (*at, "stages", index)
            for sub_index, key in duplicates([s.key for s in stage.substates]):
                yield self.problem(
                    (*s_at, "substates", sub_index, "key"), f"sub-state '{key}' twice"
                )
            yield from self.task_refs(stage.on_enter.tasks, (*s_at, "on_enter", "tasks"))
            yield from self.values(stage.on_enter.set, (*s_at, "on_enter", "set"))
        yield from self.transitions(pipeline, at)

    def _position(self, pipeline: Pipeline, text: str) -> tuple[str, str | None] | None:
        """(stage, sub-state) named by 'stage' or 'stage.substate', or None if unknown."""
        stage_key, _dot, sub_key = text.partition(".")
        stage = pipeline.stage(stage_key)
        if stage is None or (sub_key and stage.substate(sub_key) is None):
            return None
        return stage_key, sub_key or None

    def transitions(self, pipeline: Pipeline, at: PathKey) -> Iterator[Problem]:
        stage_keys = [s.key for s in pipeline.stages]
        positions = stage_keys + [
            f"{s.key}.{sub.key}" for s in pipeline.stages for sub in s.substates
        ]
        for index, key in duplicates([t.key for t in pipeline.transitions]):
            yield self.problem((*at, "transitions", index, "key"), f"transition '{key}' twice")
        edges: dict[str, set[str]] = {key: set() for key in stage_keys}
        requirable = set(self.custom_types) | REQUIRABLE_CORE_FIELDS[self.object_type]
        for index, transition in enumerate(pipeline.transitions):
            t_at: PathKey = (*at, "transitions", index)
            target = self._position(pipeline, transition.to)
            if target is None:
                yield self.problem(
                    (*t_at, "to"),
                    f"unknown stage '{transition.to}'",
                    did_you_mean(transition.to, positions),
                )
            for f_index, origin in enumerate(transition.from_):
                if origin == "*":
                    sources = [s.key for s in pipeline.stages if s.kind == StageKind.OPEN]
                else:
                    found = self._position(pipeline, origin)
                    if found is None:
                        yield self.problem(
                            (*t_at, "from", f_index),
                            f"unknown stage '{origin}'",
                            did_you_mean(origin, positions),
                        )
                        continue
                    sources = [found[0]]
                    stage = pipeline.stage(found[0])
                    if stage is not None and stage.kind != StageKind.OPEN:
                        yield self.problem(
                            (*t_at, "from", f_index),
                            f"'{found[0]}' is a {stage.kind} stage; a closed stage is final",
                            "reopen a deal through a manager's exception instead",
                        )
                if target is not None:
                    for origin_stage in sources:
                        edges[origin_stage].add(target[0])
            for list_name in ("requires", "optional"):
                for r_index, field in enumerate(getattr(transition, list_name)):
                    if field not in requirable:
                        yield self.problem(
                            (*t_at, list_name, r_index),
                            f"the transition asks for '{field}', which is not a field",
                            did_you_mean(field, sorted(requirable)),
                        )
            for r_index, rule in enumerate(transition.rules):
                yield from self.condition(rule.when, (*t_at, "rules", r_index, "when"))
            if transition.approval is not None:
                yield from self.condition(transition.approval.when, (*t_at, "approval", "when"))
            if not transition.allowed:
                yield self.problem((*t_at, "allowed"), "nobody may take this transition")
            yield from self.values(transition.set, (*t_at, "set"))
            yield from self.task_refs(transition.completes_tasks, (*t_at, "completes_tasks"))
            if transition.my_day is not None:
                yield from self.my_day(pipeline, transition, t_at)
        if pipeline.transitions:
            yield from self.unreachable(pipeline, edges, at)

    def my_day(self, pipeline: Pipeline, transition: Transition, at: PathKey) -> Iterator[Problem]:
        """My day lists the owner's own records waiting for the transition: the owner must be
        allowed to take it, and a to-do list never asks anyone to lose a deal."""
        if ActorName.OWNER not in transition.allowed:
            yield self.problem(
                (*at, "my_day"),
                "My day lists the owner's records for this transition, but the owner may not "
                "take it",
                "add owner to 'allowed' or remove 'my_day'",
            )
        target = pipeline.stage(transition.to.partition(".")[0])
        if target is not None and target.kind == StageKind.LOST:
            yield self.problem(
                (*at, "my_day"),
                f"'{target.key}' is a lost stage; My day lists steps forward",
                "remove 'my_day' from this transition",
            )

    def unreachable(
        self, pipeline: Pipeline, edges: dict[str, set[str]], at: PathKey
    ) -> Iterator[Problem]:
        reached = {pipeline.initial_stage.key}
        frontier = [pipeline.initial_stage.key]
        while frontier:
            for nxt in edges.get(frontier.pop(), set()):
                if nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)
        for index, stage in enumerate(pipeline.stages):
            if stage.key not in reached:
                yield self.problem(
                    (*at, "stages", index, "key"),
                    f"stage '{stage.key}' cannot be reached from '{pipeline.initial_stage.key}'",
                    "add a transition into it or remove it",
                )


def _calendar_problems(playbook: Playbook, source: SourceMap) -> Iterator[Problem]:
    calendar = playbook.calendar
    at: PathKey = ("calendar",)
    try:
        ZoneInfo(calendar.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        yield source.problem(
            (*at, "time_zone"),
            f"unknown time zone '{calendar.time_zone}'",
            "use an IANA name such as Asia/Shanghai",
        )
    if calendar.country and calendar.country not in holidays.list_supported_countries():
        yield source.problem(
            (*at, "country"),
            f"no holiday data for country '{calendar.country}'",
            "use an ISO 3166 alpha-2 code such as CN",
        )
    for index, text in enumerate(calendar.working_hours):
        opens, closes = (
            time.fromisoformat(p) if p != "24:00" else time.max for p in text.split("-")
        )
        if opens >= closes:
            yield source.problem((*at, "working_hours", index), "a range must end after it starts")
    for name in ("holidays", "working_days"):
        for index, text in enumerate(getattr(calendar, name)):
            try:
                date.fromisoformat(text)
            except ValueError:
                yield source.problem((*at, name, index), f"'{text}' is not a date")


def semantic_problems(playbook: Playbook, source: SourceMap) -> Iterator[Problem]:
    yield from _calendar_problems(playbook, source)
    for object_type, obj in playbook.objects.items():
        yield from _ObjectChecker(object_type, obj, source, playbook).run()
    for index, key in duplicates([entry.key for entry in playbook.lists]):
        yield source.problem(("lists", index, "key"), f"list '{key}' twice")
    yield from email_template_problems(playbook, source)
