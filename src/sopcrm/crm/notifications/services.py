"""Writing notifications: creating them (and emailing at once), marking them read, the user's
email preference, and the daily digest the worker sends.

`notify` runs inside the caller's transaction (a rule firing, a task falling due), so an
inbox item and its email exist exactly when the change behind them was committed; the outbox
delivers the email after commit (crm/mail/services/delivery.py).
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.fieldtypes import has_nul, is_record_id
from sopcrm.core.models import RecordType, User
from sopcrm.crm.mail.services.outbox import email_queue

from .emails import digest_email, immediate_email
from .models import EmailPreference, Notification, NotificationPreference
from .selectors import notification_preferences

_TITLE_CHARS = 300
_KEY_LIMITS = {"kind": 40, "rule_key": 63, "dedupe_key": 200}


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def _may_email(user: User) -> bool:
    return user.is_active and bool(user.email)


def _notify_problems(
    *, kind: str, title: str, record_type: str, record_id: int | None, keys: Mapping[str, str]
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not kind.strip():
        problems.append(FieldProblem("kind", "required", _("This field is required.")))
    if not title.strip():
        problems.append(FieldProblem("title", "required", _("This field is required.")))
    for name, value in keys.items():
        if len(value) > _KEY_LIMITS[name]:
            message = _("At most %(n)d characters.") % {"n": _KEY_LIMITS[name]}
            problems.append(FieldProblem(name, "max_length", message))
        elif has_nul(value):
            problems.append(FieldProblem(name, "invalid", _("Enter a valid value.")))
    if record_type and record_type not in RecordType.values:
        problems.append(FieldProblem("record_type", "choice", _("Unknown record type.")))
    if record_type and not is_record_id(record_id):
        problems.append(FieldProblem("record_id", "required", _("Name the record.")))
    if not record_type and record_id is not None:
        problems.append(FieldProblem("record_type", "required", _("Name the record type.")))
    return problems


def _one_line(text: str) -> str:
    text = " ".join(text.replace("\x00", "").split())
    return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1].rstrip() + "…"


@transaction.atomic
def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    record_type: str = "",
    record_id: int | None = None,
    rule_key: str = "",
    dedupe_key: str = "",
) -> Notification:
    """Create an in-app notification for one user inside the caller's transaction (title and
    body already in the user's language; a title longer than 300 characters is shortened).

    With a `dedupe_key`, a second call for the same user and key returns the first
    notification and does nothing else, so a rule may fire again safely. If the user wants
    email at once, one email is queued in the outbox and `emailed_at` is set.
    """
    keys = {"kind": kind, "rule_key": rule_key, "dedupe_key": dedupe_key}
    problems = _notify_problems(
        kind=kind, title=title, record_type=record_type, record_id=record_id, keys=keys
    )
    if problems:
        raise InvalidInput(problems)
    if dedupe_key:
        existing = Notification.objects.filter(user=user, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    at = now()
    email_now = (
        _may_email(user) and notification_preferences(user).email == EmailPreference.IMMEDIATE
    )
    try:
        # A savepoint: losing the race below must not spoil the caller's transaction.
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                kind=kind.strip(),
                title=_one_line(title),
                body=body.replace("\x00", "").strip(),
                record_type=record_type,
                record_id=record_id if record_type else None,
                rule_key=rule_key,
                dedupe_key=dedupe_key,
                created_at=at,
                emailed_at=at if email_now else None,
            )
    except IntegrityError:
        # The same rule fired for the same user at the same moment in another transaction,
        # which committed first (on PostgreSQL the insert waited for it): theirs is the one.
        existing = (
            Notification.objects.filter(user=user, dedupe_key=dedupe_key).first()
            if dedupe_key
            else None
        )
        if existing is None:
            raise
        return existing
    if email_now:
        with translation.override(_language(user)):
            message = immediate_email(notification)
        email_queue(
            to=[user.email],
            subject=message.subject,
            text=message.text,
            sender=None,
            idempotency_key=f"notification:{notification.pk}",
        )
    return notification


def notifications_mark_read(user: User, ids: Iterable[int] | None) -> int:
    """Mark the user's own unread notifications read: those in `ids` (other users' ids and
    unknown ids are ignored), or all of them for None. Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        wanted = {i for i in ids if is_record_id(i)}
        if not wanted:
            return 0
        unread = unread.filter(pk__in=wanted)
    return unread.update(read_at=now())


def _preference_problems(data: Mapping[str, Any]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for name, value in data.items():
        if name == "email":
            if not isinstance(value, str) or value not in EmailPreference.values:
                message = _("Choose one of: %(options)s.") % {
                    "options": ", ".join(EmailPreference.values)
                }
                problems.append(FieldProblem(name, "choice", message))
        elif name == "digest_hour":
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(FieldProblem(name, "type", _("Enter a whole number.")))
            elif not 0 <= value <= 23:
                problems.append(FieldProblem(name, "range", _("Enter an hour from 0 to 23.")))
        else:
            problems.append(FieldProblem(name, "unknown_field", _("This field cannot be set.")))
    return problems


@transaction.atomic
def notification_preferences_set(user: User, data: Mapping[str, Any]) -> NotificationPreference:
    """Change the user's email preference (`email`: off, immediate or daily; `digest_hour`:
    0-23, local time). Fields left out keep their value; any bad value changes nothing."""
    problems = _preference_problems(data)
    if problems:
        raise InvalidInput(problems)
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults=dict(data)
    )
    return preference


# -- the daily digest ----------------------------------------------------------------------------


def _not_sent_on(day: date) -> Q:
    return Q(last_digest_on=None) | Q(last_digest_on__lt=day)


def _digest_send(preference_pk: int, day: date, at: datetime) -> bool:
    """Send one user's digest for `day`, unless another worker did already; True if queued."""
    with transaction.atomic():
        # The claim: one conditional UPDATE, so two workers never send the same day twice.
        unclaimed = NotificationPreference.objects.filter(_not_sent_on(day), pk=preference_pk)
        if not unclaimed.update(last_digest_on=day):
            return False
        preference = NotificationPreference.objects.select_related("user").get(pk=preference_pk)
        user = preference.user
        items = list(Notification.objects.filter(user=user, emailed_at=None).order_by("pk"))
        if not items:
            # Emailed meanwhile: keep the day open for what comes later.
            transaction.set_rollback(True)
            return False
        with translation.override(_language(user)):
            message = digest_email(items, digest_hour=preference.digest_hour)
        email_queue(
            to=[user.email],
            subject=message.subject,
            text=message.text,
            sender=None,
            idempotency_key=f"digest:{user.pk}:{day.isoformat()}",
        )
        # By id: a notification created while this runs waits for tomorrow's digest.
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=at)
        return True


def digests_send_due(*, limit: int = 100) -> int:
    """Queue the daily digests that are due: users who chose the digest, whose local time
    (settings.TIME_ZONE) has reached their digest hour, who got none today, and who have
    notifications not yet emailed. Called by the worker every tick; returns how many emails
    were queued. A day with nothing new sends nothing (and a later notification that day is
    still sent that day)."""
    at = now()
    local = timezone.localtime(at)
    day = local.date()
    due = (
        NotificationPreference.objects.filter(
            _not_sent_on(day),
            email=EmailPreference.DAILY,
            digest_hour__lte=local.hour,
            user__is_active=True,
        )
        .exclude(user__email="")
        .filter(Exists(Notification.objects.filter(user=OuterRef("user"), emailed_at=None)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(_digest_send(pk, day, at) for pk in list(due[:limit]))
