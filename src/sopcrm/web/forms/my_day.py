"""The small inline forms of the My day page (S-45)."""

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sopcrm.core.clock import now

from .base import DateInput, WebForm


class ExpectedCloseForm(WebForm):
    """A new expected close date for a deal past its old one: today or later, or the deal would
    stay on the list."""

    expected_close_on = forms.DateField(label=_("New expected close"), widget=DateInput())

    def __init__(self, *args: Any, deal_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_close{deal_id}_%s")
        super().__init__(*args, **kwargs)
        self.fields["expected_close_on"].widget.attrs["min"] = timezone.localdate(now()).isoformat()

    def clean_expected_close_on(self) -> date:
        value: date = self.cleaned_data["expected_close_on"]
        if value < timezone.localdate(now()):
            raise forms.ValidationError(_("Choose today or a later date."))
        return value
