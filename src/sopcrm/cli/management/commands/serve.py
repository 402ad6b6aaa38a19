import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.wsgi import get_wsgi_application
from django.db import connection
from waitress import serve

from sopcrm.crm.messaging.services.seeding import templates_seed_from_playbook
from sopcrm.process.playbooks import playbook_ensure_default
from sopcrm.worker.runner import start_worker_thread

logger = logging.getLogger(__name__)


# The PostgreSQL advisory lock that processes preparing the database take turns on ("sopc").
PREPARE_LOCK_KEY = 0x736F7063


@contextmanager
def one_process_at_a_time() -> Iterator[None]:
    """Several processes may prepare one database at once: web processes started together
    behind a proxy, or `createadmin` during a deploy. Two `migrate` runs at once both try to
    create the same tables and one fails, so on PostgreSQL they take turns on a session advisory
    lock: the first migrates, the next finds nothing left to do. (The lock goes with the
    connection if the process dies.) SQLite sites run one web process (docs/deploy.md)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [PREPARE_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PREPARE_LOCK_KEY])


def prepare_database() -> None:
    """Apply migrations and make sure a playbook is active and its email templates are in the
    library, so a fresh database just works (seeding adds only what is missing)."""
    with one_process_at_a_time():
        call_command("migrate", interactive=False, verbosity=0)
        templates_seed_from_playbook(playbook_ensure_default(settings.SOPCRM_DEFAULT_PLAYBOOK))


def run_server(host: str, port: int, *, with_worker: bool, threads: int) -> None:
    if with_worker:
        start_worker_thread()
    serve(get_wsgi_application(), host=host, port=port, threads=threads, ident="sopcrm")


class Command(BaseCommand):
    help = "Run the web UI and the background worker in one process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker", action="store_true", help="serve only; run `sopcrm worker` apart"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        prepare_database()
        self.stdout.write(f"sopcrm is running at http://{options['host']}:{options['port']}/")
        run_server(
            options["host"],
            options["port"],
            with_worker=not options["no_worker"],
            threads=options["threads"],
        )
