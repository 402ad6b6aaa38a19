from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel

from sopcrm.core.models import RecordType
from sopcrm.crm.records.models import Account
from sopcrm.crm.records.services.accounts import account_create, account_update
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

router = Router(tags=["accounts"])


class AccountUpdate(StrictInput):
    name: str | None = None
    website: str | None = None
    country: str | None = None
    industry: str | None = None
    phone: str | None = None
    owner: int | None = None
    custom: dict[str, Any] | None = None


class AccountCreate(AccountUpdate):
    name: str


class AccountOut(BaseModel):
    id: int
    name: str
    website: str
    domain: str
    country: str
    industry: str
    phone: str
    owner: int | None
    owner_name: str | None
    custom: dict[str, Any]
    created_at: UtcDatetime
    updated_at: UtcDatetime


def render_account(account: Account, ctx: RenderContext) -> dict[str, Any]:
    return {
        **owned(account),
        "name": account.name,
        "website": account.website,
        "domain": account.domain,
        "country": account.country,
        "industry": account.industry,
        "phone": account.phone,
        "custom": ctx.custom(account, ObjectType.ACCOUNT),
    }


ACCOUNTS = RecordKind(RecordType.ACCOUNT, render_account, account_create, account_update)


@router.get("", response={200: PageOut[AccountOut], **responses(*LIST)})
def list_accounts(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    return list_records(request, ACCOUNTS, params)


@router.post("", response={201: AccountOut, **responses(*WRITE)})
def create_account(request: HttpRequest, payload: AccountCreate) -> Status[dict[str, Any]]:
    return create_record(request, ACCOUNTS, payload)


@router.get("/{account_id}", response={200: AccountOut, **responses(*READ)})
def get_account(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return get_record(request, ACCOUNTS, account_id)


@router.patch("/{account_id}", response={200: AccountOut, **responses(*WRITE)})
def update_account(request: HttpRequest, account_id: int, payload: AccountUpdate) -> dict[str, Any]:
    return update_record(request, ACCOUNTS, account_id, payload)


@router.get("/{account_id}/timeline", response={200: TimelineOut, **responses(*READ)})
def account_timeline(
    request: HttpRequest, account_id: int, limit: TimelineLimit = 200
) -> dict[str, Any]:
    return timeline(request, RecordType.ACCOUNT, account_id, limit)
