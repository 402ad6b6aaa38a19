"""Saved views of the list pages (S-45): reading the ones a person may use, and creating, changing
and deleting one's own.

A saved view is a name and a list page's query string (filters, sort, columns). Who may use one:
its owner; and, when it is shared, the owner's team, or everybody when the owner is an
administrator (an admin has no team to share with). Only the owner changes or deletes it. The
view keeps no records: the list page runs its query through the permission-aware selector of
whoever opens it, so a manager's shared "no contact for 5 days" shows a rep only their own deals.
"""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from sopcrm.core.fieldtypes import has_nul
from sopcrm.core.models import Role, User

from .models import ListKey, SavedView

NAME_MAX = SavedView._meta.get_field("name").max_length or 100
QUERY_MAX = SavedView._meta.get_field("query").max_length or 1000
# Where the person was in the list is not part of a view.
_NOT_SAVED = {"page"}


def _usable(user: User) -> Q:
    shared_with_user = Q(owner__role=Role.ADMIN) | Q(owner__is_superuser=True)
    if user.team_id is not None:
        shared_with_user |= Q(owner__team_id=user.team_id)
    # A deactivated person's shared views go with them; their own are never shown to anyone.
    return Q(owner=user) | (Q(shared=True, owner__is_active=True) & shared_with_user)


def saved_view_list(user: User, list_key: str) -> list[SavedView]:
    """The views of one list `user` may use: their own first, then those shared with them, each
    group by name. One query."""
    views = list(
        SavedView.objects.filter(_usable(user), list_key=list_key)
        .select_related("owner")
        .order_by("name", "pk")
    )
    return [v for v in views if v.owner_id == user.pk] + [v for v in views if v.owner_id != user.pk]


def saved_view_get(user: User, pk: int) -> SavedView:
    """A view `user` may use, or NotFound (also for one that exists but is not theirs to see)."""
    found = SavedView.objects.filter(_usable(user), pk=pk).select_related("owner").first()
    if found is None:
        raise NotFound(_("No such saved view."))
    return found


def normalised_query(query: str) -> str:
    """The query string as stored: without a leading "?", the page number or empty values."""
    params = QueryDict(query.strip().removeprefix("?"), mutable=True)
    for name in _NOT_SAVED:
        params.pop(name, None)
    for name in list(params):
        values = [v for v in params.getlist(name) if v != ""]
        if values:
            params.setlist(name, values)
        else:
            del params[name]
    return params.urlencode(safe=",")


def _clean(
    data: Mapping[str, Any], *, actor: User, list_key: str, exclude_pk: int | None = None
) -> tuple[dict[str, Any], list[FieldProblem]]:
    cleaned: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name.strip() or has_nul(name):
            problems.append(FieldProblem("name", "required", _("Give the view a name.")))
        elif len(name.strip()) > NAME_MAX:
            problems.append(
                FieldProblem("name", "max_length", _("At most %(n)d characters.") % {"n": NAME_MAX})
            )
        else:
            taken = SavedView.objects.filter(
                owner=actor, list_key=list_key, name__iexact=name.strip()
            )
            if exclude_pk is not None:
                taken = taken.exclude(pk=exclude_pk)
            if taken.exists():
                problems.append(_duplicate(name.strip()))
            cleaned["name"] = name.strip()
    if "query" in data:
        query = data["query"]
        if not isinstance(query, str) or has_nul(query):
            problems.append(FieldProblem("query", "invalid", _("This is not a list's address.")))
        elif len(normalised := normalised_query(query)) > QUERY_MAX:
            problems.append(
                FieldProblem(
                    "query",
                    "max_length",
                    _(
                        "These filters are too long to save (at most %(n)d characters). "
                        "Shorten the search or use fewer filters."
                    )
                    % {"n": QUERY_MAX},
                )
            )
        else:
            cleaned["query"] = normalised
    if "shared" in data:
        if isinstance(data["shared"], bool):
            cleaned["shared"] = data["shared"]
        else:
            problems.append(FieldProblem("shared", "type", _("Enter true or false.")))
    unknown = set(data) - {"name", "query", "shared", "list_key"}
    problems += [
        FieldProblem(n, "unknown_field", _("This field cannot be set.")) for n in sorted(unknown)
    ]
    return cleaned, problems


def _duplicate(name: str) -> FieldProblem:
    return FieldProblem(
        "name",
        "unique",
        _("You already have a view named “%(name)s” on this list.") % {"name": name},
    )


def _save(view: SavedView) -> None:
    # The check in _clean answers almost always; the constraint catches two saves racing.
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise InvalidInput([_duplicate(view.name)]) from None


@transaction.atomic
def saved_view_create(*, actor: User, data: Mapping[str, Any]) -> SavedView:
    """Save a list's query under a name: `list_key`, `name`, `query` and optionally `shared`."""
    list_key = data.get("list_key")
    if list_key not in ListKey.values:
        raise InvalidInput.single("list_key", "choice", _("Unknown list."))
    cleaned, problems = _clean(data, actor=actor, list_key=str(list_key))
    if "name" not in data:
        problems.append(FieldProblem("name", "required", _("Give the view a name.")))
    if problems:
        raise InvalidInput(problems)
    at = now()
    view = SavedView(
        owner=actor,
        list_key=list_key,
        name=cleaned["name"],
        query=cleaned.get("query", ""),
        shared=cleaned.get("shared", False),
        created_at=at,
        updated_at=at,
    )
    _save(view)
    return view


def _own_locked(actor: User, view: SavedView) -> SavedView:
    found = saved_view_get(actor, view.pk)  # NotFound if the actor may not even see it
    if found.owner_id != actor.pk:
        raise PermissionDenied(_("Only the person who saved a view may change or delete it."))
    return SavedView.objects.select_for_update().get(pk=found.pk)


@transaction.atomic
def saved_view_update(view: SavedView, *, actor: User, data: Mapping[str, Any]) -> SavedView:
    """Rename, share or unshare one's own view, or give it another query."""
    view = _own_locked(actor, view)
    if "list_key" in data and data["list_key"] != view.list_key:
        raise InvalidInput.single(
            "list_key", "read_only", _("A view stays with the list it was saved on.")
        )
    cleaned, problems = _clean(data, actor=actor, list_key=view.list_key, exclude_pk=view.pk)
    if problems:
        raise InvalidInput(problems)
    for name, value in cleaned.items():
        setattr(view, name, value)
    view.updated_at = now()
    _save(view)
    return view


@transaction.atomic
def saved_view_delete(view: SavedView, *, actor: User) -> None:
    _own_locked(actor, view).delete()
