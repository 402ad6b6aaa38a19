"""Email templates (S-37..S-39), their change log, and the reps' signatures.

Models hold data only: writes go through services/, reads through selectors.py. A template's
content has the shape of a playbook `email_templates` entry (`playbook.schema.EmailTemplateDef`):
`sections` is that entry's list of sections as JSON, checked by the same rules when saved.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateCategory(models.TextChoices):
    STANDARD = "standard", _("Standard (everyone must know it)")
    ADVANCED = "advanced", _("Advanced (contributed by senior reps)")


class TemplatePurpose(models.TextChoices):
    FIRST_REPLY = "first_reply", _("First reply")
    QUOTE_COVER = "quote_cover", _("Quotation cover")
    CHASE_1 = "chase_1", _("1st follow-up")
    CHASE_2 = "chase_2", _("2nd follow-up")
    CHASE_3 = "chase_3", _("3rd follow-up")
    RETOUCH_HIGH = "retouch_high", _("Lost deal, high potential")
    RETOUCH_MEDIUM = "retouch_medium", _("Lost deal, medium potential")
    RETOUCH_LOW = "retouch_low", _("Lost deal, low potential")
    WON_CHECK = "won_check", _("After-sales check")
    OTHER = "other", _("Other")


class TemplateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PROPOSED = "proposed", _("Proposed for the team library")
    ARCHIVED = "archived", _("Archived")


class EmailTemplate(models.Model):
    """A template in the team library (no owner) or a rep's personal variant (owner set).

    Templates are never deleted: archiving keeps them for the emails already sent from them. A
    key is unique among the team library's live templates and among each rep's own."""

    key = models.CharField(_("key"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    category = models.CharField(
        _("category"),
        max_length=16,
        choices=TemplateCategory.choices,
        default=TemplateCategory.STANDARD,
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    region = models.CharField(
        _("region"), max_length=64, blank=True, help_text=_("Empty: for every region.")
    )
    product_line = models.CharField(
        _("product line"), max_length=64, blank=True, help_text=_("Empty: for every product line.")
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=TemplatePurpose.choices)
    stages = models.JSONField(
        _("suggested in stages"),
        default=list,
        blank=True,
        help_text=_("Stage keys, or stage.step; empty: any stage."),
    )
    when = models.TextField(
        _("condition"), blank=True, help_text=_("Suggested only for records where this holds.")
    )
    subject = models.CharField(_("subject"), max_length=300)
    sections = models.JSONField(_("sections"), default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the team library; a rep for a personal variant."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.ACTIVE
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="variants",
    )
    origin = models.CharField(
        _("origin"), max_length=100, blank=True, help_text=_("The playbook version it came from.")
    )
    proposal_note = models.TextField(_("proposal note"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(owner__isnull=True) & ~models.Q(status="archived"),
                name="email_template_team_key_unique",
            ),
            models.UniqueConstraint(
                fields=["owner", "key"],
                condition=models.Q(owner__isnull=False) & ~models.Q(status="archived"),
                name="email_template_personal_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "purpose"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_team(self) -> bool:
        return self.owner_id is None


class TemplateAction(models.TextChoices):
    SEEDED = "seeded", _("Added from the playbook")
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Edited")
    VARIANT_CREATED = "variant_created", _("Personal variant saved")
    PROPOSED = "proposed", _("Proposed for the team library")
    PROMOTED = "promoted", _("Promoted into the team library")
    DECLINED = "declined", _("Proposal declined")
    ARCHIVED = "archived", _("Archived")


class TemplateChange(models.Model):
    """The append-only log of what happened to a template, by whom (the library's audit)."""

    template = models.ForeignKey(EmailTemplate, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(_("action"), max_length=32, choices=TemplateAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        verbose_name = _("template change")
        verbose_name_plural = _("template changes")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.template_id} {self.action}"


class Signature(models.Model):
    """A rep's email signature (S-39): plain text, with what it suits. The `rep_signature` merge
    field takes the one that fits the template best (language first), else the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("signature"))
    product_lines = models.JSONField(_("product lines"), default=list, blank=True)
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="one_default_signature_per_user",
            )
        ]

    def __str__(self) -> str:
        return self.name
