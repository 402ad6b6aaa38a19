"""The Django admin for people and teams, and read-only views of tokens and the event log.

Records (accounts, contacts, leads, deals, activities) are not here: every change to them goes
through a service that checks permissions and the playbook and writes an event, which an admin
form would bypass.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Event, Team, User
from .users import role_flags


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never written: rows are created by services (tokens) or are append-only (events)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")
    list_select_related = ("team",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("sopcrm"), {"fields": ("role", "team", "display_name", "language", "away_until")}),
    )
    add_fieldsets = (
        *(DjangoUserAdmin.add_fieldsets or ()),
        (_("sopcrm"), {"fields": ("role", "team", "display_name", "email")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # The role decides admin-site access, the same way user_create sets it.
        for name, value in role_flags(obj.role).items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    # The digest is left out: it is what authenticates a live token, and no one needs to see it.
    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    fields = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "record_type", "record_id", "kind", "actor")
    list_filter = ("record_type", "kind")
    search_fields = ("=record_id",)
    list_select_related = ("actor",)
    date_hierarchy = "occurred_at"
    fields = ("occurred_at", "record_type", "record_id", "kind", "actor", "data")
