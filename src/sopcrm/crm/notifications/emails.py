"""The text of notification emails: one notification at once, or the daily digest.

Plain text, in the recipient's language (the caller wraps these in `translation.override`), with
absolute links to the records, the inbox and the settings page.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopcrm.core.models import RecordType

from .links import INBOX_PATH, SETTINGS_PATH, absolute_url, record_path
from .models import Notification

# A digest lists this many notifications at most; the rest are counted and wait in the inbox
# (a user who turns the digest on after months of "never" should not get a book).
DIGEST_ITEMS = 100
# A digest shows the start of each text; the inbox and the record have the rest.
DIGEST_BODY_CHARS = 300
SUBJECT_CHARS = 500


@dataclass(frozen=True)
class EmailText:
    subject: str
    text: str


def _record_line(notification: Notification) -> str:
    """`Deal: https://crm.example.com/deals/12/`, or "" for a notification about no record."""
    path = record_path(notification.record_type, notification.record_id)
    if not path:
        return ""
    return f"{RecordType(notification.record_type).label}: {absolute_url(path)}"


def _footer(reason: str) -> list[str]:
    return [
        "-- ",
        _("All your notifications: %(url)s") % {"url": absolute_url(INBOX_PATH)},
        reason,
        _("Change how you are notified: %(url)s") % {"url": absolute_url(SETTINGS_PATH)},
    ]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def immediate_email(notification: Notification) -> EmailText:
    lines = [notification.title, ""]
    if notification.body.strip():
        lines += [notification.body.strip(), ""]
    record = _record_line(notification)
    if record:
        lines += [record, ""]
    lines += _footer(_("You get an email for each notification."))
    subject = _("[sopcrm] %(title)s") % {"title": " ".join(notification.title.split())}
    return EmailText(subject=_shorten(subject, SUBJECT_CHARS), text="\n".join(lines) + "\n")


def digest_email(notifications: Sequence[Notification], *, digest_hour: int) -> EmailText:
    count = len(notifications)
    subject = ngettext(
        "[sopcrm] %(count)d new notification", "[sopcrm] %(count)d new notifications", count
    ) % {"count": count}
    lines = [_("Your new notifications:"), ""]
    for notification in notifications[:DIGEST_ITEMS]:
        at = timezone.localtime(notification.created_at).strftime("%Y-%m-%d %H:%M")
        lines.append(f"- {at}  {notification.title}")
        body = " ".join(notification.body.split())
        if body:
            lines.append(f"  {_shorten(body, DIGEST_BODY_CHARS)}")
        record = _record_line(notification)
        if record:
            lines.append(f"  {record}")
        lines.append("")
    more = count - DIGEST_ITEMS
    if more > 0:
        lines += [
            ngettext(
                "…and %(count)d more in your inbox.", "…and %(count)d more in your inbox.", more
            )
            % {"count": more},
            "",
        ]
    reason = _("You get this digest once a day, after %(hour)02d:00.") % {"hour": digest_hour}
    lines += _footer(reason)
    return EmailText(subject=subject, text="\n".join(lines) + "\n")
