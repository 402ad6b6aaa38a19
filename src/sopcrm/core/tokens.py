"""Personal API tokens: created with the secret shown once, stored as a SHA-256 digest.

A SHA-256 digest suffices (no slow password hash) because the secret is 256 random bits, not a
guessable password; it lets authentication look the token up by its digest with one indexed query.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .clock import now
from .errors import InvalidInput, NotFound
from .models import ApiToken, User

TOKEN_PREFIX = "sop_"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the user once; never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, expires_at: datetime | None = None) -> IssuedToken:
    name = name.strip()
    if not name:
        raise InvalidInput.single("name", "required", _("Give the token a name."))
    if expires_at is not None and expires_at <= now():
        raise InvalidInput.single("expires_at", "in_past", _("The expiry must be in the future."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=_digest(secret),
        created_at=now(),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
    return token


def token_list(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked ones included, marked by revoked_at)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_authenticate(secret: str) -> User | None:
    """The active user a token belongs to, or None if it is unknown, revoked or expired."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    current = now()
    if token.expires_at is not None and token.expires_at <= current:
        return None
    # Recording use at most once a minute keeps a busy script from writing on every request.
    if token.last_used_at is None or (current - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=current)
    return token.user
