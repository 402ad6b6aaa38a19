"""Importing leads from a file (S-25): upload, preview (a dry run that writes nothing), start (a
job for the worker) and run.

Every row goes in through `lead_intake`, the one entry point of the web form and the API batch:
validation, assignment by the playbook's rules, the duplicate policy, the first-contact task and
the response clock all happen there. Each row carries its fingerprint (`values.import_key`), so
importing the same rows again adds nothing. A row that fails is written to the job's error file
with its problems; the other rows go in.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, FieldProblem, InvalidInput
from sopcrm.core.models import User
from sopcrm.crm.records.services.intake import IntakeOutcome

from .mapping import mapping_clean, mapping_for
from .models import ColumnPreset, ImportJob, ImportStatus
from .parsing import Sheet, file_kind, read_sheet, read_upload
from .presets import BUILTIN_PRESETS, suggest_mapping
from .rows import RollBack, problems_text, row_intake
from .running import COUNTS, import_run
from .selectors import require_importer
from .values import import_fields, row_data

PREVIEW_ROWS = 20


# -- mapping ------------------------------------------------------------------------------------


def import_mapping(
    file_bytes: bytes,
    file_name: str,
    *,
    preset: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The file's columns and the checked mapping to read it with: the preset's (else the
    suggested one), changed by `overrides` ({column: target}, an empty target ignores the
    column). InvalidInput for an unknown column or target, or when no column gives the name."""
    sheet = read_upload(file_bytes, file_name)
    fields = import_fields()
    mapping = mapping_for(sheet.headers, fields, preset=preset)
    unknown = [c for c in (overrides or {}) if c not in sheet.headers]
    if unknown:
        raise InvalidInput.single(
            "mapping",
            "unknown_column",
            _("No column %(columns)s in the file; its columns are: %(headers)s.")
            % {"columns": ", ".join(unknown), "headers": ", ".join(sheet.headers)},
        )
    for column, target in (overrides or {}).items():
        if target:
            mapping[column] = target
        else:
            mapping.pop(column, None)
    return sheet.headers, mapping_clean(mapping, sheet.headers, fields)


@transaction.atomic
def preset_save(*, name: str, mapping: Mapping[str, Any], actor: User) -> ColumnPreset:
    """Save a mapping under a name for the next file; an existing preset of that name is
    replaced. The built-in names are reserved."""
    require_importer(actor)
    name = name.strip()
    problems: list[FieldProblem] = []
    if not name:
        problems.append(FieldProblem("name", "required", _("Give the preset a name.")))
    elif len(name) > 100:
        problems.append(FieldProblem("name", "max_length", _("At most 100 characters.")))
    elif name.lower() in BUILTIN_PRESETS:
        problems.append(FieldProblem("name", "reserved", _("This is a built-in preset's name.")))
    targets = set(import_fields().targets)
    kept = {str(c): t for c, t in mapping.items() if t}
    unknown = sorted({str(t) for t in kept.values() if t not in targets})
    if unknown:
        problems.append(
            FieldProblem(
                "mapping",
                "unknown_field",
                _("No lead field %(targets)s.") % {"targets": ", ".join(unknown)},
            )
        )
    elif not kept:
        problems.append(FieldProblem("mapping", "required", _("The mapping maps no column.")))
    if problems:
        raise InvalidInput(problems)
    preset, _created = ColumnPreset.objects.update_or_create(
        name=name, defaults={"mapping": kept, "created_by": actor, "created_at": now()}
    )
    return preset


# -- preview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    number: int
    cells: tuple[str, ...]
    data: dict[str, Any]
    outcome: IntakeOutcome | None
    problems: list[FieldProblem]
    problems_text: str


@dataclass(frozen=True)
class Preview:
    headers: tuple[str, ...]
    suggested: dict[str, str]  # what the columns' names suggest
    mapping: dict[str, str]  # what the rows were read with
    rows: list[PreviewRow]
    total_rows: int
    targets: list[tuple[str, str]]  # (target, label) for the mapping selects


def sheet_preview(
    sheet: Sheet, mapping: Mapping[str, str], *, actor: User, limit: int = PREVIEW_ROWS
) -> Preview:
    fields = import_fields()
    suggested = suggest_mapping(sheet.headers, fields.targets, fields.custom_labels())
    language = translation.get_language()
    targets = [(t, fields.target_label(t, language)) for t in fields.targets]
    clean = {c: t for c, t in mapping.items() if c in sheet.headers and t in fields.targets}
    rows: list[PreviewRow] = []
    # One transaction for the rows, as a run would see them (a later row may duplicate an
    # earlier one), rolled back: nothing of the preview is written.
    try:
        with transaction.atomic():
            for sheet_row in sheet.rows[:limit]:
                data = row_data(sheet.headers, sheet_row.cells, clean, fields)
                result = row_intake(data, actor)
                rows.append(
                    PreviewRow(
                        number=sheet_row.number,
                        cells=sheet_row.cells,
                        data=data.data,
                        outcome=result.outcome,
                        problems=result.problems,
                        problems_text=problems_text(result.problems, clean),
                    )
                )
            raise RollBack
    except RollBack:
        pass
    return Preview(
        headers=sheet.headers,
        suggested=suggested,
        mapping=clean,
        rows=rows,
        total_rows=len(sheet.rows),
        targets=targets,
    )


