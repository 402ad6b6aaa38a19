"""Helpers every family of views uses: fetching a visible record, safe redirects, form pages."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language

from sopcrm.core.errors import NotFound
from sopcrm.core.models import RecordType, User
from sopcrm.crm.records import selectors

from ..forms.base import WebForm
from ..http import WebRequest


def visible_or_404[T](getter: Callable[[User, int], T], user: User, pk: int) -> T:
    """The record through its selector; another rep's record is a plain 404, like a missing one."""
    try:
        return getter(user, pk)
    except NotFound:
        raise Http404 from None


def record_or_404(user: User, record_type: str, pk: int) -> Any:
    try:
        return selectors.record_get(user, record_type, pk)
    except NotFound:
        raise Http404 from None


def language() -> str:
    return get_language() or "en"


def record_url(record_type: str, pk: int) -> str:
    return reverse(f"{record_type}_detail", args=[pk])


def record_type_of(record: Any) -> RecordType:
    return RecordType(type(record)._meta.model_name)


def safe_next(request: WebRequest, default: str) -> str:
    """Where to go after a POST: the `next` the form sent if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def redirect_to(url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(url)


def render_form_page(
    request: WebRequest,
    form: WebForm,
    *,
    title: str,
    submit: str,
    cancel_url: str,
    record: Any = None,
) -> HttpResponse:
    """A page with one form: create, edit, log an activity, complete a task."""
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": title,
            "submit": submit,
            "cancel_url": cancel_url,
            "record": record,
        },
    )


def remember_language(request: WebRequest, response: HttpResponse, language: str) -> None:
    """Keep the chosen language in the language cookie too: the login page reads it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
