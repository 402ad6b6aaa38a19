"""A record's event log as sentences: who did what, when, with old and new values readable
(labels instead of keys, names instead of ids, money with its currency)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.core.users import is_system_user
from sopcrm.crm.mail.models import OutboundEmail, OutboundStatus
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import (
    Account,
    Activity,
    ActivityKind,
    ApprovalStatus,
    Contact,
    Deal,
    Direction,
    Lead,
)
from sopcrm.playbook.schema import Pipeline, Playbook, parse_duration

from . import display

MODELS: dict[str, type[models.Model]] = {
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
    RecordType.LEAD: Lead,
    RecordType.DEAL: Deal,
    RecordType.ACTIVITY: Activity,
}
# Core fields that point at other records, and the selector that may show their names.
_REFERENCES = {
    "account": selectors.account_list,
    "contact": selectors.contact_list,
    "lead": selectors.lead_list,
    "deal": selectors.deal_list,
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    text: str
    detail: str = ""
    href: str = ""
    body: str = ""  # an email's text, shown on request
    status: str = ""  # an outbound email's outbox status: queued, sent, failed
    status_label: str = ""


@dataclass(frozen=True)
class _Email:
    body: str
    status: str  # "" when the email was logged by hand (no outbox message)


@dataclass
class _Context:
    user: User
    model: type[models.Model]
    object_type: str
    playbook: Playbook
    language: str
    names: dict[str, dict[int, str]]  # reference field -> id -> name
    users: dict[int, str]
    emails: dict[int, _Email]  # email activity id -> its text and outbox status


def _rule_label(data: dict[str, Any], ctx: "_Context") -> str:
    obj = ctx.playbook.object(ctx.object_type)
    rule = next((r for r in obj.rules if r.key == data.get("rule")), None)
    return rule.label.for_language(ctx.language) if rule else str(data.get("rule", ""))


def _sla_label(data: dict[str, Any], ctx: "_Context") -> str:
    sla = ctx.playbook.object(ctx.object_type).sla(str(data.get("sla", "")))
    return sla.label.for_language(ctx.language) if sla else str(data.get("sla", ""))


def _duration_text(text: str) -> str:
    """A playbook duration ("7 days", "24 hours") in the reader's language."""
    seconds = int(parse_duration(text).total_seconds()) if text else 0
    if seconds and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days}
    hours = round(seconds / 3600, 1)
    return ngettext("%(n)s hour", "%(n)s hours", int(hours)) % {"n": f"{hours:g}"}


