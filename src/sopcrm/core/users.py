"""Services for people and teams (called by the CLI, the demo loader, the admin and a user's
own settings page)."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .errors import FieldProblem, InvalidInput
from .models import Role, Team, User
from .normalise import email_address


@transaction.atomic
def team_create(*, name: str) -> Team:
    name = name.strip()
    if not name:
        raise InvalidInput.single("name", "required", _("A team needs a name."))
    if Team.objects.filter(name=name).exists():
        raise InvalidInput.single("name", "unique", _("A team with this name exists."))
    return Team.objects.create(name=name)


def role_flags(role: Role | str) -> dict[str, bool]:
    """The Django flags that follow from a role: only admins use the admin site."""
    is_admin = role == Role.ADMIN
    return {"is_staff": is_admin, "is_superuser": is_admin}


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: Role | str = Role.REP,
    team: Team | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    if role not in Role.values:
        raise InvalidInput.single("role", "choice", _("Unknown role."))
    if User.objects.filter(username=username).exists() or username == SYSTEM_USERNAME:
        raise InvalidInput.single("username", "unique", _("This username is taken."))
    user = User(
        username=username,
        role=role,
        team=team,
        display_name=display_name,
        email=email,
        **role_flags(role),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


# The identity automation acts under (rules, timers): an administrator who cannot log in.
SYSTEM_USERNAME = "sopcrm-automation"


def system_user() -> User:
    """The automation user, created on first use. Its changes are on the timeline under its
    name, it sees every record, and it never triggers rules itself (no loops)."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():  # two workers starting at once: one creates, one reads
            return User.objects.create(
                username=SYSTEM_USERNAME,
                password=make_password(None),  # unusable: it never logs in
                role=Role.ADMIN,
                display_name="Automation",
                is_active=False,
            )
    except IntegrityError:
        return User.objects.get(username=SYSTEM_USERNAME)


def is_system_user(user: User | None) -> bool:
    return user is not None and user.username == SYSTEM_USERNAME


PROFILE_FIELDS = ("display_name", "email")
DISPLAY_NAME_MAX = 150


@transaction.atomic
def user_update_profile(user: User, *, data: Mapping[str, Any]) -> User:
    """Change what a user says about themselves: `display_name` (shown on every record and
    timeline; empty falls back to the username) and `email` (empty, or a valid address, stored
    with its domain lower-cased). Fields left out keep their value; any bad value changes
    nothing. Role, team and username are the administrator's (the admin site)."""
    problems = [
        FieldProblem(name, "unknown", _("This field cannot be changed here."))
        for name in data
        if name not in PROFILE_FIELDS
    ]
    values: dict[str, str] = {}
    if "display_name" in data:
        values["display_name"] = str(data["display_name"] or "").strip()
        if len(values["display_name"]) > DISPLAY_NAME_MAX:
            problems.append(
                FieldProblem(
                    "display_name",
                    "too_long",
                    _("At most %(max)d characters.") % {"max": DISPLAY_NAME_MAX},
                )
            )
    if "email" in data:
        text = str(data["email"] or "").strip()
        try:
            values["email"] = email_address(text) if text else ""
        except ValueError as exc:
            problems.append(FieldProblem("email", "invalid", str(exc)))
    if problems:
        raise InvalidInput(problems)
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        user.save(update_fields=changed)
    return user
