"""`sopcrm token create|list|revoke`: personal API tokens for scripts (see docs/api.md)."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import DomainError
from sopcrm.core.models import User
from sopcrm.core.tokens import token_create, token_list, token_revoke


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("No user %(name)s.") % {"name": username})
    return user


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token and print its secret once")
        create.add_argument("--user", required=True, help="username the token acts as")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument(
            "--expires-days", type=int, default=None, help="expire after N days (default: never)"
        )
        listing = actions.add_parser("list", help="list a user's tokens (never their secrets)")
        listing.add_argument("--user", required=True)
        revoke = actions.add_parser("revoke", help="revoke a token; it stops working at once")
        revoke.add_argument("--user", required=True)
        revoke.add_argument("id", type=int, help="the token id shown by `token list`")

    def handle(self, *args: Any, **options: Any) -> None:
        user = _user(options["user"])
        try:
            if options["action"] == "create":
                self._create(user, options["name"], options["expires_days"])
            elif options["action"] == "list":
                self._list(user)
            else:
                token = token_revoke(user=user, token_id=options["id"])
                self.stdout.write(
                    _("Revoked token %(id)d (%(name)s).") % {"id": token.pk, "name": token.name}
                )
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _create(self, user: User, name: str, expires_days: int | None) -> None:
        if expires_days is not None and expires_days < 1:
            raise CommandError(_("--expires-days must be 1 or more."))
        expires_at = now() + timedelta(days=expires_days) if expires_days else None
        issued = token_create(user=user, name=name, expires_at=expires_at)
        # The secret alone on stdout, so `TOKEN=$(sopcrm token create ...)` works; the notes
        # go to stderr.
        self.stdout.write(issued.secret)
        expiry = (
            _("expires %(at)s") % {"at": f"{expires_at:%Y-%m-%d %H:%M %Z}"}
            if expires_at
            else _("never expires")
        )
        self.stderr.write(
            _(
                "Token %(id)d (%(name)s) for %(user)s, %(expiry)s. "
                "Store the secret now: it is not shown again."
            )
            % {
                "id": issued.token.pk,
                "name": issued.token.name,
                "user": user.username,
                "expiry": expiry,
            }
        )

    def _list(self, user: User) -> None:
        tokens = token_list(user)
        current = now()
        for token in tokens:
            if token.revoked_at is not None:
                state = _("revoked %(on)s") % {"on": f"{token.revoked_at:%Y-%m-%d}"}
            elif token.expires_at is not None and token.expires_at <= current:
                state = _("expired %(on)s") % {"on": f"{token.expires_at:%Y-%m-%d}"}
            elif token.expires_at is not None:
                state = _("expires %(on)s") % {"on": f"{token.expires_at:%Y-%m-%d}"}
            else:
                state = _("active")
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else _("never")
            self.stdout.write(
                f"{token.pk}\t{token.prefix}…\t{token.name}\t{state}\t"
                + _("last used %(at)s") % {"at": used}
            )
        if not tokens:
            self.stderr.write(_("%(user)s has no tokens.") % {"user": user.username})
