"""Throughput under concurrent load: a real `sopcrm serve --no-worker` (waitress) on 127.0.0.1,
on the page suite's kept database (100,000 deals; bench/pages.py), driven by locust
(bench/locustfile.py) at rising numbers of simultaneous signed-in users.

Each level runs `duration` seconds with that many users, each a rep or a manager of the
generated data (the busiest reps; the second user and every fifth after it a manager of their
teams) asking, without pause, for My day, the deal board, the deal list, one of their deals or
a search. Per level: requests per second, p50/p95/p99 per page, errors (anything but a 200),
and the server's CPU time per request. The server's peak resident memory (VmHWM of
/proc/<pid>/status) is read after each level.

Nothing is written to the kept data but the sessions the simulated users sign in with (rows of
the session table, deleted at the end): every page requested is a read."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import machine_description

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PAGES = ("My day", "Deal board", "Deals", "A deal", "Search")
DEALS_PER_SESSION = 50
MANAGER_EVERY = 5  # one session in five is a manager's


# -- processes ------------------------------------------------------------------------------


def database_url() -> str:
    """The URL of the database Django is configured for, for a subprocess to use the same."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = quote(settings.get("USER") or "")
    password = quote(settings.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


def sopcrm_env(data_dir: str) -> dict[str, str]:
    """The environment of a `sopcrm` subprocess on the same database and secret key as this
    process (sessions made here are valid there), with the product's settings."""
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sopcrm.config.settings",
        "DATABASE_URL": database_url(),
        "SOPCRM_SECRET_KEY": settings.SECRET_KEY,
        "SOPCRM_DATA_DIR": data_dir,
        "SOPCRM_ALLOWED_HOSTS": "127.0.0.1",
        "SOPCRM_LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """Resident memory now (VmRSS) and at its peak so far (VmHWM) of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def sopcrm_process(
    args: Sequence[str], *, log: Path, data_dir: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`sopcrm <args>` in a process of its own (the Python interpreter itself, so its pid is
    the one to read memory from); stopped with SIGTERM at the end."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sopcrm.cli.main", *args],
            env=sopcrm_env(data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120  # migrate runs first (a no-op on a migrated database)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(f"{url}/login/", timeout=5).close()
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within 120 s")


# -- who browses ----------------------------------------------------------------------------


def _session_for(user: Any) -> str:
    """A signed-in session of `user` (what logging in makes, without writing last_login)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def plan(sessions: int) -> dict[str, Any]:
    """Sessions of the busiest reps and their managers, each with deals it may open and words
    from its accounts' names to search for."""
    from django.conf import settings
    from django.db.models import Count

    from sopcrm.core.models import Role, User
    from sopcrm.crm.records import selectors
    from sopcrm.crm.records.models import Deal

    busiest = (
        Deal.objects.filter(owner__role=Role.REP, owner__is_active=True)
        .values("owner")
        .annotate(deals=Count("pk"))
        .order_by("-deals", "owner")
        .values_list("owner", flat=True)[: max(1, sessions - sessions // MANAGER_EVERY)]
    )
    reps = list(User.objects.filter(pk__in=list(busiest)))
    teams = {rep.team_id for rep in reps}
    managers = list(
        User.objects.filter(role=Role.MANAGER, is_active=True, team__in=teams).order_by("pk")
    )[: max(1, sessions // MANAGER_EVERY)]
    # Managers at the second place and every MANAGER_EVERY-th after it, so that every level
    # from 2 users on has one (each locust run hands the sessions out from the start).
    people: list[Any] = []
    queue_reps, queue_managers = list(reps), list(managers)
    while queue_reps or queue_managers:
        manager_turn = len(people) % MANAGER_EVERY == 1 and queue_managers
        people.append((queue_managers if manager_turn or not queue_reps else queue_reps).pop(0))
    entries = []
    for person in people:
        deals = list(
            selectors.deal_list(person)
            .order_by("-stage_entered_at")
            .values_list("pk", "title")[:DEALS_PER_SESSION]
        )
        words = sorted({title.split()[0] for _pk, title in deals if title.split()})[:10]
        entries.append(
            {
                "user": person.username,
                "role": person.role,
                "cookie": _session_for(person),
                "deals": [pk for pk, _title in deals] or [0],
                "words": words or ["a"],
            }
        )
    return {"cookie_name": settings.SESSION_COOKIE_NAME, "sessions": entries}


def _forget_sessions(entries: list[dict[str, Any]]) -> None:
    from importlib import import_module

    from django.conf import settings

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    for entry in entries:
        store_class(entry["cookie"]).delete()


# -- one level of load ----------------------------------------------------------------------


def _locust(
    url: str, plan_path: Path, users: int, duration: int, out: Path
) -> tuple[list[dict[str, Any]], str]:
    """Run locust for one level; its final statistics (one entry per page, with the histogram
    of response times in milliseconds) and what it wrote to stderr."""
    stats = out / f"users{users}.json"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration}s",
        "--host",
        url,
        "--json-file",
        str(stats.with_suffix("")),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    finished = subprocess.run(
        command,
        env={**os.environ, "SOPCRM_LOAD_PLAN": str(plan_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=duration + 120,
    )
    if not stats.exists():
        raise RuntimeError(f"locust wrote no statistics: {finished.stderr[-2000:]}")
    entries: list[dict[str, Any]] = json.loads(stats.read_text(encoding="utf-8"))
    return entries, finished.stderr[-3000:]


def _percentile(histogram: dict[str, int], share: float) -> float:
    """The response time (ms) below which `share` of the requests answered; locust keeps the
    times rounded (to 10 ms above 100 ms, to 100 ms above 1 s)."""
    ordered = sorted((float(ms), count) for ms, count in histogram.items())
    total = sum(count for _ms, count in ordered)
    if not total:
        return 0.0
    seen = 0
    for ms, count in ordered:
        seen += count
        if seen >= share * total:
            return ms
    return ordered[-1][0]


def _figures(requests: int, errors: int, histogram: dict[str, int], seconds: float) -> dict:
    total_ms = sum(float(ms) * count for ms, count in histogram.items())
    return {
        "requests": requests,
        "errors": errors,
        "requests_per_s": round(requests / seconds, 1),
        "p50_ms": _percentile(histogram, 0.50),
        "p95_ms": _percentile(histogram, 0.95),
        "p99_ms": _percentile(histogram, 0.99),
        "mean_ms": round(total_ms / max(1, sum(histogram.values())), 1),
    }


def _level(
    entries: list[dict[str, Any]], users: int, duration: float, memory: dict[str, int]
) -> dict[str, Any]:
    # Rates over the span locust was sending (its start-up is not part of the run time).
    span = (
        max((e["last_request_timestamp"] or 0) for e in entries)
        - min(e["start_time"] for e in entries)
        if entries
        else duration
    )
    seconds = span if span > 0 else duration
    pages = {}
    merged: dict[str, int] = {}
    requests = errors = 0
    for entry in entries:
        histogram = {str(ms): int(n) for ms, n in entry["response_times"].items()}
        pages[entry["name"]] = _figures(
            entry["num_requests"], entry["num_failures"], histogram, seconds
        )
        requests += entry["num_requests"]
        errors += entry["num_failures"]
        for ms, n in histogram.items():
            merged[ms] = merged.get(ms, 0) + n
    return {
        "users": users,
        "seconds": round(seconds, 1),
        "total": _figures(requests, errors, merged, seconds),
        "pages": pages,
        "server_memory_kib": memory,
    }


def _warm_up(url: str, made: dict[str, Any]) -> None:
    """Each page once per session before anything is timed: a server's first requests load
    templates and fill caches, and locust's run time would count them."""
    for session in made["sessions"]:
        cookie = f"{made['cookie_name']}={session['cookie']}"
        for path in (
            "/",
            "/deals/board/",
            "/deals/",
            f"/deals/{session['deals'][0]}/",
            f"/search/?q={quote(session['words'][0])}",
        ):
            request = urllib.request.Request(f"{url}{path}", headers={"Cookie": cookie})
            urllib.request.urlopen(request, timeout=120).close()


def run(*, users: Sequence[int], duration: int, threads: int, think: float = 0.0) -> dict[str, Any]:
    """Serve the configured database (already holding data) and load it at each number of
    `users`; the result as a JSON-able dict."""
    work = Path(tempfile.mkdtemp(prefix="sopcrm-load-"))
    made = plan(max(users))
    made["think_seconds"] = think
    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(made), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "server.log"
    levels = []
    machine = machine_description()
    try:
        args = ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
        with sopcrm_process(
            [*args, "--threads", str(threads)], log=log, data_dir=str(work)
        ) as server:
            wait_until_serving(url, server, log)
            _warm_up(url, made)
            started = memory_kib(server.pid)
            for count in users:
                cpu = cpu_seconds(server.pid)
                entries, errors = _locust(url, plan_path, count, duration, work)
                level = _level(entries, count, duration, memory_kib(server.pid))
                # The server's CPU per request: steadier than its latency on a shared machine.
                level["server_cpu_ms_per_request"] = round(
                    (cpu_seconds(server.pid) - cpu) * 1000 / max(1, level["total"]["requests"]), 1
                )
                if level["total"]["errors"]:
                    level["locust_stderr"] = errors
                levels.append(level)
            if server.poll() is not None:
                raise RuntimeError(f"the server died: {log.read_text(errors='replace')[-2000:]}")
    finally:
        _forget_sessions(made["sessions"])
    machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "suite": "load",
        "parameters": {
            "users": list(users),
            "duration_s": duration,
            "threads": threads,
            "think_seconds": think,
            "sessions": [{"user": s["user"], "role": s["role"]} for s in made["sessions"]],
            "client": "locust (one process)",
        },
        "machine": machine,
        "server_memory_kib": {"started": started, "peak": levels[-1]["server_memory_kib"]},
        "levels": levels,
    }


def report(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for level in result["levels"]:
        total = level["total"]
        rows.append(
            [
                f"{level['users']} users: all pages",
                f"{total.get('requests_per_s', 0):.1f}",
                f"{total.get('p50_ms', 0):.0f}",
                f"{total.get('p95_ms', 0):.0f}",
                f"{total.get('p99_ms', 0):.0f}",
                str(total.get("errors", 0)),
                f"{level.get('server_cpu_ms_per_request', 0):.1f}",
                f"{level['server_memory_kib'].get('VmHWM', 0) / 1024:.0f}",
            ]
        )
        for name in PAGES:
            page = level["pages"].get(name)
            if page is None:
                continue
            rows.append(
                [
                    f"  {name}",
                    f"{page['requests_per_s']:.1f}",
                    f"{page['p50_ms']:.0f}",
                    f"{page['p95_ms']:.0f}",
                    f"{page['p99_ms']:.0f}",
                    str(page["errors"]),
                    "",
                    "",
                ]
            )
    return rows
