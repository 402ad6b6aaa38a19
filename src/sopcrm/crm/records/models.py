"""The CRM records (S-01). Models hold data only: every write goes through services/, every read
through selectors.py, and no model has logic in save()."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopcrm.process.models import PlaybookVersion


class LeadSource(models.TextChoices):
    """Where an inquiry came from (S-02)."""

    TRADE_SHOW = "trade_show", _("Trade show")
    WEBSITE_FORM = "website_form", _("Website form")
    WHATSAPP = "whatsapp", _("WhatsApp")
    B2B_PLATFORM = "b2b_platform", _("B2B platform")
    EMAIL = "email", _("Email")
    SOCIAL = "social", _("LinkedIn / Facebook")
    REFERRAL = "referral", _("Referral")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class RecordBase(models.Model):
    """What every record has: an owner (who sees it, see core/visibility.py), custom field values
    (typed by the playbook, see core/fieldtypes.py) and timestamps."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True


class StagedRecord(RecordBase):
    """A record that moves through the stages of a playbook pipeline (leads and deals)."""

    playbook_version = models.ForeignKey(
        PlaybookVersion,
        verbose_name=_("playbook version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    pipeline = models.CharField(_("pipeline"), max_length=64)
    stage = models.CharField(_("stage"), max_length=64)
    stage_entered_at = models.DateTimeField(_("in stage since"))

    class Meta:
        abstract = True


class Account(RecordBase):
    name = models.CharField(_("name"), max_length=200)
    website = models.CharField(_("website"), max_length=200, blank=True)
    domain = models.CharField(_("domain"), max_length=200, blank=True, db_index=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return self.name


class Contact(RecordBase):
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return self.name


class Lead(StagedRecord):
    """An inquiry (询盘): who asked, what for, from where, and when it really arrived."""

    name = models.CharField(_("contact name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    source = models.CharField(
        _("source"), max_length=32, choices=LeadSource.choices, default=LeadSource.OTHER
    )
    message = models.TextField(_("inquiry"), blank=True)
    received_at = models.DateTimeField(
        _("received at"),
        help_text=_("When the inquiry arrived; an import may set a time in the past."),
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["owner", "created_at"]),
            models.Index(fields=["stage", "owner"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name


class Deal(StagedRecord):
    title = models.CharField(_("title"), max_length=200)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    expected_close_on = models.DateField(_("expected close"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["owner", "created_at"]),
            models.Index(fields=["stage", "owner"]),
        ]

    def __str__(self) -> str:
        return self.title


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
    feedback_type = models.CharField(
        _("customer feedback"), max_length=32, choices=FeedbackType.choices, blank=True
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
