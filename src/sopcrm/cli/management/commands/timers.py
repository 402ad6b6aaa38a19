from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sopcrm.automation.firing import timers_fire_due
from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, NotFound
from sopcrm.process.models import TimerKind
from sopcrm.process.timers import timer_retry, timers_failed, timers_pending


class Command(BaseCommand):
    help = "List pending timers, earliest first (or fire the due ones with --fire)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=TimerKind.values, help="only timers of this kind")
        parser.add_argument("--due", action="store_true", help="only timers already due")
        parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
        parser.add_argument(
            "--fire", action="store_true", help="fire the due timers now, then report how many"
        )
        parser.add_argument(
            "--failed", action="store_true", help="list the timers that failed (with the error)"
        )
        parser.add_argument(
            "--retry", type=int, metavar="ID", help="put a failed timer back to fire now"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        if options["retry"] is not None:
            try:
                timer = timer_retry(options["retry"])
            except (NotFound, Conflict) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"timer {timer.pk} will fire on the next tick")
            return
        if options["failed"]:
            for timer in timers_failed(limit=options["limit"]):
                record = f"{timer.record_type}#{timer.record_id}"
                error = timer.last_error.splitlines()[0][:120] if timer.last_error else ""
                self.stdout.write(f"{timer.pk:>8}  {timer.kind:<9} {record:<16} {error}")
            return
        if options["fire"]:
            fired = timers_fire_due(limit=options["limit"])
            self.stdout.write(f"fired {fired} timer(s)")
            return
        at = now()
        rows = timers_pending(
            kind=options["kind"],
            due_before=at if options["due"] else None,
            limit=options["limit"],
        )
        if not rows:
            self.stdout.write("no pending timers")
            return
        self.stdout.write(f"{'id':>8}  {'kind':<9} {'record':<16} {'key':<28} due")
        for timer in rows:
            record = f"{timer.record_type}#{timer.record_id}"
            self.stdout.write(
                f"{timer.pk:>8}  {timer.kind:<9} {record:<16} {timer.key[:28]:<28} "
                f"{_local(timer.due_at)}{'  (due)' if timer.due_at <= at else ''}"
            )


def _local(at: datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
