"""What the web interface keeps for itself: the rate limit of the public intake forms and the
saved views of the list pages."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
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


class ListKey(models.TextChoices):
    """The list pages a saved view can belong to (views/lists.py)."""

    LEADS = "leads", _("Leads")
    DEALS = "deals", _("Deals")
    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")
    ACTIVITIES = "activities", _("Activities")


class SavedView(models.Model):
    """A list page's filters, sort and columns under a name (S-45: "deals with no contact for 5
    days"). Only the query string is kept, not the records: opening the view runs it through the
    permission-aware selector again, so a shared view shows each person only what they may see.
    Changed only through web/saved_views.py."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    list_key = models.CharField(_("list"), max_length=16, choices=ListKey.choices)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("query"), max_length=1000, blank=True)
    shared = models.BooleanField(
        _("shared"),
        default=False,
        help_text=_("Shown to the owner's team (an administrator's: to everybody)."),
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            # "Stuck" and "stuck" side by side as tabs would be two views nobody can tell apart.
            models.UniqueConstraint(
                Lower("name"), "owner", "list_key", name="one_view_name_per_owner_and_list"
            )
        ]
        indexes = [models.Index(fields=["list_key", "shared"])]

    def __str__(self) -> str:
        return self.name
