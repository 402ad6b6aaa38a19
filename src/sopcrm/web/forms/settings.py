"""The forms of a user's own settings page: profile, language, API tokens and password."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .base import RENDERER, WebForm


class ProfileForm(WebForm):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=150,
        required=False,
        help_text=_("Shown on records and timelines; empty shows your username."),
    )
    # A plain text field: the service checks the address and says what is wrong with it.
    email = forms.CharField(label=_("Email"), max_length=254, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_profile_%s")
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class LanguageForm(WebForm):
    language = forms.ChoiceField(label=_("Language"), widget=forms.RadioSelect, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_language_%s")
        super().__init__(*args, **kwargs)
        # Each language named in itself, as the switch in the top bar shows it.
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (code, _language_name_local(code, name)) for code, name in settings.LANGUAGES
        ]


def _language_name_local(code: str, name: Any) -> str:
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return str(name)


class TokenCreateForm(WebForm):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Spreadsheet import”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_token_%s")
        super().__init__(*args, **kwargs)


class PasswordForm(PasswordChangeForm):
    """Django's password change, drawn like every other form of the UI (errors beside the
    field, labels above it)."""

    default_renderer = RENDERER
    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [("", self.visible_fields())]
