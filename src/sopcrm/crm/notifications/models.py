from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopcrm.core.models import RecordType


class Notification(models.Model):
    """One item in a user's inbox, written by `services.notify` in the transaction of whatever
    caused it. Title and body are stored in the recipient's language: they are read by one
    person only, so there is nothing to translate later.

    `dedupe_key` lets a rule fire again without notifying twice (one row per user and key);
    `emailed_at` says the item went out by email, at once or in a digest.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    record_type = models.CharField(
        _("record type"), max_length=16, choices=RecordType.choices, blank=True
    )
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    rule_key = models.CharField(_("rule"), max_length=63, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_once",
            )
        ]
        # The inbox (newest first, or unread only) and the unread count read this index.
        indexes = [models.Index(fields=["user", "read_at", "-id"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title


class EmailPreference(models.TextChoices):
    OFF = "off", _("Never")
    IMMEDIATE = "immediate", _("At once")
    DAILY = "daily", _("Daily digest")


class NotificationPreference(models.Model):
    """How a user hears of notifications by email. A user without a row has the defaults (see
    `selectors.notification_preferences`); the row is written the first time they change them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.CharField(
        _("email notifications"),
        max_length=16,
        choices=EmailPreference.choices,
        default=EmailPreference.IMMEDIATE,
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"),
        default=8,
        validators=[MaxValueValidator(23)],
        help_text=_("The daily digest goes out after this hour (0–23, local time)."),
    )
    last_digest_on = models.DateField(
        _("last digest on"),
        null=True,
        blank=True,
        help_text=_("The local day of the last digest: at most one a day."),
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_hour__lte=23), name="notification_digest_hour_in_day"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)
