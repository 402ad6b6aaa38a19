import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaybookVersion(models.Model):
    """One applied version of a playbook file. Rows are never changed after they are written (but
    for `is_active`), so records that remember their version keep working when a newer one is
    applied. Exactly one version is active at a time.

    The key is a UUID, never reused (SQLite reuses integer ids after a rollback), so a parsed
    version can be cached by its id for the life of the process."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(_("playbook"), max_length=64)
    number = models.PositiveIntegerField(_("version"))
    source = models.TextField(_("source"))
    source_name = models.CharField(_("file"), max_length=255)
    compiled = models.JSONField(_("compiled"))
    is_active = models.BooleanField(_("active"), default=False)
    applied_at = models.DateTimeField(_("applied at"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(fields=["key", "number"], name="playbook_version_unique"),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_playbook",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.number}"


class TimerKind(models.TextChoices):
    TASK_DUE = "task_due", _("Task due")
    SLA = "sla", _("SLA point")
    IDLE = "idle", _("Idle limit")
    DATE = "date", _("Date reached")
    EVENT = "event", _("Change to react to")


class TimerStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    FIRED = "fired", _("Fired")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class Timer(models.Model):
    """A durable deadline: a task's due time, an SLA point, an idle limit, a date a rule waits
    for, or a change rules react to. Created, moved and cancelled in the transaction of the
    change that causes it; fired once by a worker in a transaction that also writes the effects
    (automation/firing.py). At most one pending timer per (kind, record, key): setting it again
    moves it."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TimerKind.choices)
    record_type = models.CharField(_("record type"), max_length=16)
    record_id = models.BigIntegerField(_("record id"))
    key = models.CharField(_("key"), max_length=100, blank=True)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=16, choices=TimerStatus.choices, default=TimerStatus.PENDING
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    late = models.BooleanField(
        _("late"), default=False, help_text=_("Fired well after its time (no worker was running).")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "record_type", "record_id", "key"],
                condition=models.Q(status="pending"),
                name="one_pending_timer_per_purpose",
            ),
        ]
        indexes = [
            # Finding the due timers reads only pending rows, in due order.
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status="pending"),
                name="timer_pending_due",
            ),
            models.Index(fields=["record_type", "record_id"], name="timer_record"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_type}#{self.record_id} {self.key} @ {self.due_at}"
