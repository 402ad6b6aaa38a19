"""What automation keeps per record: the SLA clocks (S-17) and list memberships (S-40)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SlaState(models.TextChoices):
    RUNNING = "running", _("Running")
    MET = "met", _("Met")
    MISSED = "missed", _("Responded late")
    ENDED = "ended", _("Closed without a response")


class SlaClock(models.Model):
    """One SLA of one lead or deal: when it started, its target, when the first response came.
    Read by the daily view (at risk) and the reports (response rate, response time)."""

    record_type = models.CharField(_("record type"), max_length=16)
    record_id = models.BigIntegerField(_("record id"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The record's owner, kept in step, so a user's clocks are one query."),
    )
    sla = models.CharField(_("SLA"), max_length=63)
    state = models.CharField(
        _("state"), max_length=16, choices=SlaState.choices, default=SlaState.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    target = models.CharField(_("target"), max_length=40)
    due_at = models.DateTimeField(_("due at"))
    at_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    response_activity_id = models.BigIntegerField(_("response"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The points already fired ("at_risk", "breached", escalation keys): a new target never
    # fires one twice.
    fired = models.JSONField(_("points fired"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "sla"], name="one_clock_per_sla"
            )
        ]
        indexes = [
            models.Index(fields=["owner", "state", "due_at"], name="sla_owner_state"),
            models.Index(fields=["record_type", "record_id"], name="sla_record"),
            # The first-response report: the clocks of one SLA started in a period.
            models.Index(fields=["sla", "started_at"], name="sla_started"),
        ]

    def __str__(self) -> str:
        return f"{self.sla} {self.record_type}#{self.record_id} {self.state}"


class ListMembership(models.Model):
    """A record on a playbook list (e.g. the mailing list for lost deals, S-40)."""

    list_key = models.CharField(_("list"), max_length=63)
    record_type = models.CharField(_("record type"), max_length=16)
    record_id = models.BigIntegerField(_("record id"))
    added_at = models.DateTimeField(_("added at"))
    rule_key = models.CharField(_("added by rule"), max_length=63, blank=True)

    class Meta:
        verbose_name = _("list membership")
        verbose_name_plural = _("list memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["list_key", "record_type", "record_id"], name="one_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.list_key}: {self.record_type}#{self.record_id}"


class AssignmentTurn(models.Model):
    """Whose turn it is in an assignment rule's pool. Locked while a lead is assigned, so two
    leads arriving at once never take the same turn."""

    rule_key = models.CharField(_("assignment rule"), max_length=63, unique=True)
    last_user_id = models.BigIntegerField(_("last assigned to"), null=True, blank=True)
    # Smooth weighted round robin: each member's current weight, by user id.
    weights = models.JSONField(_("current weights"), default=dict, blank=True)

    class Meta:
        verbose_name = _("assignment turn")
        verbose_name_plural = _("assignment turns")

    def __str__(self) -> str:
        return self.rule_key
