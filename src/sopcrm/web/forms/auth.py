from typing import Any

from django.contrib.auth.forms import AuthenticationForm

from .base import RENDERER


class LoginForm(AuthenticationForm):
    """Django's login form, rendered like the other forms (label, input, error beside it)."""

    default_renderer = RENDERER

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
