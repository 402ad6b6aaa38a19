"""Playbook versions are applied with `sopcrm playbook apply` and never edited afterwards (records
remember the version they run under), so the admin only shows them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import PlaybookVersion


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(admin.ModelAdmin):
    list_display = ("key", "number", "is_active", "source_name", "applied_at", "applied_by")
    list_filter = ("key", "is_active")
    list_select_related = ("applied_by",)
    fields = ("key", "number", "is_active", "source_name", "applied_at", "applied_by", "source")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
