"""Running an import job: every row through `lead_intake`, in batches, with progress."""

import csv
import io
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import islice

from django.db import transaction
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
    def __init__(self, headers: Sequence[str]) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        self.writer.writerow([*headers, _("row"), _("errors")])

    def add(self, row: SheetRow, text: str) -> None:
        self.writer.writerow([*row.cells, row.number, text])

    def text(self) -> str:
        return self.buffer.getvalue()


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
    its own savepoint: a bad row is rolled back alone and goes to the error file. The counts are
    saved with each batch, in its transaction, so they always match what was committed. A dry
    run rolls each batch back and saves the counts after it.

    A job runs once: it is claimed with one conditional UPDATE (draft or queued -> running), so
    a second worker or a repeated task does nothing. Call it outside a transaction, or the
    progress is not visible until the end."""
    claimed = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.DRAFT, ImportStatus.QUEUED]
    ).update(status=ImportStatus.RUNNING, started_at=now())
    if not claimed:
        raise Conflict(_("This import has started already."))
    job.refresh_from_db()
    saved = _Progress.of(job)
    try:
        require_importer(actor)  # again: a manager may have become a rep since the upload
        sheet = read_sheet(bytes(job.file), job.kind)
        fields_ = import_fields()
        mapping = mapping_clean(job.mapping, sheet.headers, fields_)
        job.total_rows = len(sheet.rows)
        job.save(update_fields=["total_rows"])
        errors = _ErrorFile(sheet.headers)
        seen: set[str] = set()  # fingerprints met in this file (a dry run writes none)
        for batch in _batches(sheet.rows, max(1, progress_every)):
            progress = _Progress.of(job)
            try:
                with transaction.atomic():
                    for sheet_row in batch:
                        _run_row(sheet_row, sheet, mapping, fields_, actor, progress, errors, seen)
                    progress.errors_csv = errors.text() if progress.error_count else ""
                    progress.copy_to(job)
                    if job.dry_run:
                        raise RollBack
                    job.save(update_fields=[*COUNTS, "errors_csv"])
            except RollBack:
                job.save(update_fields=[*COUNTS, "errors_csv"])
            saved = progress
            if on_progress is not None:
                on_progress(job)
    except Exception as exc:
        logger.exception("import %s failed", job.pk)
        saved.copy_to(job)
        job.status, job.finished_at = ImportStatus.FAILED, now()
        job.failure = exc.message if isinstance(exc, DomainError) else repr(exc)
        job.save(update_fields=[*COUNTS, "errors_csv", "status", "finished_at", "failure"])
        raise
    job.status, job.finished_at = ImportStatus.DONE, now()
    job.save(update_fields=["status", "finished_at"])
    return job


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
