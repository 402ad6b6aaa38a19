"""What django-axes asks of the site when it rate-limits sign-ins (settings: "Security"): the
client's address, and the page a locked-out username+address gets."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from ..forms.auth import LoginForm
from . import intake_form

# 429 Too Many Requests: the form is shown again with the reason, the attempt is not counted.
LOCKED_OUT_STATUS = 429


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the intake form's throttle reads it (SOPCRM_TRUSTED_PROXIES: see
    intake_form.client_address), as a plain address: an IPv6 client's /64 network by its first
    address, the form django-axes stores."""
    address = intake_form.client_address(request)
    if address == "unknown":
        return None
    return address.removesuffix("/64")


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page again, with a message saying why and for how long (the password is not
    checked while the lockout lasts)."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = ngettext(
        "Too many failed sign-ins for this username. Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this username. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    form = LoginForm(request, data=None, initial={"username": _username(request, credentials)})
    # An unbound form (the password is not shown again) has no cleaned data for add_error().
    form.cleaned_data = {}
    form.add_error(None, message)
    return render(
        request,
        "web/login.html",
        {"form": form, "next": request.POST.get("next", ""), "title": ""},
        status=LOCKED_OUT_STATUS,
    )


def _username(request: HttpRequest, credentials: Any) -> str:
    if isinstance(credentials, dict) and credentials.get("username"):
        return str(credentials["username"])
    return str(request.POST.get("username", ""))
