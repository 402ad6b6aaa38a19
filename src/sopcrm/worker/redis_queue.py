"""The tasks step of a worker tick when the tasks are queued in Redis (SOPCRM_TASKS_BACKEND=rq,
django-tasks-rq).

Each tick runs RQ's own worker in burst mode: it takes every ready job of the queue (each job is
popped by one worker only, so several `sopcrm worker` processes share the queue), moves the due
deferred ones (`run_after`) into it, and returns when the queue is empty. The job class is
django-tasks-rq's, which runs the `django.tasks` task the job names.
"""

from typing import Any
from uuid import uuid4

import django_rq
from django_tasks_rq import Job
from rq.timeouts import TimerDeathPenalty
from rq.worker import SimpleWorker

QUEUE_NAME = "default"


class TickWorker(SimpleWorker):
    """RQ's in-process worker, made to run inside our loop.

    Stopping is our loop's business (`sopcrm worker` handles SIGTERM/SIGINT; `sopcrm serve`
    runs the loop in a thread, where signal handlers cannot be installed at all), so it installs
    none. A job's time limit is enforced with a timer thread instead of SIGALRM for the same
    reason."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def rq_tasks_run_ready(worker_id: str) -> bool:
    """Run every job that is ready now, then return whether any ran."""
    queue = django_rq.get_queue(QUEUE_NAME, job_class=Job)
    # The name shows in RQ's monitoring (`rq info`); the random suffix keeps it unique, as RQ
    # refuses a second live worker of one name.
    worker: Any = TickWorker(
        [queue],
        connection=queue.connection,
        job_class=Job,
        name=f"sopcrm-{worker_id}-{uuid4().hex[:8]}",
    )
    return bool(worker.work(burst=True, with_scheduler=True, logging_level="WARNING"))
