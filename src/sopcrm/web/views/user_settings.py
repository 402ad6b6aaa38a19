"""The user's settings, reached from their name in the top bar: their profile, language,
password, email signatures (S-39), how they hear of notifications by email, and their personal
API tokens. Each user sees and changes only their own.

A signature ends the emails written from templates (the `rep_signature` merge field): the one
that lists the email's language, else the default. An API token's secret is shown once, on the
page that answers its creation; only its digest is stored (core/tokens.py).
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from sopcrm.core.errors import DomainError, NotFound
from sopcrm.core.models import ApiToken, User
from sopcrm.core.tokens import token_create, token_list, token_revoke
from sopcrm.core.users import user_update_profile
from sopcrm.crm.messaging import selectors as messaging
from sopcrm.crm.messaging.models import Signature
from sopcrm.crm.messaging.services.signatures import (
    signature_create,
    signature_delete,
    signature_update,
)
from sopcrm.crm.notifications.selectors import notification_preferences
from sopcrm.crm.notifications.services import notification_preferences_set

from ..forms.notifications import NotificationPreferenceForm
from ..forms.settings import LanguageForm, PasswordForm, ProfileForm, TokenCreateForm
from ..forms.signatures import SignatureForm
from ..http import WebRequest
from ..library_display import active_playbook, language_choices, option_choices
from ..services import user_set_language
from .common import language, redirect_to, remember_language, render_form_page


@dataclass(frozen=True)
class SignatureItem:
    signature: Signature
    languages: str
    regions: str
    product_lines: str


def _labelled(keys: list[str], choices: list[tuple[str, str]]) -> str:
    labels = dict(choices)
    return ", ".join(labels.get(k, k) for k in keys)


def _choices(signature: Signature | None) -> dict[str, list[tuple[str, str]]]:
    """The playbook's options, plus any value a signature already has that they lack (so
    editing never drops it silently)."""
    playbook, lang = active_playbook(), language()
    found = {
        "languages": language_choices(playbook, lang),
        "regions": option_choices(playbook, "region", lang),
        "product_lines": option_choices(playbook, "product_line", lang),
    }
    if signature is not None:
        for name, choices in found.items():
            known = {key for key, _label in choices}
            choices += [(v, v) for v in getattr(signature, name) if v not in known]
    return found


def _signature_or_404(user: User, pk: int) -> Signature:
    try:
        return messaging.signature_get(user, pk)
    except NotFound:
        raise Http404 from None


def _profile_initial(user: User) -> dict[str, str]:
    return {"display_name": user.display_name, "email": user.email}


def _settings_page(request: WebRequest, **forms: Any) -> HttpResponse:
    """The settings page; `forms` are the ones sent back with their errors, the others are
    shown fresh."""
    user = request.user
    preference = notification_preferences(user)
    choices = _choices(None)
    items = [
        SignatureItem(
            signature=s,
            languages=_labelled(s.languages, choices["languages"]),
            regions=_labelled(s.regions, choices["regions"]),
            product_lines=_labelled(s.product_lines, choices["product_lines"]),
        )
        for s in messaging.signature_list(user)
    ]
    context = {
        "title": _("Settings"),
        "profile_form": ProfileForm(initial=_profile_initial(user)),
        "language_form": LanguageForm(initial={"language": user.language or language()}),
        "items": items,
        "notification_form": NotificationPreferenceForm(
            initial={"email": preference.email, "digest_hour": preference.digest_hour}
        ),
        "tokens": list(token_list(user)),
        "token_form": TokenCreateForm(),
        **forms,
    }
    return render(request, "web/settings/settings.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: WebRequest) -> HttpResponse:
    """The settings page; a POST saves the notification preference (the other sections post to
    their own URLs, signatures have their own pages)."""
    if request.method != "POST":
        return _settings_page(request)
    preference = notification_preferences(request.user)
    notification_form = NotificationPreferenceForm(
        request.POST, initial={"email": preference.email, "digest_hour": preference.digest_hour}
    )
    if notification_form.is_valid():
        try:
            notification_preferences_set(request.user, notification_form.service_data())
        except DomainError as exc:
            notification_form.add_service_error(exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect_to(reverse("settings"))
    return _settings_page(request, notification_form=notification_form)


@login_required
@require_POST
def profile_view(request: WebRequest) -> HttpResponse:
    """Save the display name and email; a refused value comes back beside its field."""
    form = ProfileForm(request.POST, initial=_profile_initial(request.user))
    if form.is_valid():
        try:
            user_update_profile(request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect_to(reverse("settings"))
    return _settings_page(request, profile_form=form)


@login_required
@require_POST
def language_view(request: WebRequest) -> HttpResponse:
    """The interface language, as the switch in the top bar sets it: on the user (it follows
    them to any browser) and in the language cookie (the login page reads it)."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, language_form=form)
    try:
        user_set_language(request.user, form.cleaned_data["language"])
    except DomainError as exc:
        form.add_service_error(exc)
        return _settings_page(request, language_form=form)
    response = redirect_to(reverse("settings"))
    remember_language(request, response, form.cleaned_data["language"])
    return response


