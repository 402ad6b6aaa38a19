"""Who sees webhooks: administrators only, since a webhook sends data about any record to
another system. The delivery log shows payloads from every owner's records, so it is no less
sensitive.

The `*_all` readers are for the operator at the command line, who reads the database anyway; the
API goes through the admin-checked ones.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sopcrm.core.errors import PermissionDenied
from sopcrm.core.models import User

from .models import DeliveryStatus, Webhook, WebhookDelivery


def may_manage_webhooks(user: User) -> bool:
    return user.is_active and user.is_admin


def _require_admin(user: User) -> None:
    if not may_manage_webhooks(user):
        raise PermissionDenied(_("Only administrators see webhooks."))


def webhooks_all() -> QuerySet[Webhook]:
    return Webhook.objects.order_by("key")


def deliveries_all(
    *,
    status: DeliveryStatus | str | None = None,
    webhook_key: str | None = None,
) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first."""
    rows = WebhookDelivery.objects.select_related("webhook")
    if status:
        rows = rows.filter(status=status)
    if webhook_key:
        rows = rows.filter(webhook__key=webhook_key)
    return rows.order_by("-pk")


def webhook_list(user: User) -> QuerySet[Webhook]:
    """Every webhook, for an administrator; PermissionDenied for anyone else."""
    _require_admin(user)
    return webhooks_all()


def delivery_list(
    user: User,
    *,
    status: DeliveryStatus | str | None = None,
    webhook_key: str | None = None,
) -> QuerySet[WebhookDelivery]:
    """The delivery log, for an administrator; PermissionDenied for anyone else."""
    _require_admin(user)
    return deliveries_all(status=status, webhook_key=webhook_key)
