"""Request types for the web views, so mypy knows what middleware adds to a request."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from sopcrm.core.models import User


class WebRequest(HttpRequest):
    """A request that passed `login_required`: `user` is a signed-in sopcrm user."""

    user: User
    htmx: HtmxDetails


def wants_partial(request: WebRequest) -> bool:
    """True for an htmx request that swaps a part of the page. A history restore (the browser's
    back button after the htmx cache was emptied) needs the full page instead."""
    return bool(request.htmx) and not request.htmx.history_restore_request
