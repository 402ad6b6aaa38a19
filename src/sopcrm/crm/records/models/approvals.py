"""Approval requests (S-33): a transition that needs a manager's yes waits here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .records import Deal, Lead


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApprovalRequest(models.Model):
    """A transition held until a manager decides. `data` is what the requester submitted; on
    approval the transition runs with it. A record has at most one pending request."""

    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals"
    )
    transition = models.CharField(_("transition"), max_length=64)
    data = models.JSONField(_("submitted values"), default=dict, blank=True)
    reason = models.TextField(_("why approval is needed"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead__isnull=False) ^ models.Q(deal__isnull=False),
                name="approval_is_about_one_record",
            ),
            models.UniqueConstraint(
                fields=["deal"],
                condition=models.Q(status="pending", deal__isnull=False),
                name="one_pending_approval_per_deal",
            ),
            models.UniqueConstraint(
                fields=["lead"],
                condition=models.Q(status="pending", lead__isnull=False),
                name="one_pending_approval_per_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transition} ({self.status})"
