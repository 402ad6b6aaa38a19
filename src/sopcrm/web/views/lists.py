"""The one list page: a table of visible records with search, filters, sortable columns and
pagination. Each family of views describes its columns and filters and calls `render_list`.

With htmx, typing in the search box, changing a filter, sorting or paging swaps only the results
(the `results` partial of web/list.html); without JavaScript the same links and form reload the
page. The number of queries is the same for every page size: the selector joins what rows show.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from sopcrm.core.models import User
from sopcrm.core.visibility import assignable_owners
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..http import WebRequest, wants_partial

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cell:
    text: str
    href: str = ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable[[Any], Cell | str]
    order_by: str = ""  # a field to sort on; empty means the column is not sortable


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    choices: list[tuple[str, str]]
    apply: Callable[[QuerySet[Any], str], QuerySet[Any]]


@dataclass(frozen=True)
class ListPage:
    title: str
    columns: list[Column]
    search: Callable[[str], Q]
    default_sort: str  # a column key, "-" first for descending
    filters: list[Filter] = field(default_factory=list)
    new_url: str = ""
    new_label: str = ""


def render_list(request: WebRequest, page: ListPage, queryset: QuerySet[Any]) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(page.search(q))
    active_filters: dict[str, str] = {}
    for list_filter in page.filters:
        value = request.GET.get(list_filter.name, "")
        if value in {key for key, _text in list_filter.choices}:
            queryset = list_filter.apply(queryset, value)
            active_filters[list_filter.name] = value

    sort = _valid_sort(request.GET.get("sort", ""), page)
    column = next(c for c in page.columns if c.key == sort.removeprefix("-"))
    descending = sort.startswith("-")
    # Empty values last on every database; the primary key breaks ties, so a row never shows
    # on two pages.
    order = F(column.order_by)
    queryset = queryset.order_by(
        order.desc(nulls_last=True) if descending else order.asc(nulls_last=True),
        "-pk" if descending else "pk",
    )
    page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [[_cell(c, obj) for c in page.columns] for obj in page_obj]

    context = {
        "page": page,
        "q": q,
        "sort": sort,
        "headers": [_header(c, sort) for c in page.columns],
        "filters": [(f, active_filters.get(f.name, "")) for f in page.filters],
        "rows": rows,
        "page_obj": page_obj,
    }
    template = "web/list.html#results" if wants_partial(request) else "web/list.html"
    response = render(request, template, context)
    # The same URL answers with a partial or a whole page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _valid_sort(requested: str, page: ListPage) -> str:
    sortable = {c.key for c in page.columns if c.order_by}
    return requested if requested.removeprefix("-") in sortable else page.default_sort


def _cell(column: Column, obj: Any) -> Cell:
    value = column.value(obj)
    return value if isinstance(value, Cell) else Cell(str(value))


@dataclass(frozen=True)
class Header:
    label: str
    sort_param: str  # the `sort` value a click on the header asks for; empty if not sortable
    aria_sort: str  # "ascending", "descending" or "none"


def _header(column: Column, current: str) -> Header:
    if not column.order_by:
        return Header(column.label, "", "none")
    if current == column.key:
        return Header(column.label, f"-{column.key}", "ascending")
    if current == f"-{column.key}":
        return Header(column.label, column.key, "descending")
    return Header(column.label, column.key, "none")


def owner_filter(user: User, label: str) -> list[Filter]:
    """Filter by owner for people who see others' records; a rep sees only their own."""
    owners = list(User.objects.filter(assignable_owners(user)).order_by("username"))
    if len(owners) <= 1:
        return []
    choices = [(str(u.pk), str(u)) for u in owners]
    if user.is_manager or user.is_admin:
        choices.append(("none", _("Unassigned")))
    return [Filter("owner", label, choices, _by_owner)]


def _by_owner(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
    if value == "none":
        return queryset.filter(owner__isnull=True)
    return queryset.filter(owner_id=int(value))


def stage_filter(object_type: str, label: str, language: str) -> list[Filter]:
    """Filter by stage of the active playbook's default pipeline."""
    playbook = playbook_for_version(active_version().pk)
    pipeline = playbook.object(object_type).default_pipeline
    if pipeline is None:
        return []
    choices = [(s.key, s.label.for_language(language)) for s in pipeline.stages]
    return [Filter("stage", label, choices, lambda qs, value: qs.filter(stage=value))]
