"""The one list page: a table of visible records with search, filters, a choice of columns,
sortable headers, pagination and saved views. Each family of views describes its columns and
filters and calls `render_list`.

With htmx, typing in the search box, changing a filter or a column, sorting or paging swaps only
the results (the `results` partial of web/list.html); without JavaScript the same links and form
reload the page. The address keeps everything but the defaults (`?no_contact=5&cols=title,stage`),
so a list can be bookmarked, and that same query string is what a saved view stores
(web/saved_views.py). The number of queries is the same for every page size and every choice of
columns: the selector joins what rows show.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.models import User
from sopcrm.core.visibility import assignable_owners
from sopcrm.playbook.schema import FieldDef, Playbook, StageKind
from sopcrm.process.fields import visible_field_keys
from sopcrm.process.playbooks import active_version, playbook_for_version

from .. import display
from ..http import WebRequest, wants_partial
from ..saved_views import saved_view_list
from .saved_views import SavedViewForm

PAGE_SIZE = 50
MAX_DAYS = 3650  # a "days" filter beyond ten years is a typo


@dataclass(frozen=True)
class Cell:
    text: str
    href: str = ""


@dataclass(frozen=True)
class Column:
    """One column a list may show. The first column of a page (the link to the record) is always
    shown; the others can be picked in the column menu, `default` ones are shown until then."""

    key: str
    label: str
    value: Callable[[Any], Cell | str]
    # A field to sort on, "-" first when its order is the reverse of the column's (days in
    # stage grow as the date it was entered shrinks); empty means the column is not sortable.
    order_by: str = ""
    default: bool = True
    # Relations the cells read, joined only while the column is shown (one query however many
    # rows).
    related: tuple[str, ...] = ()


class FilterKind(StrEnum):
    CHOICE = "choice"  # a select of `choices`
    NUMBER = "number"  # a whole number of days, 0 to MAX_DAYS
    DATE = "date"  # YYYY-MM-DD


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    choices: list[tuple[str, str]]
    apply: Callable[[QuerySet[Any], Any], QuerySet[Any]]
    kind: FilterKind = FilterKind.CHOICE
    # The choice applied when the address names none; a filter with a default has no "All" entry
    # of its own (its choices must offer one if it makes sense).
    default: str = ""
    # Filters that, when set, make this one not apply (nor appear in the address): a stage
    # picked decides open or closed by itself, so "Won" shows the won deals (the board's
    # "+N more" under Won links to `?stage=won`) whatever the status says.
    ignored_with: tuple[str, ...] = ()

    def parse(self, raw: str) -> Any:
        """The value `raw` stands for, or None if this filter does not take it (ignored, like
        an unknown stage in an old bookmark)."""
        match self.kind:
            case FilterKind.CHOICE:
                return raw if raw in {key for key, _text in self.choices} else None
            case FilterKind.NUMBER:
                ok = raw.isascii() and raw.isdigit() and int(raw) <= MAX_DAYS
                return int(raw) if ok else None
            case FilterKind.DATE:
                try:
                    return date.fromisoformat(raw) if len(raw) == 10 else None
                except ValueError:
                    return None


@dataclass(frozen=True)
class ListPage:
    title: str
    columns: list[Column]
    search: Callable[[str], Q]
    default_sort: str  # a column key, "-" first for descending
    filters: list[Filter] = field(default_factory=list)
    new_url: str = ""
    new_label: str = ""
    key: str = ""  # the saved views' list key (web/models.py ListKey); empty: no saved views


@dataclass(frozen=True)
class ListState:
    """What a query string asks of a list, after dropping what the list does not offer."""

    q: str
    values: dict[str, Any]  # filter name -> parsed value, defaults included
    texts: dict[str, str]  # filter name -> the value as the address writes it ("" for none)
    sort: str
    columns: list[Column]
    columns_chosen: bool  # False: the page's default columns

    def query(self, page: ListPage) -> str:
        """The canonical query string: only what differs from the page's defaults, in a fixed
        order, so the same view always has the same address (and a saved view is recognised)."""
        items = [("q", self.q)] if self.q else []
        for list_filter in page.filters:
            text = self.texts[list_filter.name]
            if text and text != list_filter.default:
                items.append((list_filter.name, text))
        if self.sort != page.default_sort:
            items.append(("sort", self.sort))
        if self.columns_chosen and self.columns != _default_columns(page):
            items.append(("cols", ",".join(c.key for c in self.columns)))
        return urlencode(items, safe=",")


def read_state(page: ListPage, params: QueryDict) -> ListState:
    asked = {f.name: f.parse(params.get(f.name, "").strip()) for f in page.filters}
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for list_filter in page.filters:
        name = list_filter.name
        value = asked[name]
        if any(asked.get(other) is not None for other in list_filter.ignored_with):
            value = None
        elif value is None and list_filter.default:
            value = list_filter.parse(list_filter.default)
        values[name] = value
        texts[name] = "" if value is None else _as_text(value)
    columns, chosen = _columns(page, params)
    return ListState(
        q=params.get("q", "").strip(),
        values=values,
        texts=texts,
        sort=_valid_sort(params.get("sort", ""), page),
        columns=columns,
        columns_chosen=chosen,
    )


def _as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _default_columns(page: ListPage) -> list[Column]:
    return [c for i, c in enumerate(page.columns) if i == 0 or c.default]


def _columns(page: ListPage, params: QueryDict) -> tuple[list[Column], bool]:
    """The columns `cols` asks for (`cols=a,b` or, from the checkboxes, `cols=a&cols=b`), in the
    page's order, the first always; the defaults if it names none the page has."""
    wanted = {key for value in params.getlist("cols") for key in value.split(",")}
    if not wanted & {c.key for c in page.columns}:
        return _default_columns(page), False
    return [c for i, c in enumerate(page.columns) if i == 0 or c.key in wanted], True


