"""`sopcrm restore PATH [--yes]`: put a backup made by `sopcrm backup` back; see
docs/backup.md."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sopcrm.cli.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `sopcrm backup` (stop the server and workers first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="replace a database that already holds tables (everything in it is lost)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = backup_restore(options["path"], replace=options["yes"])
        except (BackupError, OSError) as exc:  # OSError: a folder not writable, disk full
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Restored the backup of %(at)s. Run `sopcrm migrate` if this sopcrm is newer.")
            % {"at": restored.created_at}
        )
        if restored.secret_key_restored:
            self.stdout.write(_("The secret key of the backed-up site is restored too."))
