"""Running an import job: every row through `lead_intake`, in batches, with progress; and taking
over a job whose worker died.

A worker killed mid-import (SIGKILL, a crash, the machine lost) leaves its job `running` with the
counts of its last committed batch, and the task queue (django-tasks-db) never hands the task out
again. So each batch also writes the job's heartbeat, in its transaction, and the worker's loop
takes over a running job whose heartbeat is older than `LEASE` (`import_take_over`): it skips the
`processed_rows` rows already committed and goes on from there, counting on from the saved counts
and adding to the saved error file. Every write of a runner is conditional on the heartbeat it
last wrote: a runner that was taken over (alive after all, only slower than the lease) finds the
heartbeat changed, rolls its batch back and stops, so two runners never both commit a batch.
"""

import csv
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, DomainError
from sopcrm.core.models import User
from sopcrm.crm.records.services.intake import IntakeOutcome

from .mapping import mapping_clean
from .models import ImportJob, ImportStatus
from .parsing import Sheet, SheetRow, read_sheet
from .rows import RollBack, problems_text, row_intake
from .selectors import require_importer
from .values import ImportFields, import_fields, row_data

logger = logging.getLogger(__name__)

# How long a running job may go without saving a batch before another worker takes it over. A
# batch (50 rows by default) takes seconds (about 20 rows/s on a small machine: docs/import.md),
# so five minutes is far beyond a slow batch on a busy database, while a job whose worker died
# is finished a few minutes later. A batch that really runs longer (a huge --progress-every on
# the command line) may be taken over: its runner then stops, with its batch rolled back.
LEASE = timedelta(minutes=5)

COUNTS = (
    "processed_rows",
    "created_count",
    "linked_count",
    "merged_count",
    "skipped_count",
    "error_count",
)
_OUTCOME_COUNT = {
    IntakeOutcome.CREATED: "created_count",
    IntakeOutcome.LINKED: "linked_count",
    IntakeOutcome.MERGED: "merged_count",
    IntakeOutcome.ALREADY_IMPORTED: "skipped_count",
}


@dataclass
class _Progress:
    """The counts and the error file as of the last saved batch (restored if a batch fails)."""

    processed_rows: int = 0
    created_count: int = 0
    linked_count: int = 0
    merged_count: int = 0
    skipped_count: int = 0
    error_count: int = 0
    errors_csv: str = ""

    def copy_to(self, job: ImportJob) -> None:
        for f in fields(self):
            setattr(job, f.name, getattr(self, f.name))

    @classmethod
    def of(cls, job: ImportJob) -> "_Progress":
        return cls(**{f.name: getattr(job, f.name) for f in fields(cls)})


class _ErrorFile:
    def __init__(self, headers: Sequence[str], saved: str = "") -> None:
        """A new error file, or the one saved so far (`saved`, a job taken over) continued."""
        self.buffer = io.StringIO(saved)
        self.buffer.seek(0, io.SEEK_END)
        self.writer = csv.writer(self.buffer)
        if not saved:
            self.writer.writerow([*headers, _("row"), _("errors")])

    def add(self, row: SheetRow, text: str) -> None:
        self.writer.writerow([*row.cells, row.number, text])

    def text(self) -> str:
        return self.buffer.getvalue()


def _error_rows(saved: str) -> set[int]:
    """The row numbers in a saved error file (its next-to-last column; the first line is the
    header)."""
    lines = list(csv.reader(io.StringIO(saved)))[1:]
    return {int(cells[-2]) for cells in lines if len(cells) >= 2}


class _TakenOver(Exception):
    """The job's heartbeat is not the one this runner wrote: another worker took the job over."""


def _save(job: ImportJob, update_fields: Iterable[str]) -> None:
    """Save these fields and a new heartbeat if the job is still ours: running, with the
    heartbeat we wrote last. Otherwise _TakenOver (inside a batch, its transaction rolls back)."""
    at = now()
    ours = ImportJob.objects.filter(
        pk=job.pk, status=ImportStatus.RUNNING, heartbeat_at=job.heartbeat_at
    )
    if not ours.update(heartbeat_at=at, **{f: getattr(job, f) for f in update_fields}):
        raise _TakenOver
    job.heartbeat_at = at


def _batches(rows: Sequence[SheetRow], size: int) -> Iterator[tuple[SheetRow, ...]]:
    it = iter(rows)
    while batch := tuple(islice(it, size)):
        yield batch


