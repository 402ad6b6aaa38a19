"""Accounts, contacts, leads and deals, and what they share (owner, custom values, stages)."""

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower, StrIndex, Substr
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
    substate = models.CharField(
        _("sub-state"),
        max_length=64,
        blank=True,
        help_text=_("The step inside the stage, for stages that have steps (S-15)."),
    )
    stage_entered_at = models.DateTimeField(_("in stage since"))
    # The latest contact with the customer either way (a logged call, email, meeting or message,
    # or a task done through a channel): what "no contact for 5 days" views and warnings read.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, db_index=True)

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
    assigned_at = models.DateTimeField(
        _("assigned at"), null=True, blank=True, help_text=_("When its rep received it.")
    )
    assignment_rule = models.CharField(_("assignment rule"), max_length=63, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    # A fingerprint of the import row it came from: importing the same file again adds nothing.
    import_key = models.CharField(
        _("import key"), max_length=64, null=True, blank=True, unique=True
    )
    # The company name as the duplicate check compares it (services/duplicates.py,
    # `company_index`), and the two words it finds candidates by, so the database picks them
    # with an index instead of the check reading every name. NULL: not computed yet (a row
    # written in bulk); the check then reads the name itself.
    company_key = models.CharField(  # noqa: DJ001 (NULL and "" differ: see above)
        max_length=200, null=True, blank=True, editable=False
    )
    company_head = models.CharField(max_length=200, blank=True, editable=False)
    company_tail = models.CharField(max_length=200, blank=True, editable=False)
    # The e-mail's domain (stored lower-case by the cleaners), for the duplicate check's
    # same-company-domain match by index rather than by a LIKE over every address.
    email_domain = models.GeneratedField(
        expression=Substr("email", StrIndex("email", Value("@")) + 1),
        output_field=models.CharField(max_length=254),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["owner", "created_at"]),
            models.Index(fields=["stage", "owner"]),
            models.Index(fields=["company_head", "id"], name="lead_company_head"),
            models.Index(fields=["company_tail", "id"], name="lead_company_tail"),
            models.Index(fields=["company_key"], name="lead_company_key"),
            models.Index(fields=["email_domain"], name="lead_email_domain"),
            models.Index(Lower("email"), name="lead_email_lower"),
            # The lead list as it opens (the open leads the user may see, latest first): its
            # count, its page's ids and its country filter's choices come from this index alone.
            models.Index(
                fields=["owner", "pipeline", "stage", "received_at", "country"],
                name="lead_list_open",
            ),
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
            # The board counts its columns from this index alone, without reading the deals
            # (docs/performance.md, "Pages"); it also serves what (stage, owner) served.
            models.Index(
                fields=["stage", "owner", "pipeline", "stage_entered_at"], name="deal_board"
            ),
            # A column's first cards: walked in the column's order, the owner tested on the
            # index entry, until 20 visible ones are found (a manager's team holds a fifth of
            # the deals: about 100 entries read, instead of every deal of the team sorted).
            models.Index(
                fields=["pipeline", "stage", "stage_entered_at", "owner"],
                name="deal_board_order",
            ),
            # The deal list as it opens (the open deals the user may see, by expected close):
            # its count and its page's ids come from this index alone.
            models.Index(
                fields=["owner", "pipeline", "stage", "expected_close_on"], name="deal_list_open"
            ),
        ]

    def __str__(self) -> str:
        return self.title
