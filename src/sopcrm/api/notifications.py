"""Your notifications (rules that fired, tasks due, approvals waiting) and how you hear of them
by email. Everyone sees only their own; another user's notification does not exist for you."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from pydantic import BaseModel

from sopcrm.core.errors import InvalidInput
from sopcrm.crm.notifications.links import record_path
from sopcrm.crm.notifications.models import Notification, NotificationPreference
from sopcrm.crm.notifications.selectors import (
    notification_list,
    notification_preferences,
    unread_count,
)
from sopcrm.crm.notifications.services import (
    notification_preferences_set,
    notifications_mark_read,
)

from .auth import actor
from .errors import LIST, responses
from .inputs import QueryInput, StrictInput
from .records import UtcDatetime

router = Router(tags=["notifications"])
# /api/me/notification-preferences: a setting of the signed-in user, beside /api/me.
preferences_router = Router(tags=["notifications"])

MAX_IDS = 1000


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description="What happened, e.g. `task_due` or `rule`.")
    title: str
    body: str
    record_type: str | None = Field(
        description="`lead`, `deal`, `account`, `contact` or `activity`; null if about no record."
    )
    record_id: int | None
    record_url: str | None = Field(description="The record's page in the web UI (a path).")
    rule_key: str = Field(description="The automation rule that sent it, if any.")
    created_at: UtcDatetime
    read_at: UtcDatetime | None
    emailed_at: UtcDatetime | None


class NotificationPageOut(BaseModel):
    items: list[NotificationOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next (older) page; null on the last page."
    )


class NotificationQuery(QueryInput):
    unread: bool = Field(False, description="Only unread notifications.")
    before: int | None = Field(
        None, ge=1, description="Only notifications older than this id (`next_before`)."
    )
    limit: int = Field(50, ge=1, le=200)


class UnreadCountOut(BaseModel):
    unread: int


class MarkRead(StrictInput):
    ids: list[int] | None = Field(
        None, max_length=MAX_IDS, description="Mark these notifications read."
    )
    all: bool = Field(False, description="Or `true`: mark all your notifications read.")


class MarkedOut(BaseModel):
    marked: int = Field(description="How many were unread and are read now.")
    unread: int = Field(description="How many are still unread.")


class PreferencesIn(StrictInput):
    email: str = Field(
        description="`off` (no email), `immediate` (one email per notification) or `daily` "
        "(one digest a day)."
    )
    digest_hour: int = Field(
        description="The local hour (0–23) after which the daily digest is sent."
    )


class PreferencesOut(BaseModel):
    email: str
    digest_hour: int


def render_notification(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "record_type": notification.record_type or None,
        "record_id": notification.record_id,
        "record_url": record_path(notification.record_type, notification.record_id) or None,
        "rule_key": notification.rule_key,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "emailed_at": notification.emailed_at,
    }


def render_preferences(preference: NotificationPreference) -> dict[str, Any]:
    return {"email": preference.email, "digest_hour": preference.digest_hour}


@router.get("", response={200: NotificationPageOut, **responses(*LIST)})
def list_notifications(request: HttpRequest, params: Query[NotificationQuery]) -> dict[str, Any]:
    """Your notifications, newest first; `?unread=true` for the unread ones only."""
    rows = notification_list(
        actor(request),
        unread_only=params.unread,
        limit=params.limit + 1,
        before_id=params.before,
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {
        "items": [render_notification(n) for n in rows],
        "next_before": rows[-1].pk if more and rows else None,
    }


@router.get("/unread-count", response={200: UnreadCountOut, **responses(401)})
def get_unread_count(request: HttpRequest) -> dict[str, Any]:
    return {"unread": unread_count(actor(request))}


@router.post("/read", response={200: MarkedOut, **responses(400, 401, 403, 422)})
def mark_read(request: HttpRequest, payload: MarkRead) -> dict[str, Any]:
    """Mark notifications read: `{"ids": [12, 13]}`, or `{"all": true}` for all of yours.
    Ids of notifications that are not yours are ignored."""
    if payload.all == (payload.ids is not None):
        raise InvalidInput.single(
            "ids", "required", _("Send either a list of ids or “all”: true, not both.")
        )
    user = actor(request)
    marked = notifications_mark_read(user, None if payload.all else payload.ids)
    return {"marked": marked, "unread": unread_count(user)}


@preferences_router.get(
    "/me/notification-preferences", response={200: PreferencesOut, **responses(401)}
)
def get_preferences(request: HttpRequest) -> dict[str, Any]:
    """How you are notified by email (the defaults until you change them)."""
    return render_preferences(notification_preferences(actor(request)))


@preferences_router.put(
    "/me/notification-preferences",
    response={200: PreferencesOut, **responses(400, 401, 403, 422)},
)
def put_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    """Set how you are notified by email: at once, in a daily digest after `digest_hour`
    (local time), or not at all. The inbox gets every notification either way."""
    return render_preferences(notification_preferences_set(actor(request), payload.sent()))
