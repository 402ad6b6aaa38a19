"""Who sees which records: the one rule every selector applies.

A rep sees the records they own; a manager sees the records owned by anyone in their team, their
own, and unassigned ones (the queue they hand out); an admin sees everything. Field-level rules
live with the field definitions (process/fields.py), because fields are defined by the playbook.
"""

from django.db.models import Q

from .models import User
from .users import is_system_user


def owner_visibility(user: User, owner_path: str = "owner") -> Q:
    """A filter on `owner_path` (a foreign key to User) that keeps what `user` may see. The
    automation user (inactive: it never logs in) sees everything, like an admin."""
    if is_system_user(user):
        return Q()
    if not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return Q()
    if user.is_manager and user.team_id is not None:
        # The team's members as a list of ids rather than a join to users: an `IN (...)` on the
        # owner column is served by the owner indexes on both databases, where a join (or a
        # subquery, tried: slower on PostgreSQL) made a manager's lists, board and search check
        # every row's owner (docs/performance.md, "Pages").
        members = [*team_member_ids(user), user.pk]
        return Q(**{f"{owner_path}_id__in": members}) | Q(**{f"{owner_path}__isnull": True})
    return Q(**{owner_path: user})


def team_member_ids(manager: User) -> list[int]:
    """The ids of the users in `manager`'s team, read once per user object: a page builds many
    querysets, and a user object lives for one request (or one job), so a change of team is seen
    by the next one."""
    team_id = manager.team_id
    if team_id is None:
        return []
    cached = manager.__dict__.get("_team_member_ids")
    if cached is not None and cached[0] == team_id:
        return list(cached[1])
    ids = list(User.objects.filter(team_id=team_id).values_list("pk", flat=True))
    manager.__dict__["_team_member_ids"] = (team_id, ids)
    return ids


def can_see_owner(user: User, owner: User | None) -> bool:
    """The same rule as `owner_visibility`, for one record already in memory."""
    if is_system_user(user):
        return True
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    if owner is None:
        return user.is_manager
    if owner.pk == user.pk:
        return True
    return user.is_manager and user.team_id is not None and owner.team_id == user.team_id


def assignable_owners(user: User) -> Q:
    """The users `user` may hand a record to: anyone (admin), the team (manager), self (rep)."""
    if user.is_admin or is_system_user(user):
        return Q(is_active=True)
    if user.is_manager and user.team_id is not None:
        return Q(is_active=True, team_id=user.team_id) | Q(pk=user.pk)
    return Q(pk=user.pk)
