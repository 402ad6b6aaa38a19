"""The worker loop, run by `sopcrm worker` on its own or in a thread of `sopcrm serve`/`demo`.

Each tick runs every ready task of the database queue (django-tasks-db), then delivers the due
messages of the outbox, then sleeps. Several workers may run against one database: the queue
claims each task with a row lock (SKIP LOCKED on PostgreSQL, an exclusive transaction on SQLite),
so no task runs twice, and the outbox claims each message likewise (crm/mail/services/delivery.py).
"""

import logging
import threading

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from sopcrm.crm.mail.services.delivery import outbox_deliver_due

logger = logging.getLogger(__name__)


def run_tasks_once(worker_id: str) -> None:
    """Run every task that is ready now, then return."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def run_worker(stop: threading.Event, *, interval: float = 1.0, worker_id: str = "sopcrm") -> None:
    logger.info("worker %s started", worker_id)
    while not stop.is_set():
        # One bad step must not stop the worker for good, nor the other step: the next tick
        # tries again.
        try:
            run_tasks_once(worker_id)
        except Exception:
            logger.exception("worker tick failed: tasks")
        try:
            outbox_deliver_due()
        except Exception:
            logger.exception("worker tick failed: outbox")
        finally:
            close_old_connections()
        stop.wait(interval)
    logger.info("worker %s stopped", worker_id)


def start_worker_thread(*, interval: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(stop,),
        kwargs={"interval": interval, "worker_id": "embedded"},
        name="sopcrm-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop
