"""The user's settings, reached from their name in the top bar: their email signatures (S-39)
and how they hear of notifications by email.

A signature ends the emails written from templates (the `rep_signature` merge field): the one
that lists the email's language, else the default. Each user sees and changes only their own.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core.errors import DomainError, NotFound
from sopcrm.core.models import User
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
from ..forms.signatures import SignatureForm
from ..http import WebRequest
from ..library_display import active_playbook, language_choices, option_choices
from .common import language, redirect_to, render_form_page


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


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: WebRequest) -> HttpResponse:
    """The settings page; a POST saves the notification preference (signatures have their own
    pages)."""
    preference = notification_preferences(request.user)
    notification_form = NotificationPreferenceForm(
        request.POST if request.method == "POST" else None,
        initial={"email": preference.email, "digest_hour": preference.digest_hour},
    )
    if request.method == "POST" and notification_form.is_valid():
        try:
            notification_preferences_set(request.user, notification_form.service_data())
        except DomainError as exc:
            notification_form.add_service_error(exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect_to(reverse("settings"))
    choices = _choices(None)
    items = [
        SignatureItem(
            signature=s,
            languages=_labelled(s.languages, choices["languages"]),
            regions=_labelled(s.regions, choices["regions"]),
            product_lines=_labelled(s.product_lines, choices["product_lines"]),
        )
        for s in messaging.signature_list(request.user)
    ]
    return render(
        request,
        "web/settings/settings.html",
        {"title": _("Settings"), "items": items, "notification_form": notification_form},
    )


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
