"""The signed-in user's email signatures."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status
from pydantic import BaseModel

from sopcrm.crm.messaging import selectors
from sopcrm.crm.messaging.models import (
    Signature,
)
from sopcrm.crm.messaging.services.signatures import (
    signature_create,
    signature_delete,
    signature_update,
)

from .auth import actor
from .errors import READ, WRITE, responses
from .inputs import StrictInput
from .records import UtcDatetime

router = Router(tags=["signatures"])


DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# -- signatures ----------------------------------------------------------------------------------


class SignatureOut(BaseModel):
    id: int
    name: str
    body: str = Field(description="Plain text; it fills the `rep_signature` merge field.")
    product_lines: list[str]
    regions: list[str]
    languages: list[str]
    is_default: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime


class SignatureListOut(BaseModel):
    items: list[SignatureOut]


class SignatureUpdate(StrictInput):
    name: str | None = Field(None, description="At most 100 characters.")
    body: str | None = Field(None, description="Plain text, at most 2000 characters.")
    product_lines: list[str] | None = Field(None, description="Product-line option keys.")
    regions: list[str] | None = Field(None, description="Region option keys.")
    languages: list[str] | None = Field(None, description="ISO 639 codes (`en`, `es`).")
    is_default: bool | None = Field(None, description="Make it your one default signature.")


class SignatureCreate(SignatureUpdate):
    name: str
    body: str


def render_signature(signature: Signature) -> dict[str, Any]:
    return {
        "id": signature.pk,
        "name": signature.name,
        "body": signature.body,
        "product_lines": list(signature.product_lines),
        "regions": list(signature.regions),
        "languages": list(signature.languages),
        "is_default": signature.is_default,
        "created_at": signature.created_at,
        "updated_at": signature.updated_at,
    }


@router.get("/signatures", response={200: SignatureListOut, **responses(401)})
def list_signatures(request: HttpRequest) -> dict[str, Any]:
    """Your own signatures, the default first."""
    return {"items": [render_signature(s) for s in selectors.signature_list(actor(request))]}


@router.post("/signatures", response={201: SignatureOut, **responses(400, 401, 403, 422)})
def create_signature(request: HttpRequest, payload: SignatureCreate) -> Status[dict[str, Any]]:
    """Add a signature; your first one is the default."""
    signature = signature_create(actor=actor(request), data=payload.sent())
    return Status(201, render_signature(signature))


@router.patch("/signatures/{signature_id}", response={200: SignatureOut, **responses(*WRITE)})
def update_signature(
    request: HttpRequest, signature_id: int, payload: SignatureUpdate
) -> dict[str, Any]:
    """Change one of your signatures (another user's is a `404`)."""
    user = actor(request)
    signature = selectors.signature_get(user, signature_id)
    return render_signature(signature_update(signature, actor=user, data=payload.sent()))


@router.delete("/signatures/{signature_id}", response={204: None, **responses(*READ, 403)})
def delete_signature(request: HttpRequest, signature_id: int) -> Status[None]:
    """Delete one of your signatures (another user's is a `404`)."""
    user = actor(request)
    signature_delete(selectors.signature_get(user, signature_id), actor=user)
    return Status(204, None)
