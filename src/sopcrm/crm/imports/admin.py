"""Lead imports in the Django admin, read-only: jobs are created and run by the services (the
upload page and `sopcrm import leads`), which check who may import and send every row through
`lead_intake`. The uploaded bytes and the error file are left out of the forms (the job page
offers the error file for download). Saved presets may be deleted here."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from sopcrm.core.admin import ReadOnlyAdmin

from .models import ColumnPreset, ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "file_name",
        "status",
        "dry_run",
        "total_rows",
        "processed_rows",
        "created_count",
        "linked_count",
        "merged_count",
        "skipped_count",
        "error_count",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "kind", "dry_run")
    search_fields = ("=id", "file_name")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    fields = (
        "file_name",
        "kind",
        "mapping",
        "status",
        "dry_run",
        "total_rows",
        "processed_rows",
        "created_count",
        "linked_count",
        "merged_count",
        "skipped_count",
        "error_count",
        "failure",
        "created_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        return super().get_queryset(request).defer("file", "errors_csv")


@admin.register(ColumnPreset)
class ColumnPresetAdmin(ReadOnlyAdmin):
    list_display = ("name", "created_by", "created_at")
    search_fields = ("name",)
    fields = ("name", "mapping", "created_by", "created_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A preset is a convenience, referenced by nothing: an administrator may remove one.
        return True
