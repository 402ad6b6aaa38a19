from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel

from sopcrm.core.models import RecordType
from sopcrm.crm.records.models import Contact
from sopcrm.crm.records.services.contacts import contact_create, contact_update
from sopcrm.playbook.schema import ObjectType

from .errors import LIST, READ, WRITE, responses
from .inputs import StrictInput
from .records import (
    ListQuery,
    PageOut,
    RecordKind,
    RenderContext,
    TimelineLimit,
    TimelineOut,
    UtcDatetime,
    create_record,
    get_record,
    list_records,
    owned,
    timeline,
    update_record,
)

router = Router(tags=["contacts"])


class ContactUpdate(StrictInput):
    name: str | None = None
    account: int | None = None
    job_title: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    owner: int | None = None
    custom: dict[str, Any] | None = None


class ContactCreate(ContactUpdate):
    name: str


class ContactOut(BaseModel):
    id: int
    name: str
    account: int | None
    job_title: str
    email: str
    phone: str
    country: str
    owner: int | None
    owner_name: str | None
    custom: dict[str, Any]
    created_at: UtcDatetime
    updated_at: UtcDatetime


def render_contact(contact: Contact, ctx: RenderContext) -> dict[str, Any]:
    return {
        **owned(contact),
        "name": contact.name,
        "account": contact.account_id,
        "job_title": contact.job_title,
        "email": contact.email,
        "phone": contact.phone,
        "country": contact.country,
        "custom": ctx.custom(contact, ObjectType.CONTACT),
    }


CONTACTS = RecordKind(RecordType.CONTACT, render_contact, contact_create, contact_update)


@router.get("", response={200: PageOut[ContactOut], **responses(*LIST)})
def list_contacts(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    return list_records(request, CONTACTS, params)


@router.post("", response={201: ContactOut, **responses(*WRITE)})
def create_contact(request: HttpRequest, payload: ContactCreate) -> Status[dict[str, Any]]:
    return create_record(request, CONTACTS, payload)


@router.get("/{contact_id}", response={200: ContactOut, **responses(*READ)})
def get_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    return get_record(request, CONTACTS, contact_id)


@router.patch("/{contact_id}", response={200: ContactOut, **responses(*WRITE)})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactUpdate) -> dict[str, Any]:
    return update_record(request, CONTACTS, contact_id, payload)


@router.get("/{contact_id}/timeline", response={200: TimelineOut, **responses(*READ)})
def contact_timeline(
    request: HttpRequest, contact_id: int, limit: TimelineLimit = 200
) -> dict[str, Any]:
    return timeline(request, RecordType.CONTACT, contact_id, limit)
