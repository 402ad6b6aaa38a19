from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopcrm.crm.records.models import Activity, Contact, Deal, Lead

# What an outbox failure is logged as on the records (see services/delivery.py). Core has no


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    """One message in the outbox. Written in the same transaction as the change that sends it;
    the worker delivers it after commit, retrying with backoff. `idempotency_key` makes queueing
    the same message twice a no-op (a retried API call, a re-fired rule)."""

    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    from_email = models.CharField(_("from"), max_length=254)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    text_body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    reply_token = models.CharField(
        _("reply token"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Part of the Reply-To address; matches the customer's reply to this record."),
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.subject


class InboundStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    UNMATCHED = "unmatched", _("Unmatched")
    ASSIGNED = "assigned", _("Assigned")
    IGNORED = "ignored", _("Ignored")


class MatchMethod(models.TextChoices):
    TOKEN = "token", _("Reply address")
    THREAD = "thread", _("Thread")
    SENDER = "sender", _("Sender address")
    MANUAL = "manual", _("Assigned by hand")


class InboundEmail(models.Model):
    """One received message, kept whole (`raw`) whether or not it was matched to a record.

    A matched reply is logged as an inbound email activity on its lead or deal and stops the
    chase; an unmatched one waits in the review queue until someone assigns or ignores it.
    `message_id` is unique, so receiving the same message twice (webhook retries, a second IMAP
    fetch) records it once.
    """

    source = models.CharField(_("source"), max_length=32)
    raw = models.BinaryField(_("raw message"))
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    from_email = models.CharField(_("from"), max_length=254, db_index=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to = models.JSONField(_("to"), default=list, blank=True)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    in_reply_to = models.TextField(_("In-Reply-To"), blank=True)
    references = models.TextField(_("References"), blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    text = models.TextField(
        _("text"), blank=True, help_text=_("The new text, without quoted history and signature.")
    )
    status = models.CharField(_("status"), max_length=16, choices=InboundStatus.choices)
    match_method = models.CharField(
        _("matched by"), max_length=16, choices=MatchMethod.choices, blank=True
    )
    ignored_reason = models.CharField(
        _("why ignored"),
        max_length=32,
        blank=True,
        help_text=_("“automatic” for auto-replies and bounces; empty when ignored by hand."),
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return self.subject or self.message_id