def import_preview(
    file_bytes: bytes,
    file_name: str,
    mapping: Mapping[str, str] | None = None,
    *,
    actor: User,
    limit: int = PREVIEW_ROWS,
) -> Preview:
    """The first `limit` rows as they would go in, each with its outcome or problems (a dry run:
    every row is validated, assigned and checked for duplicates, then all of it rolled back).
    Without a mapping, the suggested one is used."""
    require_importer(actor)
    sheet = read_upload(file_bytes, file_name)
    if mapping is None:
        mapping = mapping_for(sheet.headers, import_fields())
    return sheet_preview(sheet, mapping, actor=actor, limit=limit)


def job_preview(job: ImportJob, *, actor: User) -> Preview:
    require_importer(actor)
    return sheet_preview(read_sheet(bytes(job.file), job.kind), job.mapping, actor=actor)


# -- jobs ---------------------------------------------------------------------------------------


@transaction.atomic
def import_upload(
    *,
    actor: User,
    file_bytes: bytes,
    file_name: str,
    mapping: Mapping[str, str] | None = None,
    preset: str | None = None,
    dry_run: bool = False,
) -> ImportJob:
    """Keep an uploaded file as a draft job, with the mapping given, else the preset's, else the
    suggested one. The file is read now, so a file that cannot be read is refused at once."""
    require_importer(actor)
    sheet = read_upload(file_bytes, file_name)
    fields = import_fields()
    if mapping is None:
        mapping = mapping_for(sheet.headers, fields, preset=preset)
    return ImportJob.objects.create(
        created_by=actor,
        created_at=now(),
        file_name=file_name[:255],
        file=file_bytes,
        kind=file_kind(file_name, file_bytes),
        mapping={c: t for c, t in mapping.items() if c in sheet.headers and t},
        total_rows=len(sheet.rows),
        dry_run=dry_run,
    )


def _draft(job: ImportJob) -> None:
    if job.status != ImportStatus.DRAFT:
        raise Conflict(_("This import has started already."))


def job_headers(job: ImportJob) -> tuple[str, ...]:
    return read_sheet(bytes(job.file), job.kind).headers


@transaction.atomic
def import_mapping_set(
    job: ImportJob,
    *,
    actor: User,
    mapping: Mapping[str, str] | None = None,
    preset: str | None = None,
) -> ImportJob:
    """Change a draft's mapping (the preview page): to `mapping`, or to a preset's. Columns the
    file lacks and targets that are no lead field are dropped; `import_start` checks the rest."""
    require_importer(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    _draft(job)
    headers = job_headers(job)
    fields = import_fields()
    if preset:
        mapping = mapping_for(headers, fields, preset=preset)
    targets = set(fields.targets)
    job.mapping = {c: t for c, t in (mapping or {}).items() if c in headers and t in targets}
    job.save(update_fields=["mapping"])
    return job


@task()
def import_job_run(job_id: int) -> dict[str, int]:
    """The worker's task: run one queued job as the user who started it, in their language."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with translation.override(job.created_by.language or settings.LANGUAGE_CODE):
        job = import_run(job, actor=job.created_by)
    return {f: getattr(job, f) for f in COUNTS}


@transaction.atomic
def import_start(
    job: ImportJob,
    *,
    actor: User,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool | None = None,
) -> ImportJob:
    """Queue a draft for the worker. With the database task queue the task is written in this
    transaction, so there is never a queued job without its task nor a task without its job.
    A queue in Redis (SOPCRM_TASKS_BACKEND=rq) is outside the transaction: the task is queued
    once the job is committed as queued, so no worker takes it before (or for a rolled-back job)."""
    require_importer(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    _draft(job)
    job.mapping = mapping_clean(
        job.mapping if mapping is None else mapping, job_headers(job), import_fields()
    )
    if dry_run is not None:
        job.dry_run = dry_run
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["mapping", "dry_run", "status"])
    if settings.SOPCRM_TASKS_BACKEND == "rq":
        transaction.on_commit(partial(import_job_run.enqueue, job.pk))
    else:
        import_job_run.enqueue(job.pk)
    return job
