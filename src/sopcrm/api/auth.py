"""Who is calling: a browser signed in with a session, or a script with a personal API token.

A token is sent as `Authorization: Bearer sop_...` and checked by core.tokens (hashed, revocable,
expiring). A request that sends a token is judged by the token alone: a bad token is a 401 even
when the browser also has a session, so a script never silently runs as someone else.

Session requests must pass Django's CSRF check on unsafe methods, since a browser sends the
session cookie with any cross-site form post; token requests need no CSRF check because a browser
never adds the Authorization header by itself.
"""

from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from sopcrm.core.errors import PermissionDenied
from sopcrm.core.models import User
from sopcrm.core.tokens import token_authenticate

from .errors import NotAuthenticated


@dataclass(frozen=True)
class Principal:
    user: User
    method: Literal["session", "token"]


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        user = token_authenticate(token.strip())
        if user is None:
            raise NotAuthenticated(
                "invalid_token", _("The API token is unknown, expired or revoked.")
            )
        if user.language:
            # The session middleware applies a signed-in user's language; do the same here.
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return Principal(user, "token")


class SessionAuth(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # ninja would check CSRF here, before knowing whether anyone is signed in; we check it in
        # `authenticate` so that an anonymous request gets a 401 rather than a confusing 403.
        # (`csrf` stays True so that the /api/docs page sends the CSRF token.)
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied(
                _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie."),
                code="csrf_failed",
            )
        return Principal(user, "session")


# The token comes first: it answers (or refuses) whenever an Authorization header is sent.
AUTH = [TokenAuth(), SessionAuth()]


def principal(request: HttpRequest) -> Principal:
    auth = getattr(request, "auth", None)
    if not isinstance(auth, Principal):
        raise NotAuthenticated("unauthenticated", _("Sign in, or send an API token as Bearer."))
    return auth


def actor(request: HttpRequest) -> User:
    """The user a request acts as; every endpoint passes it to the services and selectors."""
    return principal(request).user
