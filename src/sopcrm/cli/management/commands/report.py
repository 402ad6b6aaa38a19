"""`sopcrm report monthly --month 2026-10`: the monthly SOP review (S-42) as an XLSX workbook, and
with `--csv DIR` as CSV files with the same rows (docs/reports.md, "Monthly review").

The same functions as the dashboard's *Download monthly review* button, run as a named user so the
review shows what that user may see, in that user's language. Bad input is one line on stderr
naming the option, exit status 2, and no file written: every file goes to a temporary name in its
own directory first and is renamed into place only once all of them are written.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from sopcrm.core import normalise
from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Role, User
from sopcrm.crm.reports.filters import month_period
from sopcrm.crm.reports.monthly import (
    ExampleNotFound,
    monthly_review,
    monthly_review_csv,
    monthly_review_xlsx,
)

BAD_INPUT = 2  # the exit status of a usage error, as argparse's own
OPTIONS = {"month": "--month", "team": "--team", "won": "--won", "lost": "--lost"}


def _refuse(option: str, message: str) -> CommandError:
    return CommandError(f"{option}: {message}", returncode=BAD_INPUT)


def _whole_number(option: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    pk = normalise.record_id(raw)
    if pk is None:
        raise _refuse(option, _("Give an id as a whole number, not %(raw)r.") % {"raw": raw})
    return pk


def _viewer(username: str | None) -> User:
    """The user the review is for: `--as`, else the first active administrator."""
    if username is None:
        admin = (
            User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
            .order_by("pk")
            .first()
        )
        if admin is None:
            raise _refuse("--as", _("There is no active administrator; name a user."))
        return admin
    user = User.objects.filter(username=username).first()
    if user is None:
        raise _refuse("--as", _("There is no user %(name)s.") % {"name": username})
    if not user.is_active:
        raise _refuse("--as", _("%(name)s is not active.") % {"name": username})
    return user


def _check_out(out: Path) -> None:
    if out.is_dir():
        raise _refuse("--out", _("%(path)s is a directory; give a file name.") % {"path": out})
    if not out.parent.is_dir():
        raise _refuse("--out", _("There is no directory %(path)s.") % {"path": out.parent})


def _check_csv_dir(directory: Path) -> None:
    if not directory.is_dir():
        raise _refuse("--csv", _("There is no directory %(path)s.") % {"path": directory})


def _write_all(files: list[tuple[Path, bytes, str]]) -> None:
    """Write every (path, content, option) or none: each to a temporary file beside its target,
    renamed over the target once all are written."""
    for target, _content, option in files:
        if target.is_dir():
            raise _refuse(option, _("%(path)s is a directory.") % {"path": target})
    umask = os.umask(0)
    os.umask(umask)
    written: list[tuple[Path, Path]] = []
    try:
        for target, content, option in files:
            try:
                handle, name = tempfile.mkstemp(
                    dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
                )
                written.append((Path(name), target))
                with os.fdopen(handle, "wb") as stream:
                    stream.write(content)
                # mkstemp makes the file private; the export is an ordinary file.
                os.chmod(name, 0o666 & ~umask)
            except OSError as exc:
                raise _refuse(
                    option,
                    _("Cannot write %(path)s: %(reason)s.")
                    % {"path": target, "reason": exc.strerror or exc},
                ) from None
        for temporary, target in written:
            os.replace(temporary, target)
    finally:
        for temporary, _target in written:
            temporary.unlink(missing_ok=True)


class Command(BaseCommand):
    help = "Write report exports: `report monthly --month 2026-10` (the monthly SOP review)."

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_subparsers(dest="what", required=True)
        monthly = what.add_parser(
            "monthly",
            help="the monthly SOP review as XLSX (and CSV): figures, examples, reps",
            description="The monthly SOP review (S-42): the 24-hour response rate, the average "
            "follow-ups after a quote and the top three lost reasons; a won and a lost deal "
            "with their paths against the playbook; the per-rep table. It shows what the user "
            "running it (--as) may see, in that user's language.",
        )
        monthly.add_argument("--month", required=True, metavar="YYYY-MM", help="e.g. 2026-10")
        monthly.add_argument("--team", metavar="ID", help="only the records of this team's members")
        monthly.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="the user the review is for: it holds what they may see (default: the first "
            "active administrator)",
        )
        monthly.add_argument(
            "--won",
            metavar="ID",
            help="the won deal to show as the example (default: the largest won in the month)",
        )
        monthly.add_argument(
            "--lost",
            metavar="ID",
            help="the lost deal to show as the example (default: the largest lost in the month)",
        )
        monthly.add_argument(
            "--out",
            metavar="FILE.xlsx",
            help="where to write the workbook (default: ./sopcrm-review-YYYY-MM.xlsx)",
        )
        monthly.add_argument(
            "--csv",
            metavar="DIR",
            help="also write one CSV file per sheet into this existing directory "
            "(FILE-summary.csv, FILE-examples.csv, FILE-reps.csv; UTF-8 with a byte order mark)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        month = options["month"].strip()
        try:
            month_period(month)  # first: the default file name is made of it
        except InvalidInput as exc:
            raise _refuse("--month", exc.problems[0].message) from None
        team = _whole_number("--team", options["team"])
        won = _whole_number("--won", options["won"])
        lost = _whole_number("--lost", options["lost"])
        viewer = _viewer(options["as_user"])
        out = Path(options["out"] or f"sopcrm-review-{month}.xlsx")
        _check_out(out)
        csv_dir = Path(options["csv"]) if options["csv"] else None
        if csv_dir is not None:
            _check_csv_dir(csv_dir)
        # The user's language; without one, the console's (SOPCRM_LANGUAGE).
        with translation.override(viewer.language or translation.get_language()):
            try:
                review = monthly_review(viewer, month, team=team, won=won, lost=lost)
            except InvalidInput as exc:
                problem = exc.problems[0]
                raise _refuse(OPTIONS.get(problem.field, problem.field), problem.message) from None
            except ExampleNotFound as exc:
                raise _refuse(OPTIONS[exc.field], exc.message) from None
            files = [(out, monthly_review_xlsx(review), "--out")]
            if csv_dir is not None:
                for key, text in monthly_review_csv(review).items():
                    files.append((csv_dir / f"{out.stem}-{key}.csv", text.encode("utf-8"), "--csv"))
            _write_all(files)
            for path, _content, _option in files:
                self.stdout.write(_("Wrote %(path)s") % {"path": path.resolve()})
