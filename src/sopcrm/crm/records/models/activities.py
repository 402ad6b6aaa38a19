"""Activities: tasks and logged contacts (S-03)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .records import Account, Contact, Deal, Lead


class ActivityKind(models.TextChoices):
    TASK = "task", _("Task")
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Note")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WECHAT = "wechat", _("WeChat")
    LINKEDIN = "linkedin", _("LinkedIn")
    FACEBOOK = "facebook", _("Facebook")
    B2B_PLATFORM = "b2b_platform", _("B2B platform")
    VIDEO = "video", _("Video call")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", _("Other")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("To the customer")
    INBOUND = "inbound", _("From the customer")
    INTERNAL = "internal", _("Internal")


class FeedbackType(models.TextChoices):
    """How the customer reacted (S-15), for follow-ups and the reports on them."""

    NO_REPLY = "no_reply", _("No reply")
    INTERESTED = "interested", _("Interested")
    COMPARING_SUPPLIERS = "comparing_suppliers", _("Comparing suppliers")
    PRICE_OBJECTION = "price_objection", _("Price objection")
    TIMING_OBJECTION = "timing_objection", _("Timing objection")
    WAITING_FOR_BOSS = "waiting_for_boss", _("Waiting for the boss")
    NEEDS_SAMPLE = "needs_sample", _("Needs a sample")
    NOT_INTERESTED = "not_interested", _("Not interested")
    OTHER = "other", _("Other")


class NewInformation(models.TextChoices):
    """What new a follow-up brought the customer (S-21: every chase carries something new)."""

    NEW_MATERIAL = "new_material", _("New material (case, certificate, datasheet)")
    NEW_PROPOSAL = "new_proposal", _("New proposal (price, alternative, terms)")
    NEW_REASON = "new_reason", _("New reason to talk (news, capacity, deadline)")


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(models.Model):
    """Something done or to do about a record: a task, or a logged call, email, meeting, message
    or note (S-03). A logged activity may be recorded after it happened (`occurred_at` in the
    past); a task is open until completed, when its outcome is recorded."""

    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.DONE
    )
    subject = models.CharField(_("subject"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, default=Direction.OUTBOUND
    )
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(
        _("body"), blank=True, help_text=_("The full text of an email sent or received.")
    )
    feedback_type = models.CharField(
        _("customer feedback"), max_length=32, choices=FeedbackType.choices, blank=True
    )
    new_information = models.CharField(
        _("new information"), max_length=16, choices=NewInformation.choices, blank=True
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    template_key = models.CharField(
        _("task template"),
        max_length=64,
        blank=True,
        help_text=_("The playbook task template this task was created from."),
    )
    active_in = models.JSONField(
        _("open while in stages"),
        default=list,
        blank=True,
        help_text=_("Leaving these stages cancels the open task; empty keeps it."),
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["owner", "status", "due_at"]),
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead__isnull=False)
                | models.Q(deal__isnull=False)
                | models.Q(account__isnull=False)
                | models.Q(contact__isnull=False),
                name="activity_is_about_a_record",
            )
        ]

    def __str__(self) -> str:
        return self.subject
