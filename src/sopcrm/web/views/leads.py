"""Leads (inquiries): list, record page, new, edit; moving one through
its playbook is in transitions.py."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core.models import RecordType, User
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Lead, LeadSource
from sopcrm.crm.records.querying.matching import search_condition
from sopcrm.crm.records.services.leads import lead_create, lead_update

from .. import display
from ..display import Row
from ..forms.records import LeadCreateForm, LeadForm
from ..http import WebRequest
from ..models import ListKey
from .common import language, record_url, visible_or_404
from .lists import (
    Cell,
    Column,
    Filter,
    ListPage,
    active_playbook,
    created_column,
    custom_choice_columns,
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
    related_deals,
    stage_text,
)


@login_required
def lead_list(request: WebRequest) -> HttpResponse:
    user = request.user
    playbook = active_playbook()
    page = ListPage(
        title=_("Leads"),
        columns=[
            Column("name", _("Name"), _name_cell, "name"),
            Column("company", _("Company"), lambda lead: lead.company, "company"),
            Column("email", _("Email"), lambda lead: lead.email, default=False),
            Column("phone", _("Phone"), lambda lead: lead.phone, default=False),
            Column("country", _("Country"), lambda lead: lead.country, "country"),
            Column("source", _("Source"), lambda lead: lead.get_source_display(), "source"),
            Column("stage", _("Stage"), stage_text, "stage"),
            days_in_stage_column(),
            *custom_choice_columns(
                playbook, user, RecordType.LEAD, ("priority", "grade"), language()
            ),
            Column(
                "owner", _("Owner"), lambda lead: display.user_label(lead.owner), "owner__username"
            ),
            Column(
                "received",
                _("Received"),
                lambda lead: display.format_datetime(lead.received_at),
                "received_at",
            ),
            last_contact_column(),
            created_column(),
        ],
        search=partial(search_condition, RecordType.LEAD),
        default_sort="-received",
        filters=[
            *stage_filter(playbook, RecordType.LEAD, _("Stage"), language()),
            *owner_filter(user, _("Owner")),
            status_filter(playbook, RecordType.LEAD),
            no_contact_filter("received_at"),
            in_stage_filter(),
            Filter(
                "source",
                _("Source"),
                [(s.value, str(s.label)) for s in LeadSource],
                lambda qs, value: qs.filter(source=value),
            ),
            _country_filter(user),
        ],
        new_url=reverse("lead_create"),
        new_label=_("New lead"),
        key=ListKey.LEADS,
    )
    return render_list(request, page, selectors.lead_list(user))


def _name_cell(lead: Lead) -> Cell:
    return Cell(lead.name, record_url(RecordType.LEAD, lead.pk))


def _country_filter(user: User) -> Filter:
    """The countries of the leads the user may see (one query), not all 249 of the world."""
    codes = (
        selectors.lead_list(user)
        .exclude(country="")
        .order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )
    return Filter(
        "country",
        _("Country"),
        [(code, display.country_name(code)) for code in codes],
        lambda qs, value: qs.filter(country=value),
    )


def _detail_rows(user: User, lead: Lead) -> list[Row]:
    """The Details group of the lead page (also shown again after it is edited in place)."""
    return [
        Row(_("Company"), lead.company),
        Row(_("Email"), lead.email, f"mailto:{lead.email}" if lead.email else ""),
        Row(_("Phone"), lead.phone, f"tel:{lead.phone}" if lead.phone else ""),
        Row(_("Country"), display.country_name(lead.country)),
        Row(_("Source"), lead.get_source_display()),
        Row(_("Received at"), display.format_datetime(lead.received_at)),
    ]


@login_required
def lead_detail(request: WebRequest, pk: int) -> HttpResponse:
    lead = visible_or_404(selectors.lead_get, request.user, pk)
    deals = selectors.deal_list(request.user).filter(lead=lead).order_by("-created_at")
    return record_page(
        request,
        lead,
        template="web/records/lead.html",
        rows=_detail_rows(request.user, lead),
        deals=related_deals(list(deals)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_create_view(request: WebRequest) -> HttpResponse:
    return create_record(
        request,
        record_type=RecordType.LEAD,
        form_class=LeadCreateForm,
        create=lead_create,
        title=_("New lead"),
        cancel_url=reverse("lead_list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: WebRequest, pk: int) -> HttpResponse:
    lead = visible_or_404(selectors.lead_get, request.user, pk)
    return edit_record(
        request,
        lead,
        form_class=LeadForm,
        update=lead_update,
        title=_("Edit %(name)s") % {"name": lead.name},
        rows=_detail_rows,
    )
