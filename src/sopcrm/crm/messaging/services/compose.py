"""Composing an email from a template on a lead or deal, and sending it through the outbox.

`email_preview` renders and lists every problem without writing anything. `email_compose`
refuses while there is any problem (a missing merge value, an empty required section, no next
step, no recipient), then in one transaction logs the email on the record's timeline as an
outbound contact (S-03: the summary carries the next step, S-38) and queues it in the outbox,
where the worker delivers it after commit.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sopcrm.core.errors import Conflict, FieldProblem, InvalidInput
from sopcrm.core.models import User
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.mail.services.outbox import email_queue
from sopcrm.crm.records import selectors as records
from sopcrm.crm.records.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Channel,
    Deal,
    Direction,
    FeedbackType,
    Lead,
    NewInformation,
)
from sopcrm.crm.records.services.activities import activity_complete, activity_create
from sopcrm.crm.records.services.playbook_context import record_link
from sopcrm.playbook.schema import EmailTemplateDef

from .. import selectors
from ..definitions import definition_of
from ..merge_fields import merge_values
from ..models import EmailTemplate, TemplateStatus
from ..rendering import render_email

MAX_RECIPIENTS = 20
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class EmailDraft:
    """A rendered email and what stops it from being sent (nothing, when `problems` is empty)."""

    to: list[str]
    subject: str
    html: str
    text: str
    problems: list[FieldProblem] = field(default_factory=list)
    next_step: str = ""


def _visible(actor: User, record: Lead | Deal) -> Lead | Deal:
    if isinstance(record, Deal):
        return records.deal_get(actor, record.pk)
    if isinstance(record, Lead):
        return records.lead_get(actor, record.pk)
    raise InvalidInput.single("record", "type", _("Emails are written on a lead or a deal."))


def default_recipient(record: Lead | Deal) -> str:
    """The customer's address: a deal's contact, else its lead; a lead's own."""
    if isinstance(record, Deal):
        contact_email = record.contact.email if record.contact else ""
        return contact_email or (record.lead.email if record.lead else "")
    return record.email


def _recipients(
    record: Lead | Deal, to: Sequence[str] | None
) -> tuple[list[str], list[FieldProblem]]:
    if to is not None and (
        isinstance(to, str) or not all(isinstance(address, str) for address in to)
    ):
        return [], [FieldProblem("to", "type", _("Enter a list of email addresses."))]
    wanted = list(to) if to is not None else [default_recipient(record)]
    addresses = list(dict.fromkeys(a.strip() for a in wanted if a.strip()))
    if not addresses:
        message = _(
            "There is no address to send to: add the customer's email to the contact or lead, "
            "or give the recipients."
        )
        return [], [FieldProblem("to", "required", message)]
    problems = []
    if len(addresses) > MAX_RECIPIENTS:
        message = _("At most %(n)d recipients.") % {"n": MAX_RECIPIENTS}
        problems.append(FieldProblem("to", "max_length", message))
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            message = _("“%(address)s” is not a valid email address.") % {"address": address}
            problems.append(FieldProblem("to", "invalid", message))
    return addresses, problems


def _draft(
    record: Lead | Deal,
    definition: EmailTemplateDef,
    free_sections: Mapping[str, str],
    to: Sequence[str] | None,
    actor: User,
) -> EmailDraft:
    if not isinstance(free_sections, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in free_sections.items()
    ):
        message = _("Give the free sections as texts by section key.")
        raise InvalidInput.single("free_sections", "type", message)
    custom = record.custom or {}
    signature = selectors.signature_for(
        actor,
        language=definition.language,
        region=str(custom.get("region") or ""),
        product_line=str(custom.get("product_line") or ""),
    )
    values = merge_values(
        record,
        actor,
        language=definition.language,
        signature=signature.body if signature else None,
    )
    rendered = render_email(definition, values, free_sections)
    addresses, recipient_problems = _recipients(record, to)
    cta = definition.cta_section
    return EmailDraft(
        to=addresses,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        problems=[*rendered.problems, *recipient_problems],
        next_step=rendered.sections.get(cta.key, "") if cta else "",
    )


def email_preview(
    record: Lead | Deal,
    *,
    template: EmailTemplate,
    free_sections: Mapping[str, str],
    to: Sequence[str] | None = None,
    actor: User,
) -> EmailDraft:
    """The email as it would be sent, with every problem listed; writes nothing."""
    record = _visible(actor, record)
    template = selectors.template_get(actor, template.pk)
    return _draft(record, definition_of(template), free_sections, to, actor)


class _AlreadyQueued(Exception):
    def __init__(self, queued: OutboundEmail) -> None:
        self.queued = queued