class _IdsFirstPaginator(Paginator):
    """A page's ids first, then those rows. Sorting the matches whole made the database read
    and sort every visible row with all its columns for the 50 shown (a manager's deal list:
    the team's 10,000 open deals, custom values and joined account and contact included); the
    ids and their sort key come from an index (docs/performance.md, "Pages")."""

    def __init__(self, queryset: QuerySet[Any], per_page: int) -> None:
        super().__init__(queryset, per_page)
        self.queryset = queryset

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids = list(self.queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.queryset.order_by().filter(pk__in=ids)}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)


def render_list(request: WebRequest, page: ListPage, queryset: QuerySet[Any]) -> HttpResponse:
    state = read_state(page, request.GET)
    if state.q:
        queryset = queryset.filter(page.search(state.q))
    for list_filter in page.filters:
        if (value := state.values[list_filter.name]) is not None:
            queryset = list_filter.apply(queryset, value)
    related = [name for c in state.columns for name in c.related]
    if related:
        queryset = queryset.select_related(*related)

    column = next(c for c in page.columns if c.key == state.sort.removeprefix("-"))
    descending = state.sort.startswith("-") != column.order_by.startswith("-")
    # Empty values last on every database; the primary key breaks ties, so a row never shows
    # on two pages.
    order = F(column.order_by.removeprefix("-"))
    queryset = queryset.order_by(
        order.desc(nulls_last=True) if descending else order.asc(nulls_last=True),
        "-pk" if descending else "pk",
    )
    page_obj = _IdsFirstPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [[_cell(c, obj) for c in state.columns] for obj in page_obj]
    query = state.query(page)
    path = request.path

    def sorted_by(sort: str) -> str:
        return _link(path, query, sort=None if sort == page.default_sort else sort)

    def page_url(number: int) -> str:
        return _link(path, query, page=str(number) if number > 1 else None)

    context = {
        "page": page,
        "q": state.q,
        "sort": state.sort,
        "headers": [_header(c, state.sort, sorted_by) for c in state.columns],
        "filters": [(f, state.texts[f.name]) for f in page.filters],
        "column_choices": [(c, c in state.columns) for c in page.columns[1:]],
        "first_column": page.columns[0],
        "rows": rows,
        "page_obj": page_obj,
        "previous_url": page_url(page_obj.number - 1) if page_obj.has_previous() else "",
        "next_url": page_url(page_obj.number + 1) if page_obj.has_next() else "",
        "query": query,
        **_saved_views_context(request, page, query),
    }
    partial = wants_partial(request)
    template = "web/list.html#htmx_results" if partial else "web/list.html"
    response = render(request, template, context)
    # The same URL answers with a partial or a whole page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    if partial:
        # The address bar shows the tidy query, not every empty field and checkbox of the form.
        response["HX-Push-Url"] = page_url(page_obj.number)
    return response


