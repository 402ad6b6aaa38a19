"""Suggested templates, preview and sending on a lead or deal, and delivery status."""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Status
from pydantic import BaseModel

from sopcrm.core.errors import InvalidInput, NotFound
from sopcrm.core.models import RecordType, User
from sopcrm.crm.mail.models import OutboundEmail, OutboundStatus
from sopcrm.crm.mail.selectors import outbound_get
from sopcrm.crm.messaging import selectors
from sopcrm.crm.messaging.models import (
    EmailTemplate,
)
from sopcrm.crm.messaging.services.compose import email_compose, email_preview
from sopcrm.crm.records import selectors as records
from sopcrm.crm.records.models import Activity, Deal, Lead

from .auth import actor
from .errors import READ, WRITE, FieldErrorOut, responses
from .inputs import StrictInput
from .records import UtcDatetime
from .templates import TemplateListOut, render_template

router = Router(tags=["emails"])


DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# -- suggestions, preview and send on a lead or deal ---------------------------------------------


class EmailIn(StrictInput):
    template: int = Field(description="The id of a template you see.")
    free_sections: dict[str, str] = Field(
        default_factory=dict,
        description="Your text for the template's free sections, by section key (plain text; "
        "blank lines separate paragraphs).",
    )
    to: list[str] | None = Field(
        None,
        description="The recipients; default the customer's address (a deal's contact, else "
        "its lead; a lead's email).",
    )


class EmailSend(EmailIn):
    idempotency_key: str | None = Field(
        None,
        description="Retry safely: a second call with the same key returns the first call's "
        "email and sends nothing (1-100 characters, per user). Also accepted as the "
        "`Idempotency-Key` header.",
    )


class PreviewOut(BaseModel):
    to: list[str]
    subject: str
    html: str
    text: str
    next_step: str = Field(description="The call-to-action section's text.")
    problems: list[FieldErrorOut] = Field(
        description="Everything that stops the email from being sent (empty: it can be sent), "
        "each named by its field: `sections.<key>`, `merge_fields.<name>` or `to`."
    )


class EmailActivityOut(BaseModel):
    id: int
    kind: str
    channel: str
    direction: str
    subject: str
    summary: str = Field(description="Names the template, the recipients and the next step.")
    body: str = Field(description="The email's plain text.")
    occurred_at: UtcDatetime | None
    lead: int | None
    deal: int | None
    contact: int | None
    owner: int | None


class OutboundOut(BaseModel):
    id: int
    status: OutboundStatus = Field(description="`queued`, `sent` or `failed`.")
    to: list[str]
    subject: str
    message_id: str = Field(description="The Message-ID header the email is sent with.")
    attempts: int
    sent_at: UtcDatetime | None
    last_error: str
    created_at: UtcDatetime
    next_attempt_at: UtcDatetime | None = Field(description="While queued: the next attempt.")
    lead: int | None
    deal: int | None
    activity: int | None


class SentOut(BaseModel):
    activity: EmailActivityOut = Field(description="The email, logged on the record's timeline.")
    email: OutboundOut = Field(description="The message in the outbox.")


def _record(user: User, record_type: RecordType, record_id: int) -> Lead | Deal:
    found: Lead | Deal = records.record_get(user, record_type, record_id)
    return found


def _template_for_email(user: User, template_id: int) -> EmailTemplate:
    """The body's template: one the user does not see is a 422 on `template`, like any linked
    record, not a 404 of the lead or deal in the path."""
    try:
        return selectors.template_get(user, template_id)
    except NotFound:
        raise InvalidInput.single("template", "not_found", _("No such email template.")) from None


def suggestions_of(request: HttpRequest, record_type: RecordType, record_id: int) -> dict[str, Any]:
    user = actor(request)
    record = _record(user, record_type, record_id)
    return {"items": [render_template(t) for t in selectors.template_suggestions(user, record)]}


def preview_of(
    request: HttpRequest, record_type: RecordType, record_id: int, payload: EmailIn
) -> dict[str, Any]:
    user = actor(request)
    record = _record(user, record_type, record_id)
    template = _template_for_email(user, payload.template)
    draft = email_preview(
        record, template=template, free_sections=payload.free_sections, to=payload.to, actor=user
    )
    return {
        "to": draft.to,
        "subject": draft.subject,
        "html": draft.html,
        "text": draft.text,
        "next_step": draft.next_step,
        "problems": [
            {"field": p.field, "code": p.code, "message": p.message} for p in draft.problems
        ],
    }


def _idempotency_key(body_key: str | None, header_key: str | None) -> str | None:
    if body_key is not None and header_key is not None and body_key != header_key:
        raise InvalidInput.single(
            "idempotency_key",
            "invalid",
            _("The idempotency key in the body and the Idempotency-Key header differ."),
        )
    return body_key if body_key is not None else header_key


def send_on(
    request: HttpRequest,
    record_type: RecordType,
    record_id: int,
    payload: EmailSend,
    header_key: str | None,
) -> Status[dict[str, Any]]:
    user = actor(request)
    record = _record(user, record_type, record_id)
    key = _idempotency_key(payload.idempotency_key, header_key)
    template = _template_for_email(user, payload.template)
    activity = email_compose(
        record,
        template=template,
        free_sections=payload.free_sections,
        to=payload.to,
        actor=user,
        idempotency_key=key,
    )
    queued = OutboundEmail.objects.filter(activity=activity).order_by("pk").first()
    assert queued is not None  # queued in the same transaction as the activity
    return Status(201, {"activity": _render_activity(activity), "email": render_outbound(queued)})


