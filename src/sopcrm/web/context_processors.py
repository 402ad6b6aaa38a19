"""Values every page's top bar needs."""

from typing import Any, cast

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from sopcrm.core.models import User
from sopcrm.crm.notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """`notifications_unread`: the signed-in user's unread count, for the badge in the top bar.
    Lazy: the one COUNT query runs only when a page shows the top bar (not for htmx fragments,
    nor for anonymous visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    signed_in = cast(User, user)
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(signed_in))}