@login_required
@require_POST
def token_create_view(request: WebRequest) -> HttpResponse:
    """Create an API token and show its secret, this once: the page is the POST's answer (not a
    redirect, so the secret never waits in a session) and no cache keeps it."""
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            issued = token_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            response = render(
                request,
                "web/settings/token_created.html",
                {"title": _("API token created"), "token": issued.token, "secret": issued.secret},
            )
            add_never_cache_headers(response)
            return response
    return _settings_page(request, token_form=form)


def _token_or_404(user: User, pk: int) -> ApiToken:
    # The user's own tokens only: another user's token is "not found", like a missing one.
    token = token_list(user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke_view(request: WebRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST revokes: the token stops working at once."""
    token = _token_or_404(request.user, pk)
    back = reverse("settings")
    if request.method == "POST":
        try:
            token_revoke(user=request.user, token_id=token.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return redirect_to(back)
    return render(
        request,
        "web/settings/token_revoke.html",
        {"title": _("Revoke token"), "token": token, "cancel_url": back},
    )


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Django's password change (it keeps the user signed in), on the form page of the UI."""

    form_class = PasswordForm
    template_name = "web/form_page.html"
    success_url = reverse_lazy("settings")
    success_message = gettext_lazy("Password changed.")
    extra_context = {
        "title": gettext_lazy("Change password"),
        "submit": gettext_lazy("Change password"),
        "cancel_url": reverse_lazy("settings"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def signature_create_view(request: WebRequest) -> HttpResponse:
    form = SignatureForm(
        request.POST if request.method == "POST" else None,
        # Customers read the email's language, not the interface's: an English start.
        initial={"body": f"Best regards,\n{request.user}"},
        **_choices(None),
    )
    back = reverse("settings")
    if request.method == "POST" and form.is_valid():
        try:
            signature_create(actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Signature saved."))
            return redirect_to(back)
    return render_form_page(
        request, form, title=_("New signature"), submit=_("Save"), cancel_url=back
    )


@login_required
@require_http_methods(["GET", "POST"])
def signature_edit_view(request: WebRequest, pk: int) -> HttpResponse:
    signature = _signature_or_404(request.user, pk)
    form = SignatureForm(
        request.POST if request.method == "POST" else None,
        initial={
            "name": signature.name,
            "body": signature.body,
            "languages": signature.languages,
            "regions": signature.regions,
            "product_lines": signature.product_lines,
            "is_default": signature.is_default,
        },
        **_choices(signature),
    )
    back = reverse("settings")
    if request.method == "POST" and form.is_valid():
        try:
            signature_update(signature, actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Signature saved."))
            return redirect_to(back)
    return render_form_page(
        request,
        form,
        title=_("Edit signature “%(name)s”") % {"name": signature.name},
        submit=_("Save"),
        cancel_url=back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def signature_delete_view(request: WebRequest, pk: int) -> HttpResponse:
    """GET asks to confirm (no script for a confirm dialog); POST deletes."""
    signature = _signature_or_404(request.user, pk)
    back = reverse("settings")
    if request.method == "POST":
        try:
            signature_delete(signature, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Signature “%(name)s” deleted.") % {"name": signature.name})
        return redirect_to(back)
    return render(
        request,
        "web/settings/signature_delete.html",
        {"title": _("Delete signature"), "signature": signature, "cancel_url": back},
    )
