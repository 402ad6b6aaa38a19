"""A sopcrm site of real processes for the deployment tests: its own PostgreSQL database,
`sopcrm serve --no-worker` web processes and `sopcrm worker` processes, each on a frozen clock.

The product reads the time only through the clock (core/clock.py), which follows
`timezone.now()`; each process here is started through a launcher that stops time at a given
moment with time-machine before Django loads (test-only: the product has no clock override).
All processes of a phase share one moment, so what they write does not depend on how long the
machine takes, and the timers come due when the workers are restarted at a later moment."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parents[2]

# Runs `sopcrm <args>` with the clock stopped at argv[1] (an ISO moment).
LAUNCHER = """
import sys
from datetime import datetime
import time_machine
time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=False).start()
from sopcrm.cli.main import main
main(["sopcrm", *sys.argv[2:]])
"""

# Runs a function of tests/deploy/site_state.py (argv[2]) with the clock stopped at argv[1] and
# prints what it returns.
SCRIPT = """
import os, sys
from datetime import datetime
import time_machine
time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=False).start()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopcrm.config.settings")
import django
django.setup()
from tests.deploy import site_state
print(getattr(site_state, sys.argv[2])(*sys.argv[3:]))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_url(database: str) -> str:
    """DATABASE_URL with another database name."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + database))


def database_recreate(database: str) -> None:
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def database_drop(database: str) -> None:
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class Site:
    """The processes of one site; `stop()` ends them all (SIGTERM, then SIGKILL)."""

    def __init__(self, database: str, data_dir: Path, **env: str) -> None:
        self.database = database
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DJANGO_SETTINGS_MODULE", "SOPCRM_TASKS_BACKEND", "SOPCRM_REDIS_URL"}
        }
        self.env.update(
            DATABASE_URL=server_url(database),
            SOPCRM_DATA_DIR=str(data_dir),
            SOPCRM_SECRET_KEY="deploy-test-" + "x" * 50,
            SOPCRM_LANGUAGE="en",
            PYTHONPATH=str(REPO),
            **env,
        )
        self.webs: list[tuple[subprocess.Popen[str], str]] = []
        self.workers: list[subprocess.Popen[str]] = []
        self.logs = data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def _start(self, moment: datetime, name: str, *args: str) -> subprocess.Popen[str]:
        log = (self.logs / f"{name}.log").open("a")
        return subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, moment.isoformat(), *args],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def start_webs(self, count: int, moment: datetime) -> list[str]:
        """Start `count` web processes at once (each prepares the database as it starts) and
        wait until each answers."""
        started = []
        for n in range(count):
            port = free_port()
            process = self._start(
                moment, f"web{n}", "serve", "--no-worker", "--threads", "4", "--port", str(port)
            )
            started.append((process, f"http://127.0.0.1:{port}"))
        self.webs.extend(started)
        for process, url in started:
            self._wait_answers(process, url)
        return [url for _, url in started]

    def _wait_answers(self, process: subprocess.Popen[str], url: str) -> None:
        # Generous: on a busy machine, migrating a fresh database takes minutes.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"{url} exited:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(url + "/login/", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"{url} did not start in time:\n{self.log_text()}")

    def start_workers(self, count: int, moment: datetime) -> None:
        for n in range(count):
            self.workers.append(self._start(moment, f"worker{n}", "worker", "--interval", "0.2"))

    def stop_workers(self) -> None:
        self._end(self.workers)
        self.workers = []

    def stop(self) -> None:
        self.stop_workers()
        self._end([process for process, _ in self.webs])
        self.webs = []

    @staticmethod
    def _end(processes: list[subprocess.Popen[str]]) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def spawn(self, moment: datetime, function: str, *args: str) -> subprocess.Popen[str]:
        """Start a process calling a function of site_state.py on this site's database."""
        return subprocess.Popen(
            [sys.executable, "-c", SCRIPT, moment.isoformat(), function, *args],
            env=self.env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, moment: datetime, function: str, *args: str) -> str:
        """Call a function of site_state.py in a process of its own; what it returned."""
        process = self.spawn(moment, function, *args)
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        return out.strip().splitlines()[-1]

    def wait_until(self, done: Callable[[], bool], what: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            time.sleep(0.5)
        raise AssertionError(f"{what}: not done in {timeout} s\n{self.log_text()}")

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        with psycopg.connect(server_url(self.database), autocommit=True) as conn:
            row = conn.execute(query, params).fetchone()
            return row[0] if row else None

    def log_text(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-4000:]}" for path in sorted(self.logs.iterdir())
        )
