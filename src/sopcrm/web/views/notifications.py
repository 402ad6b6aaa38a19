"""The notification inbox: the user's own notifications, newest first, the unread ones marked,
each linking to its record; marking one or all read. The unread count is the badge in the top
bar (context_processors.notifications)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.notifications.selectors import notification_list
from sopcrm.crm.notifications.services import notifications_mark_read

from ..http import WebRequest
from .common import record_url, redirect_to, safe_next

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxItem:
    notification: Notification
    record_url: str  # "" for a notification about no record


def _item(notification: Notification) -> InboxItem:
    link = ""
    if notification.record_type and notification.record_id is not None:
        link = record_url(notification.record_type, notification.record_id)
    return InboxItem(notification=notification, record_url=link)


def _positive_int(text: str | None) -> int | None:
    if not text or not text.isdecimal() or len(text) > 19:
        return None
    value = int(text)
    return value if value > 0 else None


@login_required
def notification_inbox(request: WebRequest) -> HttpResponse:
    before = _positive_int(request.GET.get("before"))
    rows = notification_list(request.user, limit=PAGE_SIZE + 1, before_id=before)
    older = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    return render(
        request,
        "web/notifications.html",
        {
            "title": _("Notifications"),
            "items": [_item(n) for n in rows],
            "any_unread": any(n.read_at is None for n in rows),
            "older": older,
            "paged": before is not None,
        },
    )


@login_required
@require_POST
def notifications_read_view(request: WebRequest) -> HttpResponse:
    """Mark one notification read (`id`), or all of the user's (`all`); ids of other users'
    notifications change nothing."""
    if request.POST.get("all"):
        marked = notifications_mark_read(request.user, None)
        if marked:
            messages.success(request, _("All notifications are marked read."))
    else:
        ids = [i for i in map(_positive_int, request.POST.getlist("id")) if i is not None]
        notifications_mark_read(request.user, ids)
    return redirect_to(safe_next(request, reverse("notifications")))
