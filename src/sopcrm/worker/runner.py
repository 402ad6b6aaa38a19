"""The worker loop, run by `sopcrm worker` on its own or in a thread of `sopcrm serve`/`demo`.

Each tick fires the due timers (SLA points, overdue tasks, idle limits, dates, queued changes
for the rules; automation/firing.py), runs every ready task of the database queue
(django-tasks-db), sends the due notification digests, delivers the due messages of the outbox
and the webhook queue, then sleeps. Several workers may run against one database: the queue
claims each task with a row lock (SKIP LOCKED on PostgreSQL, an exclusive transaction on SQLite),
so no task runs twice, and the outbox claims each message likewise (crm/mail/services/delivery.py).
"""

import logging
import threading

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from sopcrm.automation.firing import timers_fire_due
from sopcrm.crm.mail.services.delivery import outbox_deliver_due
from sopcrm.crm.notifications.services import digests_send_due
from sopcrm.crm.webhooks.services import webhooks_deliver_due

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


def run_tick(worker_id: str = "sopcrm") -> None:
    """One round of every step. One bad step must not stop the worker for good, nor the other
    steps: the next tick tries again."""
    steps = (
        ("timers", timers_fire_due),
        ("tasks", lambda: run_tasks_once(worker_id)),
        ("digests", digests_send_due),
        ("outbox", outbox_deliver_due),
        ("webhooks", webhooks_deliver_due),
    )
    try:
        for name, step in steps:
            try:
                step()
            except Exception:
                logger.exception("worker tick failed: %s", name)
    finally:
        close_old_connections()


def run_worker(stop: threading.Event, *, interval: float = 1.0, worker_id: str = "sopcrm") -> None:
    logger.info("worker %s started", worker_id)
    while not stop.is_set():
        run_tick(worker_id)
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
