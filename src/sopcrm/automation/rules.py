"""Running the playbook's rules for one trigger on one record: match, check the condition,
perform the actions in a savepoint, log the firing (or the failure) on the timeline."""

from datetime import date
from typing import Any

from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.errors import DomainError, InvalidInput
from sopcrm.core.events import event_record
from sopcrm.core.models import EventKind, User
from sopcrm.crm.records.services.playbook_context import field_values
from sopcrm.crm.records.services.timing import calendar_of_record, object_def, rules_quiet
from sopcrm.playbook.schema import ObjectType, RuleDef, Trigger, TriggerKind
from sopcrm.process import engine

from .actions import Firing, perform
from .records import record_lock


def _activity_matches(trigger: Trigger, activity: Any) -> bool:
    if activity is None:
        return not (trigger.tasks or trigger.kinds or trigger.direction or trigger.feedback)
    return (
        (not trigger.tasks or activity.template_key in trigger.tasks)
        and activity.template_key not in trigger.except_tasks
        and (not trigger.kinds or activity.kind in trigger.kinds)
        and (trigger.direction is None or activity.direction == trigger.direction)
        and (not trigger.feedback or activity.feedback_type in trigger.feedback)
    )


def matches(rule: RuleDef, facts: dict[str, Any]) -> bool:
    """Whether the trigger's narrowing keys accept what happened."""
    trigger = rule.trigger
    if facts.get("rule") not in (None, rule.key):
        return False  # a timer set for one rule (idle limit, date) fires that rule only
    if trigger.stages and facts.get("stage") not in trigger.stages:
        return False
    if trigger.fields and not set(trigger.fields) & set(facts.get("fields", ())):
        return False
    about_activity = trigger.event in (TriggerKind.ACTIVITY_COMPLETED, TriggerKind.TASK_OVERDUE)
    if about_activity and not _activity_matches(trigger, facts.get("activity")):
        return False
    if trigger.sla is not None and facts.get("sla") != trigger.sla:
        return False
    return trigger.escalation is None or facts.get("point") == trigger.escalation


def _today(record: Any) -> date:
    return now().astimezone(calendar_of_record(record).zone).date()


def _problems(exc: DomainError) -> list[dict[str, str]] | str:
    if isinstance(exc, InvalidInput):
        return [{"field": p.field, "code": p.code, "message": str(p.message)} for p in exc.problems]
    return str(exc)


def rules_run(
    record_type: str,
    record: Any,
    trigger: TriggerKind,
    facts: dict[str, Any],
    *,
    cause: str,
    system: User,
    late: bool = False,
) -> list[str]:
    """Fire every rule of the record's playbook for this trigger whose narrowing and condition
    hold; returns the keys of the rules that fired."""
    fired = []
    for rule in object_def(record_type, record).rules_on(trigger):
        if not matches(rule, facts):
            continue
        if rule.when is not None:
            values = field_values(record, ObjectType(record_type))
            if not engine.condition(rule.when).evaluate(values, today=_today(record)):
                continue
        firing = Firing(record_type, record, rule, cause, system, facts)
        base: dict[str, Any] = {
            "rule": rule.key,
            "label": rule.label.en,
            "trigger": trigger.value,
            "cause": cause,
        }
        if late:
            base["late"] = True
        try:
            with transaction.atomic(), rules_quiet():
                done = [perform(a, i, firing) for i, a in enumerate(rule.actions)]
                event_record(
                    record_type=record_type,
                    record_id=record.pk,
                    kind=EventKind.RULE_FIRED,
                    actor=system,
                    data={**base, "actions": done},
                )
            fired.append(rule.key)
        except DomainError as exc:
            event_record(
                record_type=record_type,
                record_id=record.pk,
                kind=EventKind.RULE_FAILED,
                actor=system,
                data={**base, "error": _problems(exc)},
            )
        # The next rule sees what this one changed.
        record = record_lock(record_type, record.pk) or record
    return fired
