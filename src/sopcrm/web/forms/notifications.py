"""How a user hears of notifications by email: never, at once, or in a daily digest after an
hour of their choice (the settings page)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sopcrm.crm.notifications.models import EmailPreference

from .base import WebForm


class NotificationPreferenceForm(WebForm):
    email = forms.ChoiceField(
        label=_("Email me"),
        choices=EmailPreference.choices,
        widget=forms.RadioSelect,
        help_text=_("Every notification is in your inbox as well, whatever you choose here."),
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Send the daily digest after"),
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        help_text=_("Local time. One email a day, only when there is something new."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_notify_%s")
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        return {
            "email": self.cleaned_data["email"],
            "digest_hour": self.cleaned_data["digest_hour"],
        }
