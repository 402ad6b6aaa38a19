"""Notifications are shown read-only (they are written by `services.notify` only); an admin may
set a user's email preference, which the model's choices and validators keep in range."""

from django.contrib import admin

from sopcrm.core.admin import ReadOnlyAdmin

from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "title", "read_at", "emailed_at")
    list_filter = ("kind", "record_type")
    search_fields = ("title", "user__username", "rule_key", "=record_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = (
        "user",
        "kind",
        "title",
        "body",
        "record_type",
        "record_id",
        "rule_key",
        "dedupe_key",
        "created_at",
        "read_at",
        "emailed_at",
    )


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email", "digest_hour", "last_digest_on")
    list_filter = ("email",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("last_digest_on",)
