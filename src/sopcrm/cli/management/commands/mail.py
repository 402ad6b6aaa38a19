"""`sopcrm mail fetch|deliver|send-test`: inbound mail over IMAP, the outbox, and a test message
that checks the mail settings (see docs/mail.md)."""

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils.translation import gettext as _

from sopcrm.core.errors import DomainError
from sopcrm.crm.mail.services.delivery import mailer_name, outbox_deliver_due
from sopcrm.crm.mail.services.imap import FetchResult, ImapConfig, imap_fetch


class Command(BaseCommand):
    help = "Fetch mail over IMAP, deliver the outbox, or send a test message."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        fetch = actions.add_parser(
            "fetch", help="store unseen IMAP messages (SOPCRM_IMAP_*), then poll again"
        )
        fetch.add_argument("--once", action="store_true", help="fetch once and exit")
        fetch.add_argument(
            "--interval", type=float, default=60.0, help="seconds between polls (default 60)"
        )
        deliver = actions.add_parser("deliver", help="send the due outbox messages once")
        deliver.add_argument("--limit", type=int, default=500)
        test = actions.add_parser("send-test", help="send a test message now, past the outbox")
        test.add_argument("--to", required=True, help="recipient address")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "fetch":
                self._fetch(once=options["once"], interval=options["interval"])
            elif options["action"] == "deliver":
                sent = outbox_deliver_due(limit=options["limit"])
                self.stdout.write(_("Sent %(count)d messages.") % {"count": sent})
            else:
                self._send_test(options["to"])
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _fetch(self, *, once: bool, interval: float) -> None:
        config = ImapConfig.from_settings()
        if once:
            self._report(self._fetch_once(config, fail=True), strict=True)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while not stop.is_set():
            result = self._fetch_once(config, fail=False)
            if result is not None and (result.stored or result.failed):
                self._report(result, strict=False)
            close_old_connections()
            stop.wait(interval)

    def _fetch_once(self, config: ImapConfig, *, fail: bool) -> FetchResult | None:
        try:
            return imap_fetch(config)
        except Exception as exc:  # the server is down or refuses the login: say so
            message = _("IMAP fetch from %(host)s failed: %(error)s") % {
                "host": config.host,
                "error": exc,
            }
            if fail:
                raise CommandError(message) from exc
            self.stderr.write(message)
            return None

    def _report(self, result: FetchResult | None, *, strict: bool) -> None:
        if result is None:
            return
        self.stdout.write(
            _("Stored %(stored)d new messages (%(duplicates)d already stored, %(failed)d failed).")
            % {"stored": result.stored, "duplicates": result.duplicates, "failed": result.failed}
        )
        if result.failed and strict:
            raise CommandError(_("Some messages could not be stored; see the log."))

    def _send_test(self, to: str) -> None:
        message = EmailMultiAlternatives(
            subject=_("sopcrm test message"),
            body=_("If you read this, sopcrm can send mail."),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
        )
        try:
            message.send(using=mailer_name())
        except Exception as exc:  # show the backend's own error: it names the problem
            raise CommandError(_("Sending failed: %(error)s") % {"error": exc}) from exc
        self.stdout.write(_("Sent a test message to %(to)s.") % {"to": to})
