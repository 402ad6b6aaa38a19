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
def fresh_database(*, keep: bool = False, name: str = BENCH_DATABASE) -> Iterator[str]:
    """Configure Django for a database of its own, migrated, with the default playbook active
    (what `sopcrm serve` prepares, without demo data); yields a label of the database.

    SQLite (the default) lives in a temporary SOPCRM_DATA_DIR. With DATABASE_URL set, the
    database `sopcrm_bench` on that server is dropped and created, and dropped again at the
    end unless `keep`. Suites that may run beside another on one server pass a `name` of their
    own."""
    data_dir = tempfile.mkdtemp(prefix="sopcrm-bench-")
    os.environ["SOPCRM_DATA_DIR"] = data_dir
    os.environ.setdefault("SOPCRM_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sopcrm.config.settings"
    url = os.environ.get("DATABASE_URL")
    if url:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        _pg_admin(url, [drop, f'CREATE DATABASE "{name}"'])
        os.environ["DATABASE_URL"] = _pg_url_for(url, name)
    import django

    django.setup()
    from django.db import connections

    from sopcrm.cli.management.commands.serve import prepare_database

    prepare_database()
    try:
        yield f"postgresql:{name}" if url else f"sqlite:{data_dir}"
    finally:
        connections.close_all()
        if url and not keep:
            _pg_admin(url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


@dataclass(frozen=True)
class KeptDatabase:
    """A suite's database that is kept between runs because generating its data takes minutes
    (pages, reports): the database `name` on the server DATABASE_URL points at (created when
    missing), else SQLite in `data_dir`, which also holds a marker file per database saying
    what was generated into it."""

    name: str
    data_dir: Path

    @contextmanager
    def opened(self, *, allowed_hosts: str = "") -> Iterator[str]:
        """Configure Django for it, migrated and with the default playbook active, as `sopcrm
        serve` prepares a database; yields a description of where it is."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["SOPCRM_DATA_DIR"] = str(self.data_dir)
        os.environ.setdefault("SOPCRM_SECRET_KEY", secrets.token_urlsafe(50))
        if allowed_hosts:
            os.environ["SOPCRM_ALLOWED_HOSTS"] = allowed_hosts
        os.environ["DJANGO_SETTINGS_MODULE"] = "sopcrm.config.settings"
        url = os.environ.get("DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(_pg_url_for(url, "postgres")) as conn:
                found = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [self.name]
                ).fetchone()
            if found is None:
                _pg_admin(url, [f'CREATE DATABASE "{self.name}"'])
            os.environ["DATABASE_URL"] = _pg_url_for(url, self.name)
            os.environ["SOPCRM_BENCH_SERVER_URL"] = url
        import django

        django.setup()
        from django.db import connections

        from sopcrm.cli.management.commands.serve import prepare_database

        prepare_database()
        try:
            yield f"postgresql:{self.name}" if url else f"sqlite:{self.sqlite_file}"
        finally:
            connections.close_all()

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "sopcrm.sqlite3"

    def marker(self) -> Path:
        """The file that says what the open database holds (one per database engine)."""
        from django.db import connection

        return self.data_dir / f"generated-{connection.vendor}.json"

    def empty(self) -> None:
        """Start the open database again from nothing (migrated, playbook active)."""
        from django.db import connection, connections

        from sopcrm.cli.management.commands.serve import prepare_database

        vendor = connection.vendor
        connections.close_all()
        if vendor == "postgresql":
            server = os.environ["SOPCRM_BENCH_SERVER_URL"]
            drop = f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'
            _pg_admin(server, [drop, f'CREATE DATABASE "{self.name}"'])
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_file}{suffix}").unlink(missing_ok=True)
        prepare_database()


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


def write_latest(suite: str, result: dict[str, Any]) -> Path:
    """bench/results/<suite>-<database>.json (the latest full run of a suite per database); a
    run of some cases only (`parameters.only`) goes to <suite>-<database>-<cases>.json."""
    RESULTS_DIR.mkdir(exist_ok=True)
    vendor = result["machine"]["database"]["vendor"]
    only = "".join(f"-{key}" for key in result["parameters"]["only"])
    path = RESULTS_DIR / f"{suite}-{vendor}{only}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_result(suite: str, result: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    vendor = result.get("machine", {}).get("database", {}).get("vendor", "db")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{suite}-{vendor}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path
