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
