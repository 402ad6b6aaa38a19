"""The worker loop, run by `sopcrm worker` on its own or in a thread of `sopcrm serve`/`demo`.

Each tick fires the due timers (SLA points, overdue tasks, idle limits, dates, queued changes
for the rules; automation/firing.py), runs every ready task of the task queue, sends the due
notification digests, delivers the due messages of the outbox and the webhook queue, then sleeps.
It also takes over a lead import whose worker died mid-run (crm/imports/running.py).
Several workers may run against one database: the queue claims each task with a row lock (SKIP
LOCKED on PostgreSQL, an exclusive transaction on SQLite), so no task runs twice, and the outbox
claims each message likewise (crm/mail/services/delivery.py).

The task queue is the database's (django-tasks-db) unless SOPCRM_TASKS_BACKEND=rq puts it in
Redis (django-tasks-rq; worker/redis_queue.py), where each job is popped by one worker only.
Timers, digests, outbox and webhooks are read from the database with either.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from sopcrm.automation.firing import timers_fire_due
from sopcrm.crm.imports.running import import_take_over
from sopcrm.crm.mail.services.delivery import outbox_deliver_due
from sopcrm.crm.notifications.services import digests_send_due
from sopcrm.crm.webhooks.services import webhooks_deliver_due

logger = logging.getLogger(__name__)


def run_tasks_once(worker_id: str) -> None:
    """Run every task that is ready now, then return."""
    if settings.SOPCRM_TASKS_BACKEND == "rq":
        # Imported here: django-rq reads its settings on import, which only the rq setup has.
        from sopcrm.worker.redis_queue import rq_tasks_run_ready

        rq_tasks_run_ready(worker_id)
        return
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
        # A lead import whose worker died (the queue never hands its task out again).
        ("imports", import_take_over),
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
