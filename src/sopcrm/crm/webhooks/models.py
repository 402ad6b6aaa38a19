from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Webhook(models.Model):
    """A receiver an administrator registered (`sopcrm webhook add`). Automation names it by
    `key`; every delivery to it is signed with `secret`."""

    key = models.CharField(_("key"), max_length=63, unique=True)
    url = models.CharField(_("URL"), max_length=2000)
    # Stored readable, unlike API tokens (which keep only a digest): the secret is the shared
    # HMAC key that signs every delivery, so the worker needs the key itself. It is shown once,
    # when created or rotated, and appears nowhere else (not in the admin, the API or the CLI's
    # listings); anyone who can read the database can read it.
    secret = models.CharField(_("secret"), max_length=128)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.key


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event to post to one webhook, and the outcome of its latest attempt (the delivery
    log). Written in the same transaction as the change that fires it; the worker posts it after
    commit, retrying with backoff. `idempotency_key` makes queueing the same event twice a no-op
    (a re-fired rule, a retried request)."""

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    record_type = models.CharField(_("record type"), max_length=32, blank=True)
    record_id = models.BigIntegerField(_("record id"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response_excerpt = models.CharField(
        _("response excerpt"),
        max_length=500,
        blank=True,
        help_text=_("The first 500 characters of the receiver's latest answer."),
    )
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"
