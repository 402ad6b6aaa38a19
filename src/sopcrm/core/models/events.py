from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordType(models.TextChoices):
    ACCOUNT = "account", _("Account")
    CONTACT = "contact", _("Contact")
    LEAD = "lead", _("Lead")
    DEAL = "deal", _("Deal")
    ACTIVITY = "activity", _("Activity")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    FIELD_CHANGED = "field_changed", _("Field changed")
    OWNER_CHANGED = "owner_changed", _("Owner changed")
    STAGE_LEFT = "stage_left", _("Stage left")
    STAGE_ENTERED = "stage_entered", _("Stage entered")
    SUBSTATE_CHANGED = "substate_changed", _("Step changed")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVAL_DECIDED = "approval_decided", _("Approval decided")
    ACTIVITY_CREATED = "activity_created", _("Activity created")
    ACTIVITY_COMPLETED = "activity_completed", _("Activity completed")
    ACTIVITY_CANCELLED = "activity_cancelled", _("Activity cancelled")
    EMAIL_FAILED = "email_failed", _("Email could not be sent")
    RULE_FIRED = "rule_fired", _("Rule fired")
    RULE_FAILED = "rule_failed", _("Rule failed")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
    SLA_STARTED = "sla_started", _("SLA started")
    SLA_AT_RISK = "sla_at_risk", _("SLA at risk")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_ESCALATED = "sla_escalated", _("SLA escalated")
    SLA_MET = "sla_met", _("Responded")
    SLA_ENDED = "sla_ended", _("SLA ended without a response")
    IDLE_IN_STAGE = "idle_in_stage", _("Idle in stage")
    DATE_REACHED = "date_reached", _("Date reached")
    ASSIGNED = "assigned", _("Assigned")
    QUALIFICATION_CHANGED = "qualification_changed", _("Qualification changed")
    DUPLICATE_FOUND = "duplicate_found", _("Duplicate found")
    MERGED = "merged", _("Merged")
    CONVERTED = "converted", _("Converted")


class Event(models.Model):
    """One row of the append-only event log: the source of timelines, audit and reports.

    Rows are only ever inserted (by `core.events.event_record`); no service, API endpoint or admin
    page updates or deletes them. `data` holds what changed, e.g. {"field": ..., "old": ...,
    "new": ...} for FIELD_CHANGED or {"stage": ..., "pipeline": ...} for stage events.
    """

    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The automation user when a rule or timer acted; empty for old events."),
    )
    record_type = models.CharField(_("record type"), max_length=16, choices=RecordType.choices)
    record_id = models.BigIntegerField(_("record id"))
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["record_type", "record_id", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} {self.kind}"
