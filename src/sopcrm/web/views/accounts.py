"""Accounts (customer companies): list, record page, new, edit."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core.models import RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Account
from sopcrm.crm.records.querying.matching import search_condition
from sopcrm.crm.records.services.accounts import account_create, account_update

from .. import display
from ..display import Row
from ..forms.records import AccountForm
from ..http import WebRequest
from ..models import ListKey
from .common import record_url, visible_or_404
from .lists import Cell, Column, ListPage, created_column, owner_filter, render_list
from .record_pages import create_record, edit_record, record_page, related_deals


@login_required
def account_list(request: WebRequest) -> HttpResponse:
    page = ListPage(
        title=_("Accounts"),
        columns=[
            Column("name", _("Name"), _name_cell, "name"),
            Column("country", _("Country"), lambda a: a.country, "country"),
            Column("industry", _("Industry"), lambda a: a.industry, "industry"),
            Column("domain", _("Domain"), lambda a: a.domain, "domain"),
            Column("phone", _("Phone"), lambda a: a.phone, default=False),
            Column("owner", _("Owner"), lambda a: display.user_label(a.owner), "owner__username"),
            created_column(default=True),
        ],
        search=partial(search_condition, RecordType.ACCOUNT),
        default_sort="-created",
        filters=owner_filter(request.user, _("Owner")),
        new_url=reverse("account_create"),
        new_label=_("New account"),
        key=ListKey.ACCOUNTS,
    )
    return render_list(request, page, selectors.account_list(request.user))


def _name_cell(account: Account) -> Cell:
    return Cell(account.name, record_url(RecordType.ACCOUNT, account.pk))


def _detail_rows(_user: object, account: Account) -> list[Row]:
    """The Details group of the account page (also shown again after it is edited in place)."""
    return [
        Row(_("Website"), account.website, account.website if "//" in account.website else ""),
        Row(_("Country"), display.country_name(account.country)),
        Row(_("Industry"), account.industry),
        Row(_("Phone"), account.phone),
    ]


@login_required
def account_detail(request: WebRequest, pk: int) -> HttpResponse:
    account = visible_or_404(selectors.account_get, request.user, pk)
    user = request.user
    return record_page(
        request,
        account,
        template="web/records/account.html",
        rows=_detail_rows(user, account),
        contacts=list(selectors.contact_list(user).filter(account=account).order_by("name")),
        deals=related_deals(
            list(selectors.deal_list(user).filter(account=account).order_by("-created_at"))
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_create_view(request: WebRequest) -> HttpResponse:
    return create_record(
        request,
        record_type=RecordType.ACCOUNT,
        form_class=AccountForm,
        create=account_create,
        title=_("New account"),
        cancel_url=reverse("account_list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: WebRequest, pk: int) -> HttpResponse:
    account = visible_or_404(selectors.account_get, request.user, pk)
    return edit_record(
        request,
        account,
        form_class=AccountForm,
        update=account_update,
        title=_("Edit %(name)s") % {"name": account.name},
        rows=_detail_rows,
    )
