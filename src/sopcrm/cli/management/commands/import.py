"""`sopcrm import leads FILE`: import leads from a CSV or XLSX file, here and now (see
docs/import.md). The same services as the upload page: every row through `lead_intake`, the job
and its error file kept (the job page shows them too)."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopcrm.core.errors import DomainError
from sopcrm.core.models import User
from sopcrm.core.users import system_user
from sopcrm.crm.imports.models import ImportJob
from sopcrm.crm.imports.presets import BUILTIN_PRESETS
from sopcrm.crm.imports.selectors import may_import
from sopcrm.crm.imports.services import (
    import_mapping,
    import_run,
    import_upload,
    preset_save,
)


def _overrides(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip():
            raise CommandError(
                _('--map takes "Column=field" (or "Column=" to ignore the column), not %(pair)r.')
                % {"pair": pair}
            )
        mapping[column.strip()] = target.strip()
    return mapping


def _actor(username: str | None) -> User:
    if not username:
        return system_user()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("No user %(name)s.") % {"name": username})
    if not may_import(user):
        raise CommandError(
            _("%(name)s may not import: only active managers and administrators import leads.")
            % {"name": username}
        )
    return user


class Command(BaseCommand):
    help = "Import leads from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_subparsers(dest="what", required=True)
        leads = what.add_parser("leads", help="import leads, one per row")
        leads.add_argument("file", help="a .csv or .xlsx file; the first row names the columns")
        leads.add_argument(
            "--preset",
            help=f"a column preset: {', '.join(BUILTIN_PRESETS)} or a saved preset's name "
            "(default: guess from the column names)",
        )
        leads.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help='map a column to a lead field, e.g. --map "E-Mail=email" --map "Notes=" '
            "(empty: ignore the column); after the preset",
        )
        leads.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="the manager or administrator importing (default: the automation user)",
        )
        leads.add_argument("--dry-run", action="store_true", help="check every row, write no lead")
        leads.add_argument(
            "--errors", metavar="OUT.csv", help="write the rows that failed, with their errors"
        )
        leads.add_argument(
            "--save-preset", metavar="NAME", help="save the mapping used as a preset"
        )
        leads.add_argument(
            "--progress-every",
            type=int,
            default=50,
            metavar="N",
            help="rows per transaction and progress report (default 50)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        if options["progress_every"] < 1:
            raise CommandError(_("--progress-every must be 1 or more."))
        actor = _actor(options["as_user"])
        data = path.read_bytes()
        try:
            headers, mapping = import_mapping(
                data, path.name, preset=options["preset"], overrides=_overrides(options["map"])
            )
            self._show_mapping(headers, mapping)
            if options["save_preset"]:
                preset_save(name=options["save_preset"], mapping=mapping, actor=actor)
                self.stderr.write(_("Saved preset %(name)s.") % {"name": options["save_preset"]})
            job = import_upload(
                actor=actor,
                file_bytes=data,
                file_name=path.name,
                mapping=mapping,
                dry_run=options["dry_run"],
            )
            started = time.monotonic()
            job = import_run(
                job,
                actor=actor,
                progress_every=options["progress_every"],
                on_progress=self._progress,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        elapsed = time.monotonic() - started
        self.stderr.write("")
        self._report(job, elapsed)
        if options["errors"]:
            Path(options["errors"]).write_text(job.errors_csv, encoding="utf-8-sig")
            if job.error_count:
                self.stderr.write(
                    _("The rows with errors are in %(path)s.") % {"path": options["errors"]}
                )
        elif job.error_count:
            self.stderr.write(
                _("Write the rows with errors to a file with --errors OUT.csv (import %(id)d).")
                % {"id": job.pk}
            )

    def _show_mapping(self, headers: tuple[str, ...], mapping: dict[str, str]) -> None:
        for column in headers:
            target = mapping.get(column) or _("(ignored)")
            self.stderr.write(f"  {column} -> {target}")

    def _progress(self, job: ImportJob) -> None:
        self.stderr.write(
            "\r"
            + _("%(done)d/%(total)d rows (%(percent)d%%)")
            % {
                "done": job.processed_rows,
                "total": job.total_rows,
                "percent": job.progress_percent,
            },
            ending="",
        )
        self.stderr.flush()

    def _report(self, job: ImportJob, elapsed: float) -> None:
        if job.dry_run:
            self.stdout.write(_("Dry run: nothing was written. The rows would give:"))
        rate = job.processed_rows / elapsed if elapsed > 0 else 0.0
        summary = ngettext(
            "%(rows)d row: %(created)d created, %(linked)d created as duplicates, "
            "%(merged)d merged, %(skipped)d already imported, %(errors)d with errors "
            "(%(seconds).1f s, %(rate).0f rows/s).",
            "%(rows)d rows: %(created)d created, %(linked)d created as duplicates, "
            "%(merged)d merged, %(skipped)d already imported, %(errors)d with errors "
            "(%(seconds).1f s, %(rate).0f rows/s).",
            job.processed_rows,
        )
        self.stdout.write(
            summary
            % {
                "rows": job.processed_rows,
                "created": job.created_count,
                "linked": job.linked_count,
                "merged": job.merged_count,
                "skipped": job.skipped_count,
                "errors": job.error_count,
                "seconds": elapsed,
                "rate": rate,
            }
        )
