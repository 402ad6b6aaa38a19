"""Checks of a playbook's automation (SLAs, cadences, rules, lists) that the schema cannot
express, each reported at the position of the offending key."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sopcrm.core.fieldtypes import FieldType

from .hints import did_you_mean, duplicates
from .loader import PathKey, Problem
from .schema import (
    SLA_TRIGGERS,
    Action,
    ObjectType,
    Playbook,
    RuleDef,
    TriggerKind,
)

if TYPE_CHECKING:
    from .checks import _ObjectChecker

# Which narrowing keys of a trigger apply to which trigger kinds.
_NARROWING: dict[str, frozenset[TriggerKind]] = {
    "fields": frozenset({TriggerKind.FIELD_CHANGED}),
    "stages": frozenset(
        {TriggerKind.STAGE_ENTERED, TriggerKind.STAGE_LEFT, TriggerKind.IDLE_IN_STAGE}
    ),
    "tasks": frozenset({TriggerKind.ACTIVITY_COMPLETED, TriggerKind.TASK_OVERDUE}),
    "except_tasks": frozenset({TriggerKind.ACTIVITY_COMPLETED, TriggerKind.TASK_OVERDUE}),
    "kinds": frozenset({TriggerKind.ACTIVITY_COMPLETED}),
    "direction": frozenset({TriggerKind.ACTIVITY_COMPLETED}),
    "feedback": frozenset({TriggerKind.ACTIVITY_COMPLETED}),
    "sla": SLA_TRIGGERS,
    "escalation": frozenset({TriggerKind.SLA_ESCALATED}),
    "field": frozenset({TriggerKind.DATE_REACHED}),
    "before": frozenset({TriggerKind.DATE_REACHED}),
    "after": frozenset({TriggerKind.DATE_REACHED, TriggerKind.IDLE_IN_STAGE}),
}
_ACTIVITY_KINDS = ("call", "email", "meeting", "message", "note", "task")
# The same keys as crm's Activity choices (a test keeps them equal): this package knows no models.
ACTIVITY_KINDS = _ACTIVITY_KINDS
FEEDBACK_TYPES = (
    "no_reply",
    "interested",
    "comparing_suppliers",
    "price_objection",
    "timing_objection",
    "waiting_for_boss",
    "needs_sample",
    "not_interested",
    "other",
)
_FEEDBACK = FEEDBACK_TYPES
_STAGED = (ObjectType.LEAD, ObjectType.DEAL)


class AutomationChecker:
    def __init__(self, checker: "_ObjectChecker", playbook: Playbook) -> None:
        self.c = checker
        self.obj = checker.obj
        self.object_type = checker.object_type
        self.list_keys = [entry.key for entry in playbook.lists]
        self.template_keys = [t.key for t in playbook.email_templates]
        self.stage_keys = sorted({s.key for p in self.obj.pipelines for s in p.stages})

    def problem(self, path: PathKey, message: str, hint: str = "") -> Problem:
        return self.c.problem(path, message, hint)

    def run(self) -> Iterator[Problem]:
        yield from self.slas()
        yield from self.cadences()
        for index, key in duplicates([r.key for r in self.obj.rules]):
            yield self.problem(("rules", index, "key"), f"rule '{key}' twice")
        for index, rule in enumerate(self.obj.rules):
            yield from self.rule(rule, ("rules", index))
        for index, template in enumerate(self.obj.tasks):
            if template.repeat_every is not None and template.due.anchor_task == template.key:
                yield self.problem(("tasks", index, "repeat_every"), "a task cannot repeat itself")

    def slas(self) -> Iterator[Problem]:
        for index, key in duplicates([s.key for s in self.obj.slas]):
            yield self.problem(("slas", index, "key"), f"SLA '{key}' twice")
        for index, sla in enumerate(self.obj.slas):
            at: PathKey = ("slas", index)
            if self.object_type not in _STAGED:
                yield self.problem(
                    at, f"a {self.object_type} has no SLA", "put it on a lead or deal"
                )
            if sla.starts == "received" and self.object_type != ObjectType.LEAD:
                yield self.problem(
                    (*at, "starts"), "only a lead has a received time", "use 'created'"
                )
            for t_index, target in enumerate(sla.targets):
                yield from self.c.condition(target.when, (*at, "targets", t_index, "when"))
            for e_index, key in duplicates([e.key for e in sla.escalations]):
                yield self.problem(
                    (*at, "escalations", e_index, "key"), f"escalation '{key}' twice"
                )

    def cadences(self) -> Iterator[Problem]:
        for index, key in duplicates([c.key for c in self.obj.cadences]):
            yield self.problem(("cadences", index, "key"), f"cadence '{key}' twice")
        for index, cadence in enumerate(self.obj.cadences):
            yield from self.c.task_refs(cadence.tasks, ("cadences", index, "tasks"))

    def rule(self, rule: RuleDef, at: PathKey) -> Iterator[Problem]:
        trigger = rule.trigger
        t_at: PathKey = (*at, "trigger")
        timer_only_staged = (*SLA_TRIGGERS, TriggerKind.IDLE_IN_STAGE)
        if self.object_type not in _STAGED and trigger.event in timer_only_staged:
            yield self.problem((*t_at, "event"), f"a {self.object_type} has no {trigger.event}")
        for name, kinds in _NARROWING.items():
            value = getattr(trigger, name)
            if value not in (None, ()) and trigger.event not in kinds:
                yield self.problem(
                    (*t_at, name),
                    f"'{name}' does not apply to the trigger '{trigger.event}'",
                    "it applies to: " + ", ".join(sorted(kinds)),
                )
        for index, key in enumerate(trigger.fields):
            if key in ("stage", "pipeline"):
                yield self.problem(
                    (*t_at, "fields", index),
                    f"a {key} change is not a field change",
                    "use the stage_entered or stage_left trigger",
                )
            elif key not in self.c.types:
                yield self.problem(
                    (*t_at, "fields", index),
                    f"unknown field '{key}'",
                    did_you_mean(key, list(self.c.types)),
                )
        for index, key in enumerate(trigger.stages):
            if key not in self.stage_keys:
                yield self.problem(
                    (*t_at, "stages", index),
                    f"unknown stage '{key}'",
                    did_you_mean(key, self.stage_keys),
                )
        yield from self.c.task_refs(trigger.tasks, (*t_at, "tasks"))
        yield from self.c.task_refs(trigger.except_tasks, (*t_at, "except_tasks"))
        for index, key in enumerate(trigger.kinds):
            if key not in _ACTIVITY_KINDS:
                yield self.problem(
                    (*t_at, "kinds", index),
                    f"unknown activity kind '{key}'",
                    did_you_mean(key, list(_ACTIVITY_KINDS)),
                )
        for index, key in enumerate(trigger.feedback):
            if key not in _FEEDBACK:
                yield self.problem(
                    (*t_at, "feedback", index),
                    f"unknown feedback type '{key}'",
                    did_you_mean(key, list(_FEEDBACK)),
                )
        yield from self.sla_refs(rule, t_at)
        if trigger.event == TriggerKind.DATE_REACHED:
            yield from self.date_field(rule, t_at)
        if trigger.before is not None and trigger.after is not None:
            yield self.problem((*t_at, "before"), "give 'before' or 'after', not both")
        if rule.when is not None:
            yield from self.c.condition(rule.when, (*at, "when"))
        for index, action in enumerate(rule.actions):
            yield from self.action(rule, action, (*at, "actions", index))

    def sla_refs(self, rule: RuleDef, t_at: PathKey) -> Iterator[Problem]:
        trigger = rule.trigger
        sla_keys = [s.key for s in self.obj.slas]
        if trigger.sla is not None and trigger.sla not in sla_keys:
            yield self.problem(
                (*t_at, "sla"), f"unknown SLA '{trigger.sla}'", did_you_mean(trigger.sla, sla_keys)
            )
        if trigger.escalation is not None:
            slas = [s for s in self.obj.slas if trigger.sla in (None, s.key)]
            known = sorted({e.key for s in slas for e in s.escalations})
            if trigger.escalation not in known:
                yield self.problem(
                    (*t_at, "escalation"),
                    f"unknown escalation '{trigger.escalation}'",
                    did_you_mean(trigger.escalation, known),
                )

    def date_field(self, rule: RuleDef, t_at: PathKey) -> Iterator[Problem]:
        key = rule.trigger.field
        if key is None:
            yield self.problem(
                (*t_at, "event"), "date_reached needs 'field'", "add 'field: <date field>'"
            )
            return
        kind = self.c.types.get(key)
        if kind is None:
            yield self.problem(
                (*t_at, "field"), f"unknown field '{key}'", did_you_mean(key, list(self.c.types))
            )
        elif kind not in (FieldType.DATE, FieldType.DATETIME):
            yield self.problem((*t_at, "field"), f"'{key}' is a {kind} field; a date is needed")

    def action(self, rule: RuleDef, action: Action, at: PathKey) -> Iterator[Problem]:
        given = [k for k in type(action).model_fields if getattr(action, k) is not None]
        if len(given) != 1:
            yield self.problem(
                at,
                "an action has exactly one key"
                + (f" (found: {', '.join(given)})" if given else ""),
                "split it into one action per key",
            )
            return
        if action.create_task is not None:
            yield from self.c.task_refs([action.create_task], (*at, "create_task"))
            return
        if action.set is not None:
            yield from self.c.values(action.set, (*at, "set"))
            return
        for name in ("start_cadence", "stop_cadence"):
            key = getattr(action, name)
            known = [c.key for c in self.obj.cadences]
            if key is not None and key not in known:
                yield self.problem(
                    (*at, name), f"unknown cadence '{key}'", did_you_mean(key, known)
                )
        for name in ("add_to_list", "remove_from_list"):
            key = getattr(action, name)
            if key is not None and key not in self.list_keys:
                yield self.problem(
                    (*at, name),
                    f"unknown list '{key}'",
                    did_you_mean(key, self.list_keys) or "declare it under 'lists'",
                )
        if action.assign is not None and (action.assign.to is None) == (action.assign.user is None):
            yield self.problem((*at, "assign"), "give 'to' or 'user', one of them")
        if action.send_email is not None:
            if self.object_type not in _STAGED:
                yield self.problem(
                    (*at, "send_email"), f"a {self.object_type} has no contact to email"
                )
            elif action.send_email.template not in self.template_keys:
                yield self.problem(
                    (*at, "send_email", "template"),
                    f"unknown email template '{action.send_email.template}'",
                    did_you_mean(action.send_email.template, self.template_keys),
                )
        notify = action.notify
        if notify and "assignee" in notify.to and rule.trigger.event != TriggerKind.TASK_OVERDUE:
            yield self.problem((*at, "notify", "to"), "'assignee' is known only for task_overdue")
