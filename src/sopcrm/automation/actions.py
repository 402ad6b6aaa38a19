"""What a rule can do. Each action calls the service any other interface would call, as the
automation user, inside the firing transaction; a refused action (a DomainError) rolls the
rule's actions back and is logged on the timeline as the rule's failure."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import RecordType, Role, User
from sopcrm.crm.messaging.definitions import definition_of
from sopcrm.crm.messaging.models import EmailTemplate
from sopcrm.crm.messaging.services.compose import email_compose
from sopcrm.crm.notifications.services import notify
from sopcrm.crm.records.models import Activity, ActivityStatus, Deal, Lead
from sopcrm.crm.records.services.accounts import account_update
from sopcrm.crm.records.services.contacts import contact_update
from sopcrm.crm.records.services.deals import deal_update
from sopcrm.crm.records.services.leads import lead_update
from sopcrm.crm.records.services.lists import list_add, list_remove
from sopcrm.crm.records.services.process_tasks import cadence_start, cadence_stop, tasks_create
from sopcrm.crm.records.services.timing import calendar_of_record
from sopcrm.crm.webhooks.services import webhook_queue
from sopcrm.playbook.core_fields import CORE_FIELDS
from sopcrm.playbook.schema import (
    Action,
    AssignDef,
    AssignTarget,
    NotifyDef,
    ObjectType,
    Recipient,
    RuleDef,
)

from .records import (
    admins,
    in_language,
    record_name,
    stage_label,
    team_managers,
)

UPDATERS: dict[str, Any] = {
    RecordType.LEAD: lead_update,
    RecordType.DEAL: deal_update,
    RecordType.ACCOUNT: account_update,
    RecordType.CONTACT: contact_update,
}


@dataclass
class Firing:
    """One rule firing: the record, why it fired, and who acts."""

    record_type: str
    record: Any
    rule: RuleDef
    cause: str  # unique per firing (the timer), for idempotency keys
    system: User
    facts: dict[str, Any] = field(default_factory=dict)

    def key(self, index: int, *parts: object) -> str:
        return ":".join(str(p) for p in (self.cause, self.rule.key, index, *parts))


def perform(action: Action, index: int, firing: Firing) -> dict[str, Any]:
    """Run one action; what it did, for the timeline."""
    name = action.name
    result = _HANDLERS[name](getattr(action, name), index, firing)
    return {"action": name, **result}


def _staged(firing: Firing) -> Lead | Deal:
    if not isinstance(firing.record, Lead | Deal):
        raise InvalidInput.single(
            "action", "not_staged", _("Only a lead or a deal has tasks and cadences.")
        )
    return firing.record


def _create_task(key: str, index: int, firing: Firing) -> dict[str, Any]:
    tasks = tasks_create(_staged(firing), [key], actor=firing.system)
    return {"template": key, "tasks": [t.pk for t in tasks]}


def _update(firing: Firing, data: dict[str, Any]) -> None:
    firing.record = UPDATERS[firing.record_type](firing.record, actor=firing.system, data=data)


def _least_loaded(owner: User | None) -> User | None:
    """The active rep of the owner's team, other than the owner, with the fewest open tasks
    (ties: the longest-standing account)."""
    if owner is None or owner.team_id is None:
        return None
    reps = User.objects.filter(team_id=owner.team_id, role=Role.REP, is_active=True).exclude(
        pk=owner.pk
    )
    loads = {
        row["owner"]: row["n"]
        for row in Activity.objects.filter(owner__in=reps, status=ActivityStatus.OPEN)
        .values("owner")
        .annotate(n=Count("id"))
    }
    ranked = sorted(reps, key=lambda user: (loads.get(user.pk, 0), user.pk))
    return ranked[0] if ranked else None


def _assign(assign: AssignDef, index: int, firing: Firing) -> dict[str, Any]:
    previous: User | None = firing.record.owner
    if assign.user is not None:
        target = User.objects.filter(username=assign.user, is_active=True).first()
        if target is None:
            raise InvalidInput.single(
                "assign", "unknown_user", _("No active user %(name)s.") % {"name": assign.user}
            )
    elif assign.to == AssignTarget.MANAGER:
        target = next(iter(team_managers(previous)), None)
    else:
        target = _least_loaded(previous)
    if target is None or target == previous:
        return {"owner": previous.pk if previous else None, "changed": False}
    _update(firing, {"owner": target.pk})  # the open tasks follow (services/ownership.py)
    return {"owner": target.pk, "previous": previous.pk if previous else None}


def _recipients(to: tuple[Recipient, ...], firing: Firing) -> list[User]:
    owner: User | None = firing.record.owner
    people: list[User] = []
    for who in to:
        if who == Recipient.OWNER:
            people += [owner] if owner is not None and owner.is_active else admins()
        elif who == Recipient.MANAGER:
            people += team_managers(owner)
        elif who == Recipient.ADMIN:
            people += admins()
        else:
            task = firing.facts.get("activity")
            people += [task.owner] if task is not None and task.owner.is_active else []
    unique: dict[int, User] = {p.pk: p for p in people}
    return list(unique.values())


def _fill(text: str, firing: Firing, user: User) -> str:
    due: datetime | None = firing.facts.get("due_at")
    values = {
        "record": record_name(firing.record),
        "owner": str(firing.record.owner) if firing.record.owner else _("nobody"),
        "stage": stage_label(firing.record_type, firing.record, user.language or "zh-hans"),
        "due": due.astimezone(calendar_of_record(firing.record).zone).strftime("%Y-%m-%d %H:%M")
        if due
        else "",
    }
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def _notify(definition: NotifyDef, index: int, firing: Firing) -> dict[str, Any]:
    sent = []
    for user in _recipients(definition.to, firing):
        title = _fill(in_language(user, definition.title), firing, user)
        body = _fill(in_language(user, definition.body), firing, user) if definition.body else ""
        notification = notify(
            user=user,
            kind="rule",
            title=title[:300],
            body=body,
            record_type=firing.record_type,
            record_id=firing.record.pk,
            rule_key=firing.rule.key,
            dedupe_key=firing.key(index, user.pk),
        )
        sent.append(notification.user_id)
    return {"users": sent}


def _set(values: dict[str, Any], index: int, firing: Firing) -> dict[str, Any]:
    core = CORE_FIELDS[ObjectType(firing.record_type)]
    data: dict[str, Any] = {k: v for k, v in values.items() if k in core}
    custom = {k: v for k, v in values.items() if k not in core}
    if custom:
        data["custom"] = custom
    _update(firing, data)
    return {"fields": sorted(values)}


def _add_to_list(key: str, index: int, firing: Firing) -> dict[str, Any]:
    added = list_add(key, firing.record_type, firing.record.pk, rule_key=firing.rule.key)
    return {"list": key, "added": added}


def _remove_from_list(key: str, index: int, firing: Firing) -> dict[str, Any]:
    return {"list": key, "removed": list_remove(key, firing.record_type, firing.record.pk)}


def _start_cadence(key: str, index: int, firing: Firing) -> dict[str, Any]:
    tasks = cadence_start(_staged(firing), key, actor=firing.system)
    return {"cadence": key, "tasks": [t.pk for t in tasks]}


def _stop_cadence(key: str, index: int, firing: Firing) -> dict[str, Any]:
    return {"cadence": key, "cancelled": cadence_stop(_staged(firing), key, actor=firing.system)}


def _send_email(definition: Any, index: int, firing: Firing) -> dict[str, Any]:
    record = _staged(firing)
    owner = record.owner
    if owner is None or not owner.is_active:
        raise InvalidInput.single("send_email", "no_sender", _("The record has no active owner."))
    template = (
        EmailTemplate.objects.filter(key=definition.template, owner__isnull=True)
        .order_by("-pk")
        .first()
    )
    if template is None:
        raise InvalidInput.single(
            "send_email",
            "unknown_template",
            _("No library template %(key)s.") % {"key": definition.template},
        )
    free = {
        section.key: section.presets[0].text
        for section in definition_of(template).sections
        if section.kind == "free" and section.presets
    }
    activity = email_compose(
        record,
        template=template,
        free_sections=free,
        actor=owner,
        idempotency_key=firing.key(index),
    )
    return {"template": definition.template, "activity": activity.pk}


def _webhook(key: str, index: int, firing: Firing) -> dict[str, Any]:
    record = firing.record
    payload = {
        "rule": firing.rule.key,
        "trigger": firing.rule.trigger.event.value,
        "record": {
            "type": firing.record_type,
            "id": record.pk,
            "name": record_name(record),
            "stage": getattr(record, "stage", None),
            "owner": record.owner_id,
        },
    }
    delivery = webhook_queue(
        webhook_key=key,
        event=f"rule.{firing.rule.key}",
        payload=payload,
        idempotency_key=firing.key(index),
        record_type=firing.record_type,
        record_id=record.pk,
    )
    return {"webhook": key, "delivery": delivery.pk}


_HANDLERS: dict[str, Any] = {
    "create_task": _create_task,
    "assign": _assign,
    "notify": _notify,
    "set": _set,
    "add_to_list": _add_to_list,
    "remove_from_list": _remove_from_list,
    "start_cadence": _start_cadence,
    "stop_cadence": _stop_cadence,
    "send_email": _send_email,
    "webhook": _webhook,
}