def import_run(
    job: ImportJob,
    *,
    actor: User,
    progress_every: int = 50,
    on_progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Run a job's rows through `lead_intake`, `progress_every` rows per transaction, each row in
    its own savepoint: a bad row is rolled back alone and goes to the error file. The counts and
    the heartbeat are saved with each batch, in its transaction, so they always match what was
    committed. A dry run rolls each batch back and saves the counts after it.

    A job runs once: it is claimed with one conditional UPDATE (draft or queued -> running), so
    a second worker or a repeated task does nothing. Call it outside a transaction, or the
    progress is not visible until the end."""
    at = now()
    claimed = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.DRAFT, ImportStatus.QUEUED]
    ).update(status=ImportStatus.RUNNING, started_at=at, heartbeat_at=at)
    if not claimed:
        raise Conflict(_("This import has started already."))
    job.refresh_from_db()
    return _run(job, actor=actor, progress_every=progress_every, on_progress=on_progress)


def import_stale() -> list[tuple[int, datetime | None]]:
    """The running jobs whose heartbeat is older than the lease, as (id, heartbeat), oldest job
    first. No heartbeat at all: a job left running by a version without heartbeats."""
    stale = Q(heartbeat_at__lt=now() - LEASE) | Q(heartbeat_at__isnull=True)
    jobs = ImportJob.objects.filter(stale, status=ImportStatus.RUNNING).order_by("pk")
    return list(jobs.values_list("pk", "heartbeat_at")[:10])


def import_claim_stale(pk: int, heartbeat_at: datetime | None) -> bool:
    """Claim a stale job if it still has the heartbeat it was seen with: one conditional UPDATE,
    so of two workers claiming it at once exactly one gets it."""
    claimed = ImportJob.objects.filter(
        pk=pk, status=ImportStatus.RUNNING, heartbeat_at=heartbeat_at
    ).update(heartbeat_at=now())
    return claimed == 1


def import_take_over(*, progress_every: int = 50) -> ImportJob | None:
    """Take over one running job whose worker stopped (no heartbeat for `LEASE`) and finish it,
    as the user who started it, in their language; the job, or None when no job is stale.

    Called by the worker every tick, so a plain read comes first (on SQLite an UPDATE takes the
    database's write lock, which an idle worker should not do every tick). The run goes on from
    the saved progress (`_run`). A dry run goes on likewise: its batches were rolled back
    anyway, so going on gives what one uninterrupted dry run gives. A failure is recorded on the
    job (status failed, the reason) and logged, not raised."""
    for pk, heartbeat_at in import_stale():
        if import_claim_stale(pk, heartbeat_at):
            break
    else:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=pk)
    logger.warning(
        "import %s: no progress since %s, taking it over after %d of %d rows",
        job.pk,
        heartbeat_at,
        job.processed_rows,
        job.total_rows,
    )
    actor = job.created_by
    with translation.override(actor.language or settings.LANGUAGE_CODE):
        try:
            return _run(job, actor=actor, progress_every=progress_every)
        except Exception:  # recorded on the job and logged by _run
            job.refresh_from_db()
            return job


def _run(
    job: ImportJob,
    *,
    actor: User,
    progress_every: int,
    on_progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Run a claimed job from its saved progress on: the first `processed_rows` rows are
    committed already (a job taken over), so they are skipped, and only their fingerprints are
    read again, for the rows repeated later in the file."""
    saved = _Progress.of(job)
    try:
        require_importer(actor)  # again: a manager may have become a rep since the upload
        sheet = read_sheet(bytes(job.file), job.kind)
        fields_ = import_fields()
        mapping = mapping_clean(job.mapping, sheet.headers, fields_)
        job.total_rows = len(sheet.rows)
        _save(job, ["total_rows"])
        done = sheet.rows[: job.processed_rows]
        errors = _ErrorFile(sheet.headers, job.errors_csv)
        # Fingerprints met in this file (a dry run writes none), as the rows done left them.
        seen = _seen(done, sheet, mapping, fields_, _error_rows(job.errors_csv))
        rest = sheet.rows[job.processed_rows :]
        for batch in _batches(rest, max(1, progress_every)):
            progress = _Progress.of(job)
            try:
                with transaction.atomic():
                    for sheet_row in batch:
                        _run_row(sheet_row, sheet, mapping, fields_, actor, progress, errors, seen)
                    progress.errors_csv = errors.text() if progress.error_count else ""
                    progress.copy_to(job)
                    if job.dry_run:
                        raise RollBack
                    _save(job, [*COUNTS, "errors_csv"])
            except RollBack:
                _save(job, [*COUNTS, "errors_csv"])
            saved = progress
            if on_progress is not None:
                on_progress(job)
        job.status, job.finished_at = ImportStatus.DONE, now()
        _save(job, ["status", "finished_at"])
    except _TakenOver:
        logger.warning("import %s was taken over by another worker: stopping", job.pk)
        raise Conflict(_("Another worker took this import over.")) from None
    except (Exception, KeyboardInterrupt) as exc:
        # Ctrl-C on `sopcrm import` too: the job fails rather than being taken over and
        # finished by a worker after the person at the terminal stopped it.
        logger.exception("import %s failed", job.pk)
        saved.copy_to(job)
        job.status, job.finished_at = ImportStatus.FAILED, now()
        job.failure = exc.message if isinstance(exc, DomainError) else repr(exc)
        try:
            _save(job, [*COUNTS, "errors_csv", "status", "finished_at", "failure"])
        except _TakenOver:
            logger.warning("import %s was taken over by another worker meanwhile", job.pk)
        raise
    return job


def _seen(
    rows: Sequence[SheetRow],
    sheet: Sheet,
    mapping: Mapping[str, str],
    fields_: ImportFields,
    error_rows: set[int],
) -> set[str]:
    """The fingerprints the rows done put in `seen`: those of the rows that went in (or were
    skipped as repeats), that is every readable row not in the error file. Read again without
    `lead_intake`."""
    seen: set[str] = set()
    for sheet_row in rows:
        if sheet_row.number in error_rows:
            continue
        data = row_data(sheet.headers, sheet_row.cells, mapping, fields_)
        if not data.problems:
            seen.add(data.import_key)
    return seen


def _run_row(
    sheet_row: SheetRow,
    sheet: Sheet,
    mapping: Mapping[str, str],
    fields_: ImportFields,
    actor: User,
    progress: _Progress,
    errors: _ErrorFile,
    seen: set[str],
) -> None:
    data = row_data(sheet.headers, sheet_row.cells, mapping, fields_)
    progress.processed_rows += 1
    key = data.import_key if not data.problems else None
    if key is not None and key in seen:
        progress.skipped_count += 1
        return
    result = row_intake(data, actor)
    if result.outcome is None:
        progress.error_count += 1
        errors.add(sheet_row, problems_text(result.problems, mapping))
        return
    if key is not None:
        seen.add(key)
    count = _OUTCOME_COUNT[result.outcome]
    setattr(progress, count, getattr(progress, count) + 1)
