"""Changing email templates: edit, make a variant, propose it, and a manager's promote, decline
and archive (S-39). Each view calls one service; the library pages are in email_templates.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sopcrm.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from sopcrm.crm.messaging.services.templates import (
    template_archive,
    template_decline,
    template_promote,
    template_propose,
    template_update,
    template_variant_create,
)

from ..forms.email_templates import (
    SectionForm,
    SectionFormSet,
    TemplateForm,
    add_service_errors,
    ordered_sections,
)
from ..http import WebRequest
from ..library_display import (
    active_playbook,
    option_choices,
    template_name,
)
from .common import language, redirect_to
from .email_templates import (
    DeclineForm,
    ProposeForm,
    may_edit,
    may_keep_library,
    render_template_page,
    template_or_404,
    template_url,
)


def _refused(request: WebRequest, error: DomainError, back: str) -> HttpResponse:
    """A refusal from a template service: forbidden is a 403, anything else (archived meanwhile,
    not proposed any more) a message on the page the user came from."""
    if isinstance(error, PermissionDenied):
        raise HttpForbidden(error.message)
    if isinstance(error, NotFound):
        raise Http404
    messages.error(request, error.message)
    return redirect_to(back)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: WebRequest, pk: int) -> HttpResponse:
    user = request.user
    template = template_or_404(user, pk)
    if not may_edit(user, template):
        raise HttpForbidden
    lang = language()
    playbook = active_playbook()
    choices = {
        "regions": option_choices(playbook, "region", lang),
        "product_lines": option_choices(playbook, "product_line", lang),
    }
    initial_sections = [
        SectionForm.initial_for(section, index + 1)
        for index, section in enumerate(template.sections)
    ]
    before = {str(s.get("key")): s for s in template.sections}
    bound = request.POST if request.method == "POST" else None
    form = TemplateForm(bound, initial=TemplateForm.initial_for(template), **choices)
    formset = SectionFormSet(bound, initial=initial_sections, prefix="sections")
    url = template_url(template)
    if bound is not None and form.is_valid() and formset.is_valid():
        ordered = ordered_sections(formset)
        data = form.service_data()
        data["sections"] = [
            section_form.section_data(before.get(str(section_form.initial.get("key", ""))))
            for section_form, _cleaned in ordered
        ]
        try:
            template_update(template, actor=user, data=data)
        except InvalidInput as exc:
            add_service_errors(exc, form, [section_form for section_form, _cleaned in ordered])
        except DomainError as exc:
            return _refused(request, exc, url)
        else:
            messages.success(request, _("Saved."))
            return redirect_to(url)
    return render(
        request,
        "web/library/edit.html",
        {
            "title": _("Edit %(name)s") % {"name": template_name(template, lang)},
            "template": template,
            "form": form,
            "formset": formset,
            "cancel_url": url,
            "has_errors": bool(form.errors or any(f.errors for f in formset.forms)),
        },
    )


@login_required
@require_POST
def template_variant_view(request: WebRequest, pk: int) -> HttpResponse:
    template = template_or_404(request.user, pk)
    try:
        variant = template_variant_create(template, actor=request.user)
    except DomainError as exc:
        return _refused(request, exc, template_url(template))
    messages.success(
        request,
        _("Saved as your personal variant: edit it, use it, and propose it to the team."),
    )
    return redirect_to(template_url(variant))


@login_required
@require_POST
def template_propose_view(request: WebRequest, pk: int) -> HttpResponse:
    template = template_or_404(request.user, pk)
    form = ProposeForm(request.POST, template_id=template.pk)
    if not form.is_valid():
        return render_template_page(request, template, propose_form=form)
    try:
        template_propose(template, actor=request.user, note=form.cleaned_data["note"])
    except DomainError as exc:
        return _refused(request, exc, template_url(template))
    messages.success(request, _("Proposed: your manager promotes it into the team library."))
    return redirect_to(template_url(template))


@login_required
@require_POST
def template_promote_view(request: WebRequest, pk: int) -> HttpResponse:
    template = template_or_404(request.user, pk)
    try:
        promoted = template_promote(template, actor=request.user)
    except DomainError as exc:
        return _refused(request, exc, template_url(template))
    messages.success(
        request,
        _("Promoted: “%(name)s” is now in the team library.")
        % {"name": template_name(promoted, language())},
    )
    return redirect_to(template_url(promoted))


@login_required
@require_POST
def template_decline_view(request: WebRequest, pk: int) -> HttpResponse:
    template = template_or_404(request.user, pk)
    form = DeclineForm(request.POST, template_id=template.pk)
    if not may_keep_library(request.user):
        raise HttpForbidden
    if form.is_valid():
        try:
            template_decline(template, actor=request.user, reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            form.add_service_error(exc)
        except DomainError as exc:
            return _refused(request, exc, template_url(template))
        else:
            messages.success(request, _("Declined: the proposal went back to its author."))
            return redirect_to(reverse("template_library"))
    return render_template_page(request, template, decline_form=form)


@login_required
@require_POST
def template_archive_view(request: WebRequest, pk: int) -> HttpResponse:
    template = template_or_404(request.user, pk)
    try:
        template_archive(template, actor=request.user)
    except DomainError as exc:
        return _refused(request, exc, template_url(template))
    messages.success(request, _("Archived: it is no longer offered when writing an email."))
    return redirect_to(template_url(template))