def _link(path: str, query: str, **changes: str | None) -> str:
    """`path` with the canonical `query`, some parameters replaced (None removes one). Sorting
    and paging links are built from the tidy query, not from whatever the form sent."""
    params = QueryDict(query, mutable=True)
    for name, value in changes.items():
        params.pop(name, None)
        if value:
            params[name] = value
    encoded = params.urlencode(safe=",")
    return f"{path}?{encoded}" if encoded else path


@dataclass(frozen=True)
class ViewLink:
    name: str
    url: str
    current: bool
    shared_with_me: bool  # someone else's view, shared with this person
    owner: str


def _saved_views_context(request: WebRequest, page: ListPage, query: str) -> dict[str, Any]:
    if not page.key:
        return {}
    user = request.user
    views = saved_view_list(user, page.key)
    links = []
    for view in views:
        # Read the view as this person's list reads it: a filter they do not have (another
        # team's owner) drops out, so the link and "current" match what they will see.
        own_query = read_state(page, QueryDict(view.query)).query(page)
        links.append(
            ViewLink(
                name=view.name,
                url=_link(request.path, own_query),
                current=own_query == query,
                shared_with_me=view.owner_id != user.pk,
                owner=str(view.owner),
            )
        )
    return {
        "view_links": links,
        "default_view_current": not query and not any(link.current for link in links),
        "own_views": [v for v in views if v.owner_id == user.pk],
        "save_form": SavedViewForm(user=user, initial={"list": page.key}),
    }


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
    url: str = ""  # the list sorted that way


def _header(column: Column, current: str, sorted_by: Callable[[str], str]) -> Header:
    if not column.order_by:
        return Header(column.label, "", "none")
    if current == column.key:
        sort, aria_sort = f"-{column.key}", "ascending"
    elif current == f"-{column.key}":
        sort, aria_sort = column.key, "descending"
    else:
        sort, aria_sort = column.key, "none"
    return Header(column.label, sort, aria_sort, sorted_by(sort))


# -- filters more than one list uses ---------------------------------------------------------------


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


def active_playbook() -> Playbook:
    """The playbook the filters and columns of a list come from: read once per page (one
    query) and handed to each helper below."""
    return playbook_for_version(active_version().pk)


def stage_filter(playbook: Playbook, object_type: str, label: str, language: str) -> list[Filter]:
    """Filter by stage of the active playbook's default pipeline."""
    pipeline = playbook.object(object_type).default_pipeline
    if pipeline is None:
        return []
    choices = [(s.key, s.label.for_language(language)) for s in pipeline.stages]
    return [Filter("stage", label, choices, lambda qs, value: qs.filter(stage=value))]


