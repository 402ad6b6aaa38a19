"""The signed-in user, and their personal API tokens."""

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Status
from pydantic import BaseModel

from sopcrm.core.errors import PermissionDenied
from sopcrm.core.models import ApiToken
from sopcrm.core.tokens import token_create, token_list, token_revoke

from .auth import actor, principal
from .errors import responses
from .inputs import IsoDatetime, StrictInput
from .records import UtcDatetime

router = Router(tags=["me"])


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    team: int | None
    team_name: str | None
    language: str
    auth: Literal["session", "token"]


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Shown this once; store it now.")


class TokenListOut(BaseModel):
    items: list[TokenOut]


class TokenCreate(StrictInput):
    name: str
    expires_at: IsoDatetime | None = Field(None, description="Default: never expires.")


def render_token(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/me", response={200: MeOut, **responses(401)})
def me(request: HttpRequest) -> dict[str, Any]:
    who = principal(request)
    user = who.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "role": "admin" if user.is_admin else user.role,
        "team": user.team_id,
        "team_name": user.team.name if user.team is not None else None,
        "language": user.language,
        "auth": who.method,
    }


@router.get("/tokens", response={200: TokenListOut, **responses(401)})
def list_tokens(request: HttpRequest) -> dict[str, Any]:
    tokens = token_list(actor(request))
    return {"items": [render_token(t) for t in tokens]}


@router.post("/tokens", response={201: TokenCreatedOut, **responses(400, 401, 403, 422)})
def create_token(request: HttpRequest, payload: TokenCreate) -> Status[dict[str, Any]]:
    """Create a token; the response holds its secret, which is never shown again."""
    who = principal(request)
    if who.method != "session":
        # A leaked token must not be able to mint fresh ones that outlive its revocation.
        raise PermissionDenied(
            _("Create tokens while signed in to the web UI, or with `sopcrm token create`."),
            code="session_required",
        )
    issued = token_create(user=who.user, name=payload.name, expires_at=payload.expires_at)
    return Status(201, {**render_token(issued.token), "secret": issued.secret})


@router.delete("/tokens/{token_id}", response={200: TokenOut, **responses(401, 403, 404, 422)})
def revoke_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    """Revoke one of your tokens; it stops working at once. Revoking twice is harmless."""
    return render_token(token_revoke(user=actor(request), token_id=token_id))
