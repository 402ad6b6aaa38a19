"""Reading a user's notifications. Each user sees only their own: there is no manager view of
another's inbox (a notification may name a record the manager sees too, but the inbox is
personal)."""

from sopcrm.core.fieldtypes import MAX_ID
from sopcrm.core.models import User

from .models import Notification, NotificationPreference


def notification_list(
    user: User, *, unread_only: bool = False, limit: int = 50, before_id: int | None = None
) -> list[Notification]:
    """The user's notifications, newest first; `before_id` (the last id of the previous page)
    pages back through older ones."""
    if limit < 1 or not user.is_active:
        return []
    found = Notification.objects.filter(user=user)
    if unread_only:
        found = found.filter(read_at=None)
    if before_id is not None:
        if before_id < 1:
            return []
        # Capped so that a cursor beyond any id still fits the database's integer.
        found = found.filter(pk__lt=min(before_id, MAX_ID))
    return list(found.order_by("-pk")[:limit])


def unread_count(user: User) -> int:
    if not user.is_active:
        return 0
    return Notification.objects.filter(user=user, read_at=None).count()


def notification_preferences(user: User) -> NotificationPreference:
    """The user's stored preferences, else the defaults (an unsaved row: reading writes
    nothing)."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found if found is not None else NotificationPreference(user=user)
