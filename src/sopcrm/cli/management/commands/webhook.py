"""`sopcrm webhook add|list|deactivate|rotate|deliveries|retry|deliver`: outbound webhooks and
their delivery log (see docs/webhooks.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopcrm.core.errors import DomainError
from sopcrm.crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from sopcrm.crm.webhooks.selectors import deliveries_all, webhooks_all
from sopcrm.crm.webhooks.services import (
    webhook_create,
    webhook_deactivate,
    webhook_delivery_retry,
    webhook_rotate_secret,
    webhooks_deliver_due,
)


class Command(BaseCommand):
    help = "Add, list, deactivate and rotate outbound webhooks; show and retry deliveries."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="register a receiver and print its secret once")
        add.add_argument("key", help="the name automation uses, e.g. erp_orders")
        add.add_argument("url", help="the http:// or https:// URL to post to")
        add.add_argument("--description", default="", help="what the receiver is")
        actions.add_parser("list", help="list the webhooks (never their secrets)")
        deactivate = actions.add_parser(
            "deactivate", help="stop posting to a receiver; its queued deliveries fail"
        )
        deactivate.add_argument("key")
        rotate = actions.add_parser("rotate", help="give a receiver a new secret, printed once")
        rotate.add_argument("key")
        deliveries = actions.add_parser("deliveries", help="the delivery log, newest first")
        deliveries.add_argument("--status", choices=DeliveryStatus.values)
        deliveries.add_argument("--webhook", help="only deliveries to this key")
        deliveries.add_argument("--limit", type=int, default=20, help="rows to show (default 20)")
        retry = actions.add_parser("retry", help="put a failed delivery back in the queue")
        retry.add_argument("id", type=int, help="the delivery id shown by `webhook deliveries`")
        deliver = actions.add_parser("deliver", help="post the due deliveries once")
        deliver.add_argument("--limit", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "add":
                webhook, secret = webhook_create(
                    key=options["key"], url=options["url"], description=options["description"]
                )
                self._secret(webhook, secret, _("Webhook %(key)s posts to %(url)s."))
            elif action == "list":
                self._list()
            elif action == "deactivate":
                webhook = webhook_deactivate(options["key"])
                self.stdout.write(_("Deactivated webhook %(key)s.") % {"key": webhook.key})
            elif action == "rotate":
                webhook, secret = webhook_rotate_secret(options["key"])
                self._secret(webhook, secret, _("New secret for webhook %(key)s (%(url)s)."))
            elif action == "deliveries":
                self._deliveries(options["status"], options["webhook"], options["limit"])
            elif action == "retry":
                delivery = webhook_delivery_retry(options["id"])
                self.stdout.write(_("Delivery %(id)d is queued again.") % {"id": delivery.pk})
            else:
                attempted = webhooks_deliver_due(limit=options["limit"])
                self.stdout.write(_("Attempted %(count)d deliveries.") % {"count": attempted})
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _secret(self, webhook: Webhook, secret: str, note: str) -> None:
        # The secret alone on stdout, so `SECRET=$(sopcrm webhook add ...)` works; the notes go
        # to stderr.
        self.stdout.write(secret)
        self.stderr.write(note % {"key": webhook.key, "url": webhook.url})
        self.stderr.write(
            _(
                "Store the secret now in the receiver, which checks the X-Sopcrm-Signature "
                "header with it: it is not shown again."
            )
        )

    def _list(self) -> None:
        webhooks = list(webhooks_all())
        for webhook in webhooks:
            state = _("active") if webhook.active else _("deactivated")
            self.stdout.write(f"{webhook.key}\t{state}\t{webhook.url}\t{webhook.description}")
        if not webhooks:
            self.stderr.write(_("No webhooks yet; add one with `sopcrm webhook add KEY URL`."))

    def _deliveries(self, status: str | None, webhook_key: str | None, limit: int) -> None:
        if limit < 1:
            raise CommandError(_("--limit must be 1 or more."))
        rows = list(deliveries_all(status=status, webhook_key=webhook_key)[:limit])
        for row in rows:
            self.stdout.write(self._delivery_line(row))
        if not rows:
            self.stderr.write(_("No deliveries."))

    def _delivery_line(self, row: WebhookDelivery) -> str:
        if row.status == DeliveryStatus.SENT and row.delivered_at is not None:
            when = _("sent %(at)s") % {"at": f"{row.delivered_at:%Y-%m-%d %H:%M:%S %Z}"}
        elif row.status == DeliveryStatus.QUEUED:
            when = _("next try %(at)s") % {"at": f"{row.next_attempt_at:%Y-%m-%d %H:%M:%S %Z}"}
        else:
            when = row.get_status_display()
        code = str(row.last_status_code) if row.last_status_code is not None else "-"
        return "\t".join(
            [
                str(row.pk),
                row.webhook.key,
                row.event,
                row.status,
                ngettext("%(count)d attempt", "%(count)d attempts", row.attempts)
                % {"count": row.attempts},
                code,
                when,
                row.last_error.replace("\n", " ")[:200],
            ]
        )
