"""Webhooks in the Django admin, read-only.

Receivers are added, deactivated and given new secrets with `sopcrm webhook` (the services check
the key and URL, generate the secret and show it once); deliveries are written by automation and
the worker. The secret is never displayed here.
"""

from django.contrib import admin

from sopcrm.core.admin import ReadOnlyAdmin

from .models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    list_display = ("key", "url", "active", "description", "created_at")
    list_filter = ("active",)
    search_fields = ("key", "url", "description")
    # `secret` is left out on purpose: it signs every delivery and is shown only once.
    fields = ("key", "url", "description", "active", "created_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "webhook",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "webhook", "event")
    search_fields = ("=id", "idempotency_key", "event", "=record_id")
    list_select_related = ("webhook",)
    date_hierarchy = "created_at"
    fields = (
        "webhook",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "response_excerpt",
        "idempotency_key",
        "record_type",
        "record_id",
        "payload",
        "created_at",
        "delivered_at",
    )
