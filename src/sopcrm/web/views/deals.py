"""Deals (opportunities): list, record page, new, edit; moving one through
its playbook is in transitions.py."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core import normalise
from sopcrm.core.models import RecordType, User
from sopcrm.core.visibility import can_see_owner
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.querying.matching import search_condition
from sopcrm.crm.records.services.deals import deal_create, deal_update

from .. import display
from ..display import Row
from ..forms.records import DealCreateForm, DealForm
from ..http import WebRequest
from ..models import ListKey
from .common import language, record_url, visible_or_404
from .lists import (
    Cell,
    Column,
    ListPage,
    active_playbook,
    created_column,
    date_filters,
    days_in_stage_column,
    in_stage_filter,
    last_contact_column,
    no_contact_filter,
    owner_filter,
    render_list,
    stage_filter,
    status_filter,
)
from .record_pages import (
    create_record,
    edit_record,
    record_page,
    stage_text,
)


@login_required
def deal_list(request: WebRequest) -> HttpResponse:
    playbook = active_playbook()
    page = ListPage(
        title=_("Deals"),
        columns=[
            Column("title", _("Title"), _title_cell, "title"),
            Column("account", _("Account"), _account_cell, "account__name"),
            Column("contact", _("Contact"), _contact_cell, "contact__name", default=False),
            Column(
                "lead", _("Lead"), _lead_cell(request.user), default=False, related=("lead__owner",)
            ),
            Column("stage", _("Stage"), stage_text, "stage"),
            days_in_stage_column(),
            Column(
                "amount",
                _("Amount"),
                lambda d: display.format_money(d.amount, d.currency),
                "amount",
            ),
            Column(
                "close",
                _("Expected close"),
                lambda d: display.format_date(d.expected_close_on),
                "expected_close_on",
            ),
            last_contact_column(),
            created_column(),
            Column("owner", _("Owner"), lambda d: display.user_label(d.owner), "owner__username"),
        ],
        search=partial(search_condition, RecordType.DEAL),
        default_sort="close",
        filters=[
            *stage_filter(playbook, RecordType.DEAL, _("Stage"), language()),
            *owner_filter(request.user, _("Owner")),
            status_filter(playbook, RecordType.DEAL),
            no_contact_filter("created_at"),
            in_stage_filter(),
            *date_filters(
                "expected_close_on", _("Expected close from"), _("Expected close to"), "close"
            ),
        ],
        new_url=reverse("deal_create"),
        new_label=_("New deal"),
        key=ListKey.DEALS,
    )
    return render_list(request, page, selectors.deal_list(request.user))


def _title_cell(deal: Deal) -> Cell:
    return Cell(deal.title, record_url(RecordType.DEAL, deal.pk))


def _account_cell(deal: Deal) -> Cell:
    if deal.account is None:
        return Cell("")
    return Cell(deal.account.name, record_url(RecordType.ACCOUNT, deal.account.pk))


def _contact_cell(deal: Deal) -> Cell:
    if deal.contact is None:
        return Cell("")
    return Cell(deal.contact.name, record_url(RecordType.CONTACT, deal.contact.pk))


def _lead_cell(user: User) -> Callable[[Deal], Cell]:
    """The lead a deal came from, joined with the deal (`related`), shown only to someone who may
    see that lead (the selectors' rule, applied to the row in memory): no query per row."""

    def cell(deal: Deal) -> Cell:
        lead = deal.lead
        if lead is None or not can_see_owner(user, lead.owner):
            return Cell("")
        return Cell(str(lead), record_url(RecordType.LEAD, lead.pk))

    return cell


def _link_row(label: str, record_type: str, record: Any) -> Row:
    if record is None:
        return Row(label, "")
    return Row(label, str(record), record_url(record_type, record.pk))


def _detail_rows(user: User, deal: Deal) -> list[Row]:
    """The Details group of the deal page (also shown again after it is edited in place)."""
    # The lead is not joined by the selector; fetch it through its own selector so a lead the
    # reader may not see is not shown.
    lead = selectors.lead_list(user).filter(pk=deal.lead_id).first() if deal.lead_id else None
    return [
        _link_row(_("Account"), RecordType.ACCOUNT, deal.account),
        _link_row(_("Contact"), RecordType.CONTACT, deal.contact),
        _link_row(_("From lead"), RecordType.LEAD, lead),
        Row(_("Amount"), display.format_money(deal.amount, deal.currency)),
        Row(_("Expected close"), display.format_date(deal.expected_close_on)),
        Row(_("Closed at"), display.format_datetime(deal.closed_at)),
    ]


@login_required
def deal_detail(request: WebRequest, pk: int) -> HttpResponse:
    deal = visible_or_404(selectors.deal_get, request.user, pk)
    return record_page(
        request, deal, template="web/records/deal.html", rows=_detail_rows(request.user, deal)
    )


@login_required
@require_http_methods(["GET", "POST"])
def deal_create_view(request: WebRequest) -> HttpResponse:
    # "New deal" on an account, contact or lead page fills in where the deal comes from.
    ids = {
        name: normalise.record_id(request.GET.get(name, ""))
        for name in ("account", "contact", "lead")
    }
    initial = {name: pk for name, pk in ids.items() if pk is not None}
    return create_record(
        request,
        record_type=RecordType.DEAL,
        form_class=DealCreateForm,
        create=deal_create,
        title=_("New deal"),
        cancel_url=reverse("deal_list"),
        initial=initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: WebRequest, pk: int) -> HttpResponse:
    deal = visible_or_404(selectors.deal_get, request.user, pk)
    return edit_record(
        request,
        deal,
        form_class=DealForm,
        update=deal_update,
        title=_("Edit %(name)s") % {"name": deal.title},
        rows=_detail_rows,
    )
