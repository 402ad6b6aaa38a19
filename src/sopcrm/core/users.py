"""Services for people and teams (called by the CLI, the demo loader and the admin)."""

from django.db import transaction
from django.utils.translation import gettext as _

from .errors import InvalidInput
from .models import Role, Team, User


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
    if User.objects.filter(username=username).exists():
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
