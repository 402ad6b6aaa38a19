"""Search from the top bar (`/search/?q=`): the leads, deals, accounts and contacts the user may
see, grouped by type, the first 20 of each with a link to the whole list filtered by the same
words. While typing, htmx asks the same URL for a short dropdown of the first results; the page
works the same without JavaScript."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from sopcrm.core.models import RecordType
from sopcrm.crm.records.models import Account, Contact, Deal, Lead
from sopcrm.crm.records.search import SEARCH_LIMIT, SearchGroup, record_search

from ..http import WebRequest, wants_partial
from .common import record_url
from .record_pages import stage_text

# The dropdown under the search box shows this many of each type.
DROPDOWN_LIMIT = 5
DROPDOWN_TARGET = "top-search-results"


@dataclass(frozen=True)
class Hit:
    name: str
    url: str
    detail: str  # company, e-mail, phone, stage: what tells two "Ana"s apart


@dataclass(frozen=True)
class HitGroup:
    key: str
    title: str
    total: int
    hits: list[Hit]
    list_url: str  # the type's list, filtered by the same words


def _titles() -> dict[RecordType, str]:
    return {
        RecordType.LEAD: _("Leads"),
        RecordType.DEAL: _("Deals"),
        RecordType.ACCOUNT: _("Accounts"),
        RecordType.CONTACT: _("Contacts"),
    }


def _joined(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _detail(record: Any) -> str:
    if isinstance(record, Lead):
        return _joined(record.company, record.email, record.phone, stage_text(record))
    if isinstance(record, Deal):
        account = record.account.name if record.account else ""
        contact = record.contact.name if record.contact else ""
        return _joined(account, contact, stage_text(record))
    if isinstance(record, Account):
        return _joined(record.domain, record.phone)
    if isinstance(record, Contact):
        account = record.account.name if record.account else ""
        return _joined(account, record.email, record.phone)
    return ""


def _group(group: SearchGroup, q: str) -> HitGroup:
    record_type = group.record_type
    return HitGroup(
        key=record_type.value,
        title=_titles()[record_type],
        total=group.total,
        hits=[
            Hit(str(record), record_url(record_type, record.pk), _detail(record))
            for record in group.items
        ],
        list_url=f"{reverse(f'{record_type.value}_list')}?{urlencode({'q': q})}",
    )


@login_required
def search_view(request: WebRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    dropdown = wants_partial(request) and request.htmx.target == DROPDOWN_TARGET
    if dropdown and not q:
        response = HttpResponse("")  # an emptied box closes the dropdown
    else:
        limit = DROPDOWN_LIMIT if dropdown else SEARCH_LIMIT
        groups = [_group(g, q) for g in record_search(request.user, q, limit=limit)]
        response = render(
            request,
            "web/search.html#dropdown" if dropdown else "web/search.html",
            {
                "title": _("Search"),
                "q": q,
                "groups": groups,
                "all_url": f"{reverse('search')}?{urlencode({'q': q})}",
            },
        )
    # The same URL answers with the dropdown or the whole page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