def _render_activity(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "channel": activity.channel,
        "direction": activity.direction,
        "subject": activity.subject,
        "summary": activity.summary,
        "body": activity.body,
        "occurred_at": activity.occurred_at,
        "lead": activity.lead_id,
        "deal": activity.deal_id,
        "contact": activity.contact_id,
        "owner": activity.owner_id,
    }


def render_outbound(email: OutboundEmail) -> dict[str, Any]:
    return {
        "id": email.pk,
        "status": email.status,
        "to": list(email.to),
        "subject": email.subject,
        "message_id": email.message_id,
        "attempts": email.attempts,
        "sent_at": email.sent_at,
        "last_error": email.last_error,
        "created_at": email.created_at,
        "next_attempt_at": (
            email.next_attempt_at if email.status == OutboundStatus.QUEUED else None
        ),
        "lead": email.lead_id,
        "deal": email.deal_id,
        "activity": email.activity_id,
    }


IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="The same as `idempotency_key` in the body (send one or the other).",
    ),
]

SUGGEST_DOC = """Live templates that fit this record, best first: its stage and current step
(`quoted.pending_2nd` → the 2nd follow-up), its region and product line, the customer's
languages, and the template's condition (S-40). Your own personal templates are included."""

PREVIEW_DOC = """Render the email as it would be sent, with `problems` listing everything that
stops it from being sent (a required free section empty, no next step, a merge field without a
value — shown as `[name]` in the preview —, no or an invalid recipient). Writes nothing. A
template you do not see is a `422` on `template`."""

SEND_DOC = """Send an email from a template: `201` with the email activity (logged on the
record's timeline as an outbound contact, S-03) and the message queued in the outbox.

- `422` listing every problem when the email breaks the SOP structure (S-38) or has no recipient:
  `sections.<key>` (`required`, `no_call_to_action`, `not_free`), `merge_fields.<name>`
  (`missing_value`), `to` (`required`, `invalid`); nothing is logged or queued.
- With an `idempotency_key` (or the `Idempotency-Key` header), the same call again returns the
  first call's activity and message and queues nothing; the key reused on another record is
  `409 idempotency_conflict`.
- `409 archived` for an archived template; `404` for a record you may not see."""

SEND_RESPONSES: dict[int, Any] = {201: SentOut, **responses(*WRITE, 409)}


@router.get(
    "/deals/{deal_id}/templates",
    response={200: TemplateListOut, **responses(*READ)},
    tags=["deals"],
    description=SUGGEST_DOC,
)
def deal_templates(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    return suggestions_of(request, RecordType.DEAL, deal_id)


@router.get(
    "/leads/{lead_id}/templates",
    response={200: TemplateListOut, **responses(*READ)},
    tags=["leads"],
    description=SUGGEST_DOC,
)
def lead_templates(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    return suggestions_of(request, RecordType.LEAD, lead_id)


@router.post(
    "/deals/{deal_id}/emails/preview",
    response={200: PreviewOut, **responses(*WRITE)},
    tags=["deals"],
    description=PREVIEW_DOC,
)
def deal_email_preview(request: HttpRequest, deal_id: int, payload: EmailIn) -> dict[str, Any]:
    return preview_of(request, RecordType.DEAL, deal_id, payload)


@router.post(
    "/leads/{lead_id}/emails/preview",
    response={200: PreviewOut, **responses(*WRITE)},
    tags=["leads"],
    description=PREVIEW_DOC,
)
def lead_email_preview(request: HttpRequest, lead_id: int, payload: EmailIn) -> dict[str, Any]:
    return preview_of(request, RecordType.LEAD, lead_id, payload)


@router.post(
    "/deals/{deal_id}/emails", response=SEND_RESPONSES, tags=["deals"], description=SEND_DOC
)
def deal_email_send(
    request: HttpRequest,
    deal_id: int,
    payload: EmailSend,
    idempotency_key: IdempotencyHeader = None,
) -> Status[dict[str, Any]]:
    return send_on(request, RecordType.DEAL, deal_id, payload, idempotency_key)


@router.post(
    "/leads/{lead_id}/emails", response=SEND_RESPONSES, tags=["leads"], description=SEND_DOC
)
def lead_email_send(
    request: HttpRequest,
    lead_id: int,
    payload: EmailSend,
    idempotency_key: IdempotencyHeader = None,
) -> Status[dict[str, Any]]:
    return send_on(request, RecordType.LEAD, lead_id, payload, idempotency_key)


# -- outbound email status -----------------------------------------------------------------------


@router.get("/emails/{email_id}", response={200: OutboundOut, **responses(*READ)})
def get_email(request: HttpRequest, email_id: int) -> dict[str, Any]:
    """A sent email's delivery: `status` (`queued`, `sent`, `failed`), `attempts`, `sent_at`,
    `last_error` and `message_id`. Only for emails on a lead or deal you may see."""
    return render_outbound(outbound_get(actor(request), email_id))
