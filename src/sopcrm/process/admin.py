"""Playbook versions are applied with `sopcrm playbook apply` and never edited afterwards (records
remember the version they run under), and timers are set and fired by the services and the
worker, so the admin only shows them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import PlaybookVersion, Timer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "record_type", "record_id", "key", "due_at", "status", "late")
    list_filter = ("status", "kind", "late")
    search_fields = ("key",)
    date_hierarchy = "due_at"
    ordering = ("status", "due_at")


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(ReadOnlyAdmin):
    list_display = ("key", "number", "is_active", "source_name", "applied_at", "applied_by")
    list_filter = ("key", "is_active")
    list_select_related = ("applied_by",)
    fields = ("key", "number", "is_active", "source_name", "applied_at", "applied_by", "source")
