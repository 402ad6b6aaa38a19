"""`sopcrm backup` and `sopcrm restore`: the whole site in one file, and back (docs/backup.md).

A backup is a tar archive holding
- `manifest.json`: what it is (format, version, database engine, when, which sopcrm);
- `database.sqlite3` (SQLite: a copy made with SQLite's online backup API, so it is consistent
  while the server and the worker write, WAL included) or `database.pgdump` (PostgreSQL:
  `pg_dump --format=custom`, a consistent snapshot too);
- `secret_key`, when the site's key is the one generated into the data directory: reply
  addresses of mail already sent are signed with it, and sessions stay valid. A key given in
  SOPCRM_SECRET_KEY is the operator's to keep and is not copied.

Nothing else under the data directory needs keeping: uploaded import files live in the
database, and collected static files are rebuilt from the package.

A backup restores onto the same database engine only; restoring over a database that already
holds tables needs an explicit yes.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from sopcrm.core.clock import now

FORMAT = "sopcrm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET_KEY_FILE = "secret_key"
MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# The first bytes of each kind of database file: a file of the wrong kind is refused before
# anything is touched.
MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""

    def __init__(self, message: str, *, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Restored:
    engine: str
    created_at: str
    secret_key_restored: bool


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in MEMBERS:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": vendor}
        )
    return vendor


def _sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(_("The SQLite database is not a file: %(name)s") % {"name": name})
    return Path(name)


def _pg_env() -> dict[str, str]:
    """The libpq environment for pg_dump/pg_restore from the site's database settings: the
    password travels in PGPASSWORD, never on the command line (where `ps` shows it)."""
    db = connection.settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
    ):
        if value:
            env[variable] = str(value)
    options = db.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    return env


def _run(program: str, arguments: list[str]) -> None:
    try:
        result = subprocess.run(  # noqa: S603 (fixed program, arguments from settings)
            [program, *arguments], env=_pg_env(), capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise BackupError(
            _(
                "%(program)s is not installed or not on PATH; install the PostgreSQL client "
                "tools (e.g. the postgresql-client package) of the server's major version."
            )
            % {"program": program},
            code="missing_tool",
        ) from exc
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": program, "error": result.stderr.strip() or result.returncode}
        )


def _secret_key_file() -> Path:
    return Path(settings.DATA_DIR) / SECRET_KEY_FILE


def _secret_key_in_use() -> bytes | None:
    """The data directory's key file, if the site runs with that key."""
    key_file = _secret_key_file()
    if not key_file.is_file():
        return None
    content = key_file.read_bytes()
    return content if content.decode(errors="replace").strip() == settings.SECRET_KEY else None


def _sopcrm_version() -> str:
    try:
        return version("sopcrm")
    except PackageNotFoundError:
        return "unknown"


def default_backup_name() -> str:
    return f"sopcrm-backup-{now():%Y%m%d-%H%M%S}.tar"


def _dump_sqlite(target: Path) -> None:
    source = sqlite3.connect(_sqlite_path(), timeout=60)
    copy = sqlite3.connect(target)
    try:
        # One step (all pages at once) reads one snapshot: in WAL mode this neither waits for
        # nor blocks the writers, and includes what they committed to the WAL so far.
        source.backup(copy)
        # A self-contained file: no -wal beside it, whatever mode the site runs in.
        copy.execute("PRAGMA journal_mode=DELETE")
        checked = copy.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        copy.close()
        source.close()
    if checked != "ok":
        raise BackupError(
            _("The copy failed its integrity check: %(result)s") % {"result": checked}
        )


def backup_write(out: Path | None = None) -> Path:
    """Write a backup of the site to `out` (a file, or a folder to put it in; by default the
    current folder) and return its path. The archive appears under its name only once complete,
    so a scheduled backup that fails half-way never leaves a file that looks whole."""
    engine = _engine()
    target = Path(out) if out is not None else Path.cwd()
    if target.is_dir():
        target = target / default_backup_name()
    if not target.parent.is_dir():
        raise BackupError(_("The folder %(folder)s does not exist.") % {"folder": target.parent})
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "engine": engine,
        "created_at": now().isoformat(),
        "sopcrm": _sopcrm_version(),
        "database": MEMBERS[engine],
    }
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".sopcrm-backup-") as work:
        database = Path(work) / MEMBERS[engine]
        if engine == "sqlite":
            _dump_sqlite(database)
        else:
            _run("pg_dump", ["--format=custom", "--no-password", f"--file={database}"])
        key = _secret_key_in_use()
        manifest["secret_key"] = key is not None
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            archive.add(database, arcname=MEMBERS[engine])
            if key is not None:
                _add_bytes(archive, SECRET_KEY_FILE, key)
        # It holds password hashes and the key: readable by its owner only.
        partial.chmod(0o600)
        os.replace(partial, target)
    return target


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o600
    info.mtime = int(now().timestamp())
    archive.addfile(info, io.BytesIO(content))


