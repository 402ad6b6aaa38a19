import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Role
from sopcrm.core.users import user_create

from .serve import prepare_database


class Command(BaseCommand):
    help = "Create an administrator account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        prepare_database()
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        try:
            user = user_create(
                username=options["username"],
                password=password,
                role=Role.ADMIN,
                email=options["email"],
            )
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Administrator {user.username} created.")
