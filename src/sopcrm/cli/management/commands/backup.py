"""`sopcrm backup [--out PATH]`: the database (and generated secret key) in one file; see
docs/backup.md."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sopcrm.cli.backup import BackupError, backup_write


class Command(BaseCommand):
    help = "Write a backup of the site (consistent while the server and worker run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="file to write, or a folder to put sopcrm-backup-<time>.tar in (default: here)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backup_write(options["out"])
        except (BackupError, OSError) as exc:  # OSError: a folder not writable, disk full
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Backup written to %(path)s") % {"path": path})
