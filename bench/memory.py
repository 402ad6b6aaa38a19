"""Peak memory of the background worker: a real `sopcrm worker` process on a fresh database,
first idle, then given a batch of work: `due` overdue-task timers to fire (each notifies the
rep and queues an email, which the worker delivers 50 a tick meanwhile) and an import of `rows`
leads queued as a task (the worker runs it: every row through the full intake path). Read from
/proc/<pid>/status: VmRSS when idle, VmHWM (the peak resident set) once every timer has fired
and the import is done (emails may still be waiting in the outbox then).

The server's peak memory under load is measured by the `load` suite (bench/load.py)."""

import csv
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import machine_description
from bench.load import memory_kib, sopcrm_process
from bench.timers import _due_tasks, _rep_with_deals

IDLE_SECONDS = 3.0
TIMEOUT_SECONDS = 900


def _import_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Company", "Email", "Phone", "Country", "Message"])
    for n in range(rows):
        writer.writerow(
            [
                f"Buyer {n}",
                f"Memory Valves {n} Ltd",
                f"buyer{n}@memory{n}.example",
                f"+49 30 {2000000 + n}",
                "DE",
                "Please quote 500 pcs DN50 ball valves.",
            ]
        )
    return out.getvalue().encode()


def _queue_import(rows: int) -> int | None:
    """Upload and start an import of `rows` leads as a manager; the job's id."""
    if rows < 1:
        return None
    from sopcrm.core.models import Role, Team
    from sopcrm.core.users import user_create
    from sopcrm.crm.imports.services import import_start, import_upload

    manager = user_create(
        username=f"memory_manager_{int(time.time() * 1000)}",
        password=None,
        role=Role.MANAGER,
        team=Team.objects.order_by("pk").first(),
    )
    job = import_upload(actor=manager, file_bytes=_import_file(rows), file_name="leads.csv")
    return import_start(job, actor=manager).pk


def _remaining(job_id: int | None) -> dict[str, int]:
    from sopcrm.core.clock import now
    from sopcrm.crm.imports.models import ImportJob, ImportStatus
    from sopcrm.process.models import Timer, TimerKind, TimerStatus

    left = {
        "due_timers": Timer.objects.filter(
            status=TimerStatus.PENDING, due_at__lte=now(), kind=TimerKind.TASK_DUE
        ).count()
    }
    if job_id is not None:
        job = ImportJob.objects.get(pk=job_id)
        left["import_running"] = int(job.status not in (ImportStatus.DONE, ImportStatus.FAILED))
    return left


def _settled(worker: Any, log: Path) -> dict[str, int]:
    """The worker's memory once it is idle: started (Django loaded, first ticks run) and its
    resident set unchanged for IDLE_SECONDS."""
    deadline = time.monotonic() + 120
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker stopped: {log.read_text(errors='replace')[-2000:]}")
        now_kib = memory_kib(worker.pid)
        if now_kib["VmRSS"] != last:
            last, since = now_kib["VmRSS"], time.monotonic()
        elif time.monotonic() - since >= IDLE_SECONDS:
            return now_kib
        time.sleep(0.25)
    raise RuntimeError("the worker's memory did not settle within 120 s")


def run(*, due: int, rows: int) -> dict[str, Any]:
    """Run the worker over the configured database (migrated, the default playbook active,
    nothing else needed); the result as a JSON-able dict."""
    from django.db import connections

    from sopcrm.crm.imports.models import ImportJob

    work = Path(tempfile.mkdtemp(prefix="sopcrm-memory-"))
    log = work / "worker.log"
    rep, deals = _rep_with_deals()
    machine = machine_description()
    with sopcrm_process(["worker", "--interval", "0.5"], log=log, data_dir=str(work)) as worker:
        idle = _settled(worker, log)
        start = time.monotonic()
        _due_tasks(rep, deals, due, open_tasks=True)
        job_id = _queue_import(rows)
        connections.close_all()  # SQLite: leave the worker the database to write
        while True:
            left = _remaining(job_id)
            connections.close_all()
            if not any(left.values()):
                break
            if time.monotonic() - start > TIMEOUT_SECONDS or worker.poll() is not None:
                raise RuntimeError(
                    f"the worker did not finish ({left}): {log.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.5)
        seconds = time.monotonic() - start
        busy = memory_kib(worker.pid)
    from sopcrm.crm.mail.models import OutboundEmail, OutboundStatus

    emails = {
        "sent": OutboundEmail.objects.filter(status=OutboundStatus.SENT).count(),
        "queued": OutboundEmail.objects.filter(status=OutboundStatus.QUEUED).count(),
    }
    imported = None
    if job_id is not None:
        job = ImportJob.objects.get(pk=job_id)
        imported = {"status": job.status, "total_rows": job.total_rows}
    machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "suite": "memory",
        "parameters": {"due": due, "rows": rows},
        "machine": machine,
        "worker_memory_kib": {"idle": idle, "after_work": busy},
        "work_seconds": round(seconds, 1),
        "import": imported,
        "emails": emails,
    }


def report(result: dict[str, Any]) -> list[list[str]]:
    memory = result["worker_memory_kib"]
    parameters = result["parameters"]
    return [
        ["worker idle: resident (MiB)", f"{memory['idle']['VmRSS'] / 1024:.0f}"],
        [
            f"worker after {parameters['due']:,} timers and a {parameters['rows']:,}-row import: "
            "peak (MiB)",
            f"{memory['after_work']['VmHWM'] / 1024:.0f}",
        ],
        ["  resident at the end (MiB)", f"{memory['after_work']['VmRSS'] / 1024:.0f}"],
        ["  seconds to do the work", f"{result['work_seconds']:.1f}"],
    ]