def _parsed(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def describe(
    user: User, record_type: str, events: list[Event], playbook: Playbook, language: str
) -> list[Entry]:
    """Entries for `events` (already redacted by selectors.record_timeline), newest first."""
    context = _Context(
        user=user,
        model=MODELS[record_type],
        object_type=record_type,
        playbook=playbook,
        language=language,
        names=_reference_names(user, events),
        users=display.user_names(_user_ids(events)),
        emails=_emails(user, events),
    )
    return [_entry(event, context) for event in events]


def _emails(user: User, events: list[Event]) -> dict[int, _Email]:
    """The text and outbox status of the email activities the events are about (two queries;
    an activity the reader may not see gets neither)."""
    ids = {
        event.data["activity"]
        for event in events
        if event.kind == EventKind.ACTIVITY_CREATED
        and event.data.get("kind") == ActivityKind.EMAIL
        and isinstance(event.data.get("activity"), int)
    }
    if not ids:
        return {}
    bodies = dict(
        selectors.activity_list(user).filter(pk__in=ids).values_list("pk", "body").order_by()
    )
    statuses = dict(
        OutboundEmail.objects.filter(activity_id__in=bodies)
        .values_list("activity_id", "status")
        .order_by("created_at")
    )
    return {pk: _Email(body or "", statuses.get(pk, "")) for pk, body in bodies.items()}


def _reference_names(user: User, events: list[Event]) -> dict[str, dict[int, str]]:
    wanted: dict[str, set[int]] = {}
    for event in events:
        field = event.data.get("field")
        if event.kind == EventKind.FIELD_CHANGED and field in _REFERENCES:
            ids = {v for v in (event.data.get("old"), event.data.get("new")) if isinstance(v, int)}
            wanted.setdefault(field, set()).update(ids)
    # One query per kind of reference, through the selector: a record the reader may not see
    # is shown by its number only.
    return {
        field: {r.pk: str(r) for r in _REFERENCES[field](user).filter(pk__in=ids)}
        for field, ids in wanted.items()
        if ids
    }


def _user_ids(events: list[Event]) -> set[int]:
    ids: set[int] = set()
    for event in events:
        if event.kind == EventKind.OWNER_CHANGED:
            ids.update(v for v in (event.data.get("old"), event.data.get("new")) if v)
    return {i for i in ids if isinstance(i, int)}


def _entry(event: Event, ctx: _Context) -> Entry:
    data = event.data
    actor = str(event.actor) if event.actor else _("System")
    if is_system_user(event.actor):
        actor = _("Automation")
    text, detail, href = "", "", ""
    body, status = "", ""
    match event.kind:
        case EventKind.CREATED:
            text = _("Created")
        case EventKind.FIELD_CHANGED:
            label = _field_label(str(data.get("field", "")), ctx)
            if data.get("hidden"):
                text = _("%(field)s changed (hidden)") % {"field": label}
            else:
                field = str(data.get("field", ""))
                text = _("%(field)s: %(old)s → %(new)s") % {
                    "field": label,
                    "old": _value_text(field, data.get("old"), ctx) or display.EMPTY,
                    "new": _value_text(field, data.get("new"), ctx) or display.EMPTY,
                }
                detail = str(data.get("reason", ""))
        case EventKind.OWNER_CHANGED:
            text = _("Owner: %(old)s → %(new)s") % {
                "old": ctx.users.get(data.get("old") or 0, _("Unassigned")),
                "new": ctx.users.get(data.get("new") or 0, _("Unassigned")),
            }
        case EventKind.STAGE_LEFT:
            if data.get("remapped"):
                text = _("Left stage %(stage)s") % {"stage": _stage(data, ctx)}
            else:
                text = _("Left stage %(stage)s after %(days)s days") % {
                    "stage": _stage(data, ctx),
                    "days": f"{float(data.get('days_in_stage') or 0):.1f}",
                }
        case EventKind.STAGE_ENTERED:
            text, detail = _entered_text(data, ctx)
        case EventKind.SUBSTATE_CHANGED:
            text = _("Step: %(old)s → %(new)s") % {
                "old": _substate(data, str(data.get("from") or ""), ctx) or display.EMPTY,
                "new": _substate(data, str(data.get("to") or ""), ctx) or display.EMPTY,
            }
        case EventKind.APPROVAL_REQUESTED:
            text = _("Approval requested for “%(transition)s” (%(reason)s)") % {
                "transition": _transition(data, ctx),
                "reason": _approval_reason(data, ctx),
            }
        case EventKind.APPROVAL_DECIDED:
            text = _decided_text(data, ctx)
            detail = str(data.get("comment") or "")
        case EventKind.ACTIVITY_CREATED | EventKind.ACTIVITY_COMPLETED:
            text, detail = _activity_text(event.kind, data)
            if isinstance(data.get("activity"), int):
                href = reverse("activity_detail", args=[data["activity"]])
                email = ctx.emails.get(data["activity"])
                if event.kind == EventKind.ACTIVITY_CREATED and email is not None:
                    text = _email_text(data, email.status) or text
                    body, status = email.body, email.status
        case EventKind.ACTIVITY_CANCELLED if data.get("reason") == "customer_replied":
            text = _("Customer replied — the chase stopped")
            detail = _("Task cancelled: %(subject)s") % {"subject": data.get("subject", "")}
            if isinstance(data.get("activity"), int):
                href = reverse("activity_detail", args=[data["activity"]])
        case EventKind.ACTIVITY_CANCELLED:
            text = _("Task cancelled: %(subject)s") % {"subject": data.get("subject", "")}
            if data.get("reason") == "stage_left":
                detail = _("Reason: the record left the stage the task belongs to.")
            elif data.get("reason") == "cadence_stopped":
                detail = _("Reason: its follow-up rhythm was stopped.")
            else:
                detail = _("Reason: %(reason)s") % {"reason": data.get("summary") or "—"}
            if isinstance(data.get("activity"), int):
                href = reverse("activity_detail", args=[data["activity"]])
        case EventKind.EMAIL_FAILED:
            text = _("Email not delivered: %(subject)s") % {"subject": data.get("subject", "")}
            detail = _("Gave up after %(attempts)s attempts: %(error)s") % {
                "attempts": data.get("attempts", "?"),
                "error": data.get("reason") or "—",
            }
            if isinstance(data.get("activity"), int):
                href = reverse("activity_detail", args=[data["activity"]])
        case EventKind.RULE_FIRED:
            text = _("Rule “%(rule)s” fired") % {"rule": _rule_label(data, ctx)}
            detail = ", ".join(str(a.get("action", "")) for a in data.get("actions", []))
        case EventKind.RULE_FAILED:
            text = _("Rule “%(rule)s” could not run") % {"rule": _rule_label(data, ctx)}
            error = data.get("error")
            detail = (
                "; ".join(str(p.get("message", "")) for p in error)
                if isinstance(error, list)
                else str(error or "")
            )
        case EventKind.SLA_AT_RISK | EventKind.SLA_BREACHED | EventKind.SLA_ESCALATED:
            text = _("%(what)s: %(sla)s (target %(due)s)") % {
                "what": event.get_kind_display(),
                "sla": _sla_label(data, ctx),
                "due": display.format_datetime(_parsed(data.get("due_at"))),
            }
        case EventKind.SLA_MET:
            template = (
                _("Responded within the %(sla)s target")
                if data.get("within_target")
                else _("Responded after the %(sla)s target")
            )
            text = template % {"sla": _sla_label(data, ctx)}
        case EventKind.IDLE_IN_STAGE:
            text = _("No update in stage %(stage)s for %(limit)s") % {
                "stage": _stage(data, ctx),
                "limit": _duration_text(str(data.get("limit", ""))),
            }
        case _:
            # Kinds this page has no sentence for yet still read sensibly.
            text = str(event.get_kind_display())
            if data.get("subject"):
                text = f"{text}: {data['subject']}"
            detail = str(data.get("reason") or data.get("summary") or "")
    return Entry(
        at=event.occurred_at,
        actor=actor,
        text=text,
        detail=detail,
        href=href,
        body=body,
        status=status,
        status_label=str(OutboundStatus(status).label) if status else "",
    )


def _email_text(data: dict[str, Any], status: str) -> str:
    """An email to or from the customer: sent from sopcrm (with where it is in the outbox) or
    their reply. An email logged by hand keeps the plain "Email logged" sentence."""
    values = {"subject": data.get("subject", "")}
    if data.get("direction") == Direction.INBOUND:
        return _("Customer replied by email: %(subject)s") % values
    if status == OutboundStatus.SENT:
        return _("Email sent: %(subject)s") % values
    if status == OutboundStatus.QUEUED:
        return _("Email queued for sending: %(subject)s") % values
    if status == OutboundStatus.FAILED:
        return _("Email not delivered: %(subject)s") % values
    return ""


def _field_label(field: str, ctx: _Context) -> str:
    if field.startswith("custom."):
        definition = ctx.playbook.object(ctx.object_type).field(field.removeprefix("custom."))
        return definition.label.for_language(ctx.language) if definition else field
    try:
        model_field = ctx.model._meta.get_field(field)
    except FieldDoesNotExist:
        return field
    return str(getattr(model_field, "verbose_name", field)).capitalize()


def _value_text(field: str, value: Any, ctx: _Context) -> str:
    if value in (None, "", []):
        return ""
    if field.startswith("custom."):
        definition = ctx.playbook.object(ctx.object_type).field(field.removeprefix("custom."))
        if definition is None:
            return str(value)
        return display.custom_value_text(definition, value, ctx.language, ctx.users)
    if field in _REFERENCES and isinstance(value, int):
        return ctx.names.get(field, {}).get(value, f"#{value}")
    if field == "amount":
        return display.format_amount(value)
    if field.endswith("_at"):
        return display.format_datetime(value)
    try:
        model_field = ctx.model._meta.get_field(field)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(getattr(model_field, "choices", None) or ())
    return str(choices.get(value, value))


def _pipelines(data: dict[str, Any], ctx: _Context) -> list[Pipeline]:
    """The pipeline an event names, else every pipeline of the object (a remapped move and a
    step change do not name theirs)."""
    obj = ctx.playbook.object(ctx.object_type)
    named = obj.pipeline(str(data.get("pipeline", "")))
    return [named] if named else list(obj.pipelines)


def _stage(data: dict[str, Any], ctx: _Context) -> str:
    key = str(data.get("stage", ""))
    for pipeline in _pipelines(data, ctx):
        stage = pipeline.stage(key)
        if stage is not None:
            return stage.label.for_language(ctx.language)
    return key


def _substate(data: dict[str, Any], key: str, ctx: _Context) -> str:
    if not key:
        return ""
    for pipeline in _pipelines(data, ctx):
        stage = pipeline.stage(str(data.get("stage", "")))
        sub = stage.substate(key) if stage else None
        if sub is not None:
            return sub.label.for_language(ctx.language)
    return key


def _transition(data: dict[str, Any], ctx: _Context) -> str:
    key = str(data.get("transition", ""))
    for pipeline in _pipelines(data, ctx):
        transition = pipeline.transition(key)
        if transition is not None:
            return transition.label.for_language(ctx.language)
    return key


def _approval_reason(data: dict[str, Any], ctx: _Context) -> str:
    """The playbook's reason in the reader's language; the event keeps the requester's."""
    key = str(data.get("transition", ""))
    for pipeline in _pipelines(data, ctx):
        transition = pipeline.transition(key)
        if transition is not None and transition.approval is not None:
            return transition.approval.reason.for_language(ctx.language)
    return str(data.get("reason") or "")


def _entered_text(data: dict[str, Any], ctx: _Context) -> tuple[str, str]:
    """'Entered stage Quoted', marked when the move was not an ordinary transition."""
    stage = _stage(data, ctx)
    if data.get("exception"):
        return _("Entered stage %(stage)s by exception: %(reason)s") % {
            "stage": stage,
            "reason": data["exception"],
        }, ""
    if data.get("approval"):
        return _("Entered stage %(stage)s after approval") % {"stage": stage}, ""
    if data.get("remapped"):
        return _("Entered stage %(stage)s, remapped by a playbook change") % {"stage": stage}, (
            _("Playbook version %(number)s") % {"number": data.get("playbook_version", "?")}
        )
    return _("Entered stage %(stage)s") % {"stage": stage}, ""


def _decided_text(data: dict[str, Any], ctx: _Context) -> str:
    status = data.get("status")
    if status == ApprovalStatus.WITHDRAWN:
        return _("Approval request withdrawn: the record moved on before a decision")
    values = {"transition": _transition(data, ctx)}
    if status == ApprovalStatus.APPROVED:
        return _("Approved: “%(transition)s”") % values
    if status == ApprovalStatus.REJECTED:
        return _("Rejected: “%(transition)s”") % values
    return _("Approval decided: “%(transition)s”") % values


def _activity_text(kind: str, data: dict[str, Any]) -> tuple[str, str]:
    activity_kind = str(data.get("kind", ""))
    kind_label = (
        ActivityKind(activity_kind).label if activity_kind in ActivityKind.values else activity_kind
    )
    subject = str(data.get("subject", ""))
    if kind == EventKind.ACTIVITY_COMPLETED:
        text = _("Task completed: %(subject)s") % {"subject": subject}
    elif activity_kind == ActivityKind.TASK:
        text = _("Task added: %(subject)s, due %(due)s") % {
            "subject": subject,
            "due": display.format_datetime(data.get("due_at")),
        }
    else:
        text = _("%(kind)s logged: %(subject)s") % {"kind": kind_label, "subject": subject}
    return text, str(data.get("summary", ""))
