"""Contacts (people at customer companies): list, record page, new, edit."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core import normalise
from sopcrm.core.models import RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Contact
from sopcrm.crm.records.querying.matching import search_condition
from sopcrm.crm.records.services.contacts import contact_create, contact_update

from .. import display
from ..display import Row
from ..forms.records import ContactForm
from ..http import WebRequest
from ..models import ListKey
from .common import record_url, visible_or_404
from .lists import Cell, Column, ListPage, created_column, owner_filter, render_list
from .record_pages import create_record, edit_record, record_page, related_deals


@login_required
def contact_list(request: WebRequest) -> HttpResponse:
    page = ListPage(
        title=_("Contacts"),
        columns=[
            Column("name", _("Name"), _name_cell, "name"),
            Column("account", _("Account"), _account_cell, "account__name"),
            Column("job_title", _("Job title"), lambda c: c.job_title, "job_title", default=False),
            Column("email", _("Email"), lambda c: c.email, "email"),
            Column("phone", _("Phone"), lambda c: c.phone),
            Column("country", _("Country"), lambda c: c.country, "country"),
            Column("owner", _("Owner"), lambda c: display.user_label(c.owner), "owner__username"),
            created_column(),
        ],
        search=partial(search_condition, RecordType.CONTACT),
        default_sort="name",
        filters=owner_filter(request.user, _("Owner")),
        new_url=reverse("contact_create"),
        new_label=_("New contact"),
        key=ListKey.CONTACTS,
    )
    return render_list(request, page, selectors.contact_list(request.user))


def _name_cell(contact: Contact) -> Cell:
    return Cell(contact.name, record_url(RecordType.CONTACT, contact.pk))


def _account_cell(contact: Contact) -> Cell:
    if contact.account is None:
        return Cell("")
    return Cell(contact.account.name, record_url(RecordType.ACCOUNT, contact.account.pk))


def _detail_rows(_user: object, contact: Contact) -> list[Row]:
    """The Details group of the contact page (also shown again after it is edited in place)."""
    account = contact.account
    return [
        Row(
            _("Account"),
            account.name if account else "",
            record_url(RecordType.ACCOUNT, account.pk) if account else "",
        ),
        Row(_("Job title"), contact.job_title),
        Row(_("Email"), contact.email, f"mailto:{contact.email}" if contact.email else ""),
        Row(_("Phone"), contact.phone, f"tel:{contact.phone}" if contact.phone else ""),
        Row(_("Country"), display.country_name(contact.country)),
    ]


@login_required
def contact_detail(request: WebRequest, pk: int) -> HttpResponse:
    contact = visible_or_404(selectors.contact_get, request.user, pk)
    deals = list(selectors.deal_list(request.user).filter(contact=contact).order_by("-created_at"))
    return record_page(
        request,
        contact,
        template="web/records/contact.html",
        rows=_detail_rows(request.user, contact),
        # Each deal with the link to write its customer an email (views/compose.py).
        deals=list(
            zip(
                related_deals(deals),
                [reverse("deal_compose", args=[deal.pk]) for deal in deals],
                strict=True,
            )
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_create_view(request: WebRequest) -> HttpResponse:
    account = request.GET.get("account", "")
    return create_record(
        request,
        record_type=RecordType.CONTACT,
        form_class=ContactForm,
        create=contact_create,
        title=_("New contact"),
        cancel_url=reverse("contact_list"),
        initial={"account": account_id} if (account_id := normalise.record_id(account)) else None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: WebRequest, pk: int) -> HttpResponse:
    contact = visible_or_404(selectors.contact_get, request.user, pk)
    return edit_record(
        request,
        contact,
        form_class=ContactForm,
        update=contact_update,
        title=_("Edit %(name)s") % {"name": contact.name},
        rows=_detail_rows,
    )
