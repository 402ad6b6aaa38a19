"""What the web interface keeps for itself: the rate limit of the public intake forms."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IntakeThrottle(models.Model):
    """How many posts one client address made to one public intake form in one time window
    (views/intake_form.py). In the database, not a per-process cache, so the limit holds
    however many server processes answer; rows of past windows are pruned as new ones start."""

    form_key = models.CharField(_("form"), max_length=63)
    client = models.CharField(_("client address"), max_length=64)
    window_start = models.DateTimeField(_("window start"), db_index=True)
    count = models.PositiveIntegerField(_("posts"), default=0)

    class Meta:
        verbose_name = _("intake form rate limit")
        verbose_name_plural = _("intake form rate limits")
        constraints = [
            models.UniqueConstraint(
                fields=["form_key", "client", "window_start"], name="one_throttle_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.form_key} {self.client} {self.window_start:%Y-%m-%d %H:%M}: {self.count}"