def status_filter(playbook: Playbook, object_type: str) -> Filter:
    """Open (the default: what is still being worked on), closed (won or lost) or all. A stage
    is closed when the active playbook says so for its pipeline. Not applied when a stage is
    picked: the stage says whether the records are open."""
    closed = reduce(
        or_,
        (
            Q(pipeline=p.key, stage__in=[s.key for s in p.stages if s.kind != StageKind.OPEN])
            for p in playbook.object(object_type).pipelines
        ),
        Q(pk__in=[]),
    )

    def apply(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == "open":
            return queryset.exclude(closed)
        return queryset.filter(closed) if value == "closed" else queryset

    choices = [("open", _("Open")), ("closed", _("Closed (won or lost)")), ("all", _("All"))]
    return Filter(
        "status",
        _("Status"),
        choices,
        apply,
        default="open",
        ignored_with=("stage",),
    )


def no_contact_filter(arrived: str) -> Filter:
    """No contact with the customer for at least N days (N×24 hours). A record never contacted
    counts from when it arrived (`arrived`: a lead's received_at, a deal's created_at), so a
    lead that came in an hour ago is not "5 days without contact"."""

    def apply(queryset: QuerySet[Any], days: int) -> QuerySet[Any]:
        before = now() - timedelta(days=days)
        return queryset.filter(
            Q(last_contact_at__lte=before)
            | Q(last_contact_at__isnull=True, **{f"{arrived}__lte": before})
        )

    return Filter("no_contact", _("No contact for (days)"), [], apply, FilterKind.NUMBER)


def in_stage_filter() -> Filter:
    """In the current stage for more than N days (N×24 hours)."""

    def apply(queryset: QuerySet[Any], days: int) -> QuerySet[Any]:
        return queryset.filter(stage_entered_at__lt=now() - timedelta(days=days))

    return Filter("in_stage", _("In stage for more than (days)"), [], apply, FilterKind.NUMBER)


def date_filters(field_name: str, after_label: str, before_label: str, name: str) -> list[Filter]:
    """`<name>_from` and `<name>_to`: on or after, on or before a day (both included)."""
    return [
        Filter(
            f"{name}_from",
            after_label,
            [],
            lambda qs, day: qs.filter(**{f"{field_name}__gte": day}),
            FilterKind.DATE,
        ),
        Filter(
            f"{name}_to",
            before_label,
            [],
            lambda qs, day: qs.filter(**{f"{field_name}__lte": day}),
            FilterKind.DATE,
        ),
    ]


# -- columns more than one list uses ---------------------------------------------------------------


def days_in_stage_column() -> Column:
    return Column(
        "in_stage",
        _("Days in stage"),
        lambda record: str(_days_since(record.stage_entered_at)),
        "-stage_entered_at",
        default=False,
    )


def _days_since(moment: datetime) -> int:
    return max((now() - moment).days, 0)


def last_contact_column() -> Column:
    return Column(
        "last_contact",
        _("Last contact"),
        lambda record: display.format_datetime(record.last_contact_at) or _("Never"),
        "last_contact_at",
        default=False,
    )


def created_column(*, default: bool = False) -> Column:
    return Column(
        "created",
        _("Created"),
        lambda record: display.format_date(timezone.localdate(record.created_at)),
        "created_at",
        default=default,
    )


def custom_choice_columns(
    playbook: Playbook, user: User, object_type: str, keys: Sequence[str], language: str
) -> list[Column]:
    """Columns for custom fields of the active playbook (e.g. a lead's priority and grade), each
    only if the playbook has it and `user` may see it. Read from the row's custom values: no
    query. Not sortable: option keys sort in no useful order."""
    visible = visible_field_keys(user, playbook, object_type)
    columns = []
    for key in keys:
        definition = playbook.object(object_type).field(key)
        if definition is None or key not in visible:
            continue
        columns.append(
            Column(
                key,
                definition.label.for_language(language),
                _custom_text(definition, language),
                default=False,
            )
        )
    return columns


def _custom_text(definition: FieldDef, language: str) -> Callable[[Any], str]:
    def text(record: Any) -> str:
        return display.custom_value_text(
            definition, (record.custom or {}).get(definition.key), language
        )

    return text
