"""Lead import pages (managers and administrators; a rep gets 403, see crm/imports/selectors.py).

Upload a file (with a preset, or the mapping guessed from its column names) -> the preview page:
one select per column and the first rows as they would go in, each with its outcome or problems
(a dry run that writes nothing) -> start: a job the worker runs -> the job page, whose progress
bar htmx refreshes every second until the job is done, with the error file to download.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from sopcrm.core.errors import DomainError, NotFound
from sopcrm.core.models import User
from sopcrm.crm.imports.models import ImportJob, ImportStatus
from sopcrm.crm.imports.parsing import MAX_FILE_BYTES
from sopcrm.crm.imports.selectors import (
    RECENT_JOBS,
    import_job_get,
    import_job_list,
    may_import,
    preset_choices,
)
from sopcrm.crm.imports.services import (
    import_mapping_set,
    import_start,
    import_upload,
    job_headers,
    job_preview,
    preset_save,
)

from ..forms.base import WebForm
from ..http import WebRequest, wants_partial
from .common import redirect_to


class UploadForm(WebForm):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or GB18030) or XLSX; the first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm"}),
    )
    preset = forms.ChoiceField(
        label=gettext_lazy("Column preset"),
        required=False,
        help_text=gettext_lazy("Where the file comes from; you can change each column next."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        preset = self.fields["preset"]
        assert isinstance(preset, forms.ChoiceField)
        preset.choices = [("", _("Guess from the column names")), *preset_choices()]


def _importer(request: WebRequest) -> User:
    if not may_import(request.user):
        raise HttpForbidden
    return request.user


def _job_or_404(user: User, pk: int) -> ImportJob:
    try:
        return import_job_get(user, pk)
    except NotFound:
        raise Http404 from None


def _job_url(job: ImportJob) -> str:
    name = "import_preview" if job.status == ImportStatus.DRAFT else "import_job"
    return reverse(name, args=[job.pk])


@login_required
@require_http_methods(["GET", "POST"])
def import_upload_view(request: WebRequest) -> HttpResponse:
    user = _importer(request)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(mb)d MB: split it.") % {"mb": MAX_FILE_BYTES >> 20},
            )
        else:
            try:
                job = import_upload(
                    actor=user,
                    file_bytes=upload.read(),
                    file_name=upload.name or "import.csv",
                    preset=form.cleaned_data["preset"] or None,
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect_to(reverse("import_preview", args=[job.pk]))
    jobs = [(job, _job_url(job)) for job in import_job_list(user)[:RECENT_JOBS]]
    return render(
        request,
        "web/imports/upload.html",
        {"title": _("Import leads"), "form": form, "jobs": jobs},
    )


def _posted_mapping(request: WebRequest, headers: tuple[str, ...]) -> dict[str, str]:
    """The preview form names each column's select by position (`col-3`), since a column's
    name may be any text."""
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        target = request.POST.get(f"col-{index}", "")
        if target:
            mapping[header] = target
    return mapping


def _preview_post(request: WebRequest, job: ImportJob, user: User) -> HttpResponse:
    action = request.POST.get("action", "preview")
    preview_url = reverse("import_preview", args=[job.pk])
    mapping = _posted_mapping(request, job_headers(job))
    preset = request.POST.get("preset", "") if action == "apply_preset" else ""
    job = import_mapping_set(job, actor=user, mapping=mapping, preset=preset or None)
    if action == "save_preset":
        saved = preset_save(
            name=request.POST.get("preset_name", ""), mapping=job.mapping, actor=user
        )
        messages.success(
            request, _("Saved the mapping as preset “%(name)s”.") % {"name": saved.name}
        )
    elif action == "start":
        job = import_start(job, actor=user, dry_run=bool(request.POST.get("dry_run")))
        return redirect_to(reverse("import_job", args=[job.pk]))
    return redirect_to(preview_url)


@login_required
@require_http_methods(["GET", "POST"])
def import_preview_view(request: WebRequest, pk: int) -> HttpResponse:
    user = _importer(request)
    job = _job_or_404(user, pk)
    if job.status != ImportStatus.DRAFT:
        return redirect_to(reverse("import_job", args=[job.pk]))
    if request.method == "POST":
        try:
            return _preview_post(request, job, user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect_to(reverse("import_preview", args=[job.pk]))
    preview = job_preview(job, actor=user)
    samples = preview.rows[0].cells if preview.rows else ("",) * len(preview.headers)
    columns = [
        {"index": i, "name": h, "sample": samples[i], "target": preview.mapping.get(h, "")}
        for i, h in enumerate(preview.headers)
    ]
    mapped = [h for h in preview.headers if h in preview.mapping]
    labels = dict(preview.targets)
    rows = [
        {
            "number": row.number,
            "cells": [row.cells[preview.headers.index(h)] for h in mapped],
            "outcome": row.outcome,
            "problems": row.problems_text,
        }
        for row in preview.rows
    ]
    return render(
        request,
        "web/imports/preview.html",
        {
            "title": _("Check the import"),
            "job": job,
            "preview": preview,
            "columns": columns,
            "mapped": [(h, labels.get(preview.mapping[h], preview.mapping[h])) for h in mapped],
            "rows": rows,
            "presets": preset_choices(),
            "problem_rows": sum(1 for row in preview.rows if row.outcome is None),
        },
    )


@login_required
@require_GET
def import_job_view(request: WebRequest, pk: int) -> HttpResponse:
    """The job page; an htmx request gets the progress section alone (polled every second
    while the job is queued or running)."""
    user = _importer(request)
    job = _job_or_404(user, pk)
    if job.status == ImportStatus.DRAFT:
        return redirect_to(reverse("import_preview", args=[job.pk]))
    template = "web/imports/job.html#progress" if wants_partial(request) else "web/imports/job.html"
    return render(request, template, {"title": job.file_name, "job": job})


@login_required
@require_GET
def import_job_errors_view(request: WebRequest, pk: int) -> HttpResponse:
    """The rows that failed, as CSV with a BOM (so Excel reads the Chinese text as UTF-8)."""
    user = _importer(request)
    job = _job_or_404(user, pk)
    stem = job.file_name.rsplit(".", 1)[0] or "import"
    response = HttpResponse("\ufeff" + job.errors_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{stem}-errors.csv"
    )
    return response