def _not_a_backup(path: Path) -> BackupError:
    return BackupError(
        _("%(path)s is not a sopcrm backup (made by `sopcrm backup`).") % {"path": path},
        code="not_a_backup",
    )


def backup_manifest(archive: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise _not_a_backup(path)
    try:
        manifest: dict[str, Any] = json.loads(member.read())
    except ValueError as exc:
        raise _not_a_backup(path) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(path)
    if (
        manifest.get("version") != FORMAT_VERSION
        or manifest.get("engine") not in MEMBERS
        or not isinstance(manifest.get("secret_key"), bool)
    ):
        raise BackupError(
            _("%(path)s is a backup of a kind this version of sopcrm cannot read.")
            % {"path": path},
            code="not_a_backup",
        )
    return manifest


def _open(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise BackupError(_("No file %(path)s.") % {"path": path}, code="not_found")
    try:
        return tarfile.open(path, "r:*")  # also when the operator compressed it
    except (tarfile.TarError, OSError) as exc:
        raise _not_a_backup(path) from exc


def _member(archive: tarfile.TarFile, name: str, path: Path) -> IO[bytes]:
    try:
        member = archive.extractfile(name)
    except KeyError:
        member = None
    if member is None:
        raise _not_a_backup(path)
    return member


def _extract(archive: tarfile.TarFile, name: str, target: Path, path: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(_member(archive, name, path), out, length=1024 * 1024)


def database_has_tables() -> bool:
    with connection.cursor() as cursor:
        return bool(connection.introspection.table_names(cursor))


def backup_restore(path: Path, *, replace: bool = False) -> Restored:
    """Replace the site's database (and generated secret key) with the backup's.

    Refuses, changing nothing, when the file is not a sopcrm backup, is of another database
    engine, or the database already holds tables and `replace` is not given."""
    path = Path(path)
    engine = _engine()
    # SQLite's copy goes beside the database (room for one is likely there), not in /tmp.
    scratch = _sqlite_path().parent if engine == "sqlite" else None
    with (
        _open(path) as archive,
        tempfile.TemporaryDirectory(dir=scratch, prefix=".sopcrm-restore-") as work,
    ):
        manifest = backup_manifest(archive, path)
        if manifest["engine"] != engine:
            raise BackupError(
                _(
                    "%(path)s is a backup of a %(theirs)s database; this site runs on "
                    "%(ours)s. A backup restores onto the same kind of database only."
                )
                % {
                    "path": path,
                    "theirs": ENGINE_NAMES[manifest["engine"]],
                    "ours": ENGINE_NAMES[engine],
                },
                code="wrong_engine",
            )
        magic = MAGIC[engine]
        if _member(archive, MEMBERS[engine], path).read(len(magic)) != magic:
            raise _not_a_backup(path)
        key = _member(archive, SECRET_KEY_FILE, path).read() if manifest["secret_key"] else None
        if not replace and database_has_tables():
            raise BackupError(
                _(
                    "The database already holds tables; restoring replaces everything in it. "
                    "Run again with --yes to go ahead."
                ),
                code="not_empty",
            )
        database = Path(work) / MEMBERS[engine]
        _extract(archive, MEMBERS[engine], database, path)
        connection.close()
        if engine == "sqlite":
            _restore_sqlite(database)
        else:
            _run(
                "pg_restore",
                [
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-password",
                    f"--dbname={connection.settings_dict['NAME']}",
                    str(database),
                ],
            )
        connection.close()
        if key is not None:
            _write_secret_key(key)
    return Restored(
        engine=engine,
        created_at=str(manifest.get("created_at", "")),
        secret_key_restored=key is not None,
    )


def _restore_sqlite(database: Path) -> None:
    source = sqlite3.connect(database)
    target = sqlite3.connect(_sqlite_path(), timeout=60)
    try:
        # The backup API writes the whole database in one transaction of the target: another
        # connection sees the old database or the new one, never a mixture.
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _write_secret_key(key: bytes) -> None:
    key_file = _secret_key_file()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    partial = key_file.with_name(f".{SECRET_KEY_FILE}.partial")
    partial.write_bytes(key)
    partial.chmod(0o600)
    os.replace(partial, key_file)
