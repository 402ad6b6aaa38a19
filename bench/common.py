"""What every suite needs: a fresh database, timing statistics, a description of the machine,
and the printed table and JSON result."""

import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCH_DATABASE = "sopcrm_bench"


@dataclass(frozen=True)
class Stats:
    """Median and 95th percentile of some samples (in the unit they were taken in)."""

    median: float
    p95: float
    samples: int

    @classmethod
    def of(cls, values: Sequence[float]) -> "Stats":
        if not values:
            raise ValueError("no samples")
        ordered = sorted(values)
        if len(ordered) == 1:
            return cls(ordered[0], ordered[0], 1)
        p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18]
        return cls(statistics.median(ordered), p95, len(ordered))

    def as_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "p95": self.p95, "samples": self.samples}


def _pg_url_for(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _pg_admin(url: str, statements: Sequence[str]) -> None:
    import psycopg

    # The server's maintenance database: CREATE/DROP DATABASE cannot run in the target itself.
    with psycopg.connect(_pg_url_for(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@contextmanager
def fresh_database(*, keep: bool = False) -> Iterator[str]:
    """Configure Django for a database of its own, migrated, with the default playbook active
    (what `sopcrm serve` prepares, without demo data); yields a label of the database.

    SQLite (the default) lives in a temporary SOPCRM_DATA_DIR. With DATABASE_URL set, the
    database `sopcrm_bench` on that server is dropped and created, and dropped again at the
    end unless `keep`."""
    data_dir = tempfile.mkdtemp(prefix="sopcrm-bench-")
    os.environ["SOPCRM_DATA_DIR"] = data_dir
    os.environ.setdefault("SOPCRM_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sopcrm.config.settings"
    url = os.environ.get("DATABASE_URL")
    if url:
        drop = f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'
        _pg_admin(url, [drop, f'CREATE DATABASE "{BENCH_DATABASE}"'])
        os.environ["DATABASE_URL"] = _pg_url_for(url, BENCH_DATABASE)
    import django

    django.setup()
    from django.db import connections

    from sopcrm.cli.management.commands.serve import prepare_database

    prepare_database()
    try:
        yield f"postgresql:{BENCH_DATABASE}" if url else f"sqlite:{data_dir}"
    finally:
        connections.close_all()
        if url and not keep:
            _pg_admin(url, [f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def database_description() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sqlite_version()")
            version = cursor.fetchone()[0]
    settings = connection.settings_dict
    described: dict[str, Any] = {"vendor": connection.vendor, "version": version}
    if connection.vendor == "sqlite":
        described["options"] = settings.get("OPTIONS", {}).get("init_command", "")
    else:
        described["host"] = settings.get("HOST") or "local socket"
        with connection.cursor() as cursor:
            for name in ("shared_buffers", "synchronous_commit", "fsync", "max_connections"):
                cursor.execute(f"SHOW {name}")
                described[name] = cursor.fetchone()[0]
    return described


def machine_description() -> dict[str, Any]:
    import django

    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "ram_gib": _memory_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "database": database_description(),
    }


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}\n{line}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(line)


def write_result(suite: str, result: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    vendor = result.get("machine", {}).get("database", {}).get("vendor", "db")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{suite}-{vendor}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path
