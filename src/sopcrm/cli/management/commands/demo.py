from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sopcrm.cli.demo_data import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data

from .serve import prepare_database, run_server


class Command(BaseCommand):
    help = "Load the demo team and records (once), then run the web UI with the worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="load the demo data and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        prepare_database()
        created = load_demo_data()
        self.stdout.write("Demo data loaded." if created else "Demo data already present.")
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(f"\nsopcrm demo: {url}\nLogins (password '{DEMO_PASSWORD}' for all):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<8} {login.role:<8} {login.name}")
        if options["no_serve"]:
            return
        self.stdout.write("\nPress Ctrl+C to stop.")
        run_server(options["host"], options["port"], with_worker=True, threads=8)
