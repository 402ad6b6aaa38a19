"""Saving, editing and deleting a list's saved views (the service is web/saved_views.py; the tabs
and the "Save this view" form are on the list page, views/lists.py and web/list.html).

"Save this view" posts the list's current query (a hidden input inside the results, so it
follows every htmx update) with a name. With htmx a refusal comes back as the form with the
message beside the field, in place; without JavaScript as a page of its own. Saved, the list
opens on the new view.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from sopcrm.core.errors import DomainError, InvalidInput, NotFound
from sopcrm.core.models import User

from ..forms.base import WebForm
from ..http import WebRequest
from ..models import ListKey, SavedView
from ..saved_views import (
    saved_view_create,
    saved_view_delete,
    saved_view_get,
    saved_view_update,
)
from .common import redirect_to, render_form_page

LIST_URLS = {
    ListKey.LEADS: "lead_list",
    ListKey.DEALS: "deal_list",
    ListKey.ACCOUNTS: "account_list",
    ListKey.CONTACTS: "contact_list",
    ListKey.ACTIVITIES: "activity_list",
}


def view_url(list_key: str, query: str) -> str:
    """The list page with a saved view's query applied."""
    path = reverse(LIST_URLS[ListKey(list_key)])
    return f"{path}?{query}" if query else path


class SavedViewForm(WebForm):
    """Name and sharing; on "Save this view" also the list and its query (hidden). Lengths and
    duplicates are checked by the service, so the messages are the same from everywhere."""

    name = forms.CharField(label=gettext_lazy("Name of the view"), required=False)
    shared = forms.BooleanField(label=gettext_lazy("Share with my team"), required=False)
    list = forms.CharField(required=False, widget=forms.HiddenInput)
    query = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, with_query: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_view_%s")
        super().__init__(*args, **kwargs)
        if user.is_admin:
            self.fields["shared"].label = _("Share with everybody")
        if not with_query:
            del self.fields["list"], self.fields["query"]

    def service_data(self) -> dict[str, Any]:
        data = {"name": self.cleaned_data["name"], "shared": self.cleaned_data["shared"]}
        if "query" in self.fields:
            data |= {"list_key": self.cleaned_data["list"], "query": self.cleaned_data["query"]}
        return data

    def add_service_error(self, error: DomainError) -> None:
        """The name's problems beside the name; the rest (the query is a hidden input) above."""
        if not isinstance(error, InvalidInput):
            self.add_error(None, error.message)
            return
        for problem in error.problems:
            self.add_error(problem.field if problem.field == "name" else None, problem.message)


def _own_or_404(user: User, pk: int) -> SavedView:
    try:
        view = saved_view_get(user, pk)
    except NotFound:
        raise Http404 from None
    if view.owner_id != user.pk:
        raise Http404  # shared with them, but not theirs to change
    return view


@login_required
@require_POST
def saved_view_create_view(request: WebRequest) -> HttpResponse:
    form = SavedViewForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            view = saved_view_create(actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            url = view_url(view.list_key, view.query)
            return HttpResponseClientRedirect(url) if request.htmx else redirect_to(url)
    list_key = request.POST.get("list", "")
    cancel_url = view_url(list_key, "") if list_key in ListKey.values else reverse("home")
    if request.htmx:
        return render(request, "web/saved_views/save_form.html", {"save_form": form})
    return render_form_page(
        request, form, title=_("Save this view"), submit=_("Save view"), cancel_url=cancel_url
    )


@login_required
@require_http_methods(["GET", "POST"])
def saved_view_edit_view(request: WebRequest, pk: int) -> HttpResponse:
    """Rename a view or change whether it is shared."""
    view = _own_or_404(request.user, pk)
    form = SavedViewForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        with_query=False,
        initial={"name": view.name, "shared": view.shared},
    )
    back = view_url(view.list_key, view.query)
    if request.method == "POST" and form.is_valid():
        try:
            view = saved_view_update(view, actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect_to(view_url(view.list_key, view.query))
    return render_form_page(
        request,
        form,
        title=_("Edit view “%(name)s”") % {"name": view.name},
        submit=_("Save"),
        cancel_url=back,
    )


@login_required
@require_POST
def saved_view_delete_view(request: WebRequest, pk: int) -> HttpResponse:
    view = _own_or_404(request.user, pk)
    saved_view_delete(view, actor=request.user)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect_to(view_url(view.list_key, ""))
