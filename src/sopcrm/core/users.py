"""Services for people and teams (called by the CLI, the demo loader and the admin)."""

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
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