def _outbox_key(actor: User, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return f"compose:{uuid.uuid4().hex}"
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        message = _("Give an idempotency key of 1 to %(n)d characters.") % {"n": MAX_KEY_LENGTH}
        raise InvalidInput.single("idempotency_key", "invalid", message)
    # Per user, so one user's retry key can never return another user's email.
    return f"compose:{actor.pk}:{idempotency_key}"


def _replayed(queued: OutboundEmail, record: Lead | Deal) -> Activity:
    """The activity of an email already queued under this key (a retried call)."""
    link = queued.deal_id if isinstance(record, Deal) else queued.lead_id
    if link != record.pk or queued.activity is None:
        raise Conflict(
            _("This idempotency key was already used for another email."),
            code="idempotency_conflict",
        )
    return queued.activity


def email_compose(
    record: Lead | Deal,
    *,
    template: EmailTemplate,
    free_sections: Mapping[str, str],
    to: list[str] | None = None,
    actor: User,
    idempotency_key: str | None = None,
) -> Activity:
    """Send an email from a template: InvalidInput listing every problem, else the email
    activity on the record's timeline, with the message queued in the outbox. Calling again
    with the same `idempotency_key` returns the same activity and queues nothing."""
    record = _visible(actor, record)
    key = _outbox_key(actor, idempotency_key)
    queued = OutboundEmail.objects.filter(idempotency_key=key).select_related("activity").first()
    if queued is not None:
        return _replayed(queued, record)
    template = selectors.template_get(actor, template.pk)
    if template.status == TemplateStatus.ARCHIVED:
        raise Conflict(_("This template is archived."), code="archived")
    draft = _draft(record, definition_of(template), free_sections, to, actor)
    if draft.problems:
        raise InvalidInput(draft.problems)
    try:
        with transaction.atomic():
            activity = _log_email(record, template, draft, actor)
            queued = email_queue(
                to=draft.to,
                subject=draft.subject,
                text=draft.text,
                html=draft.html,
                sender=actor,
                idempotency_key=key,
                lead=record if isinstance(record, Lead) else None,
                deal=record if isinstance(record, Deal) else None,
                contact=activity.contact,
                activity=activity,
            )
            if queued.activity_id != activity.pk:
                raise _AlreadyQueued(queued)  # queued concurrently: undo this one
            _complete_chase_step(record, template, draft, actor)
    except _AlreadyQueued as exc:
        return _replayed(exc.queued, record)
    except IntegrityError:
        # A concurrent call with the same key committed first (the key is unique).
        queued = OutboundEmail.objects.filter(idempotency_key=key).first()
        if queued is None:
            raise
        return _replayed(queued, record)
    return activity


# What each chase email brings, after S-21's intent per step: the 2nd adds value (cases,
# certifications, alternatives), the 3rd asks about the project (a new reason to talk).
_CHASE_NEWS = {
    "chase_1": NewInformation.NEW_MATERIAL,
    "chase_2": NewInformation.NEW_PROPOSAL,
    "chase_3": NewInformation.NEW_REASON,
}


def _complete_chase_step(
    record: Lead | Deal, template: EmailTemplate, draft: EmailDraft, actor: User
) -> None:
    """Sending a chase email is the chase step (S-21): it completes the open task of the same
    key (chase_1 for the 1st chase template), which moves the follow-up status and schedules the
    next chase. The task is still open only while the customer has not replied (a reply cancels
    the chase), so its customer feedback is "no reply"."""
    link = record_link(record)
    task = Activity.objects.filter(
        **link, status=ActivityStatus.OPEN, template_key=template.purpose
    ).first()
    if task is None or not template.purpose.startswith("chase_"):
        return
    activity_complete(
        task,
        actor=actor,
        data={
            "channel": Channel.EMAIL,
            "feedback_type": FeedbackType.NO_REPLY,
            "new_information": _CHASE_NEWS.get(template.purpose, NewInformation.NEW_MATERIAL),
            "summary": _("Sent the email “%(subject)s”.") % {"subject": draft.subject[:150]},
        },
    )


def _log_email(
    record: Lead | Deal, template: EmailTemplate, draft: EmailDraft, actor: User
) -> Activity:
    summary = _("Email “%(template)s” to %(to)s.") % {
        "template": template.name,
        "to": ", ".join(draft.to),
    }
    if draft.next_step:
        summary += " " + _("Next step: %(next_step)s") % {"next_step": draft.next_step[:500]}
    data: dict[str, Any] = {
        "kind": ActivityKind.EMAIL,
        "channel": Channel.EMAIL,
        "direction": Direction.OUTBOUND,
        "subject": draft.subject[:200],
        "summary": summary,
        "deal" if isinstance(record, Deal) else "lead": record.pk,
    }
    contact = record.contact if isinstance(record, Deal) else None
    if contact is not None and records.contact_list(actor).filter(pk=contact.pk).exists():
        data["contact"] = contact.pk
    data["body"] = draft.text
    return activity_create(actor=actor, data=data)
