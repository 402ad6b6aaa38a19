import os
import signal
import socket
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sopcrm.worker.runner import run_tick, run_worker


class Command(BaseCommand):
    help = (
        "Run the background worker on its own (several may run against one database): timers, "
        "queued tasks (the database queue, or Redis with SOPCRM_TASKS_BACKEND=rq), digests, "
        "outbox and webhooks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
        parser.add_argument(
            "--once", action="store_true", help="run one tick (e.g. from cron) and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Names the worker in the task results and RQ's monitoring: which host and process ran it.
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}"
        if options["once"]:
            run_tick(worker_id)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        run_worker(stop, interval=options["interval"], worker_id=worker_id)
