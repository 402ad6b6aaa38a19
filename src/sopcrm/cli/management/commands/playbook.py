import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from sopcrm.core.clock import now
from sopcrm.core.errors import DomainError
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.playbook.diagram import playbook_diagrams
from sopcrm.playbook.loader import PlaybookError, bundled_playbook_path, load_playbook_file
from sopcrm.playbook.schema import Playbook
from sopcrm.process.engine import calendar_for
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import playbook_for_version


def calendar_warnings(playbook: Playbook) -> list[str]:
    """Years ahead for which the calendar country has published no make-up working days: the
    holiday data for them is an estimate, so deadlines around long holidays may be off."""
    today = now().date()
    calendar = calendar_for(playbook.calendar)
    return [
        f"{playbook.calendar.country} has no official holiday calendar for {year} yet; deadlines "
        f"in {year} use estimated holidays. Add the published days under calendar.holidays and "
        f"calendar.working_days."
        for year in calendar.years_without_official_data([today.year, today.year + 1])
    ]


class Command(BaseCommand):
    help = "Check, apply and draw playbooks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="report every problem of one or more files")
        check.add_argument("files", nargs="+")
        apply = sub.add_parser("apply", help="activate a new version (shows what changes)")
        apply.add_argument("file")
        apply.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="OBJECT.[PIPELINE.]STAGE=NEW_STAGE",
            help="move open records out of a removed stage, e.g. deal.export.quoted=proposal",
        )
        apply.add_argument("--dry-run", action="store_true", help="show the changes only")
        diagram = sub.add_parser("diagram", help="print the blueprint as Mermaid diagrams")
        diagram.add_argument("file", nargs="?", help="a playbook file (default: the active one)")
        diagram.add_argument("--language", default="en", choices=["en", "zh"])
        sub.add_parser("show", help="the active version and its history")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _check(self, options: dict[str, Any]) -> None:
        failed = False
        for name in options["files"]:
            try:
                playbook, _source = load_playbook_file(bundled_playbook_path(name))
            except PlaybookError as exc:
                failed = True
                for problem in exc.problems:
                    self.stderr.write(str(problem))
                continue
            self.stdout.write(f"{name}: OK ({playbook.key})")
            for warning in calendar_warnings(playbook):
                self.stdout.write(f"{name}: warning: {warning}")
        if failed:
            sys.exit(1)

    def _apply(self, options: dict[str, Any]) -> None:
        path = bundled_playbook_path(options["file"])
        mapping: dict[str, str] = {}
        for item in options["map"]:
            old, sep, new = item.partition("=")
            if not sep or not old or not new:
                raise CommandError(f"--map takes OBJECT.[PIPELINE.]STAGE=NEW_STAGE, not {item!r}")
            mapping[old.strip()] = new.strip()
        try:
            source = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        try:
            result = playbook_apply(
                source=source,
                source_name=Path(path).name,
                actor=None,
                stage_mapping=mapping,
                dry_run=options["dry_run"],
            )
        except PlaybookError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            sys.exit(1)
        except DomainError as exc:
            self.stderr.write(exc.message)
            sys.exit(1)
        self.stdout.write("Changes:")
        for line in result.diff.lines() if result.diff else ["  (first version)"]:
            self.stdout.write(line)
        if result.version is None:
            self.stdout.write("Dry run: nothing applied.")
            return
        self.stdout.write(f"Applied {result.version}.")
        for name, count in result.moved.items():
            self.stdout.write(f"  {count} open {name}(s) now run under it")
        for move, count in result.remapped.items():
            self.stdout.write(f"  {count} moved {move}")

    def _diagram(self, options: dict[str, Any]) -> None:
        if options["file"]:
            try:
                playbook, _source = load_playbook_file(bundled_playbook_path(options["file"]))
            except PlaybookError as exc:
                raise CommandError(str(exc)) from None
        else:
            active = PlaybookVersion.objects.filter(is_active=True).first()
            if active is None:
                raise CommandError("No playbook is active; give a file.")
            playbook = playbook_for_version(active.pk)
        with translation.override(options["language"]):
            for name, text in playbook_diagrams(playbook, language=options["language"]).items():
                self.stdout.write(f"%% {name}\n{text}")

    def _show(self, options: dict[str, Any]) -> None:
        for version in PlaybookVersion.objects.order_by("-applied_at"):
            marker = "*" if version.is_active else " "
            applied = f"{version.applied_at:%Y-%m-%d %H:%M}"
            self.stdout.write(f"{marker} {version} applied {applied} from {version.source_name}")
