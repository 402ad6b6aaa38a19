"""`sopcrm backup` and `sopcrm restore` (docs/backup.md): a round trip brings every row back
exactly, a backup taken while others write is consistent, and a restore that would do harm is
refused before anything changes. On whichever database the suite runs on: SQLite (online backup
API) or PostgreSQL (pg_dump / pg_restore)."""

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sopcrm.core.models import Event, Team, User
from sopcrm.crm.records.models import Activity, Deal
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.process.models import Timer

pytestmark = pytest.mark.django_db(transaction=True)

KEPT = (Deal, Event, Activity, Timer, Team, User)


def snapshot():
    """Every row of the tables a CRM lives on, in a comparable form."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in KEPT}


def backup(tmp_path, name="site.tar"):
    out = tmp_path / name
    call_command("backup", "--out", str(out), stdout=io.StringIO())
    return out


def restore(path, *args):
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue()


def three_deals(people):
    return [deal_create(actor=people.alice, data={"title": f"Order {n}"}) for n in range(3)]


def pg_session():
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )


def raw_session():
    """A second database session, outside Django, on the same database."""
    if connection.vendor == "postgresql":
        return pg_session()
    session = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    session.isolation_level = None  # transactions as written below
    return session


def test_restore_brings_back_changed_deleted_and_removes_added_records(tmp_path, people):
    deals = three_deals(people)
    before = snapshot()
    path = backup(tmp_path)
    deal_update(deals[0], actor=people.alice, data={"title": "Renamed"})
    Event.objects.filter(record_id=deals[1].pk).delete()
    Deal.objects.filter(pk=deals[1].pk).delete()
    deal_create(actor=people.bob, data={"title": "Added after the backup"})
    assert snapshot() != before

    restore(path, "--yes")

    assert snapshot() == before
    # The site works on the restored data: new rows take fresh ids (sequences restored too).
    added = deal_create(actor=people.alice, data={"title": "After the restore"})
    assert added.pk > max(d.pk for d in deals)


def test_a_backup_leaves_out_what_another_session_has_not_committed(tmp_path, people):
    """Taken while another session holds an open write transaction: the backup neither waits
    for it nor includes its change."""
    team_table = connection.ops.quote_name(Team._meta.db_table)
    session = raw_session()
    try:
        if connection.vendor == "sqlite":
            session.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
        session.execute(f"UPDATE {team_table} SET name = 'Uncommitted' WHERE id = {people.east.pk}")
        path = backup(tmp_path)
    finally:
        session.rollback() if connection.vendor == "postgresql" else session.execute("ROLLBACK")
        session.close()
    Team.objects.filter(pk=people.east.pk).update(name="Changed later")

    restore(path, "--yes")

    assert Team.objects.get(pk=people.east.pk).name == "East"


def test_a_backup_taken_while_deals_are_created_is_consistent(tmp_path, people):
    """Another thread creates deals throughout: the backup holds each deal it holds with its
    `created` event (whole transactions only), and everything committed before it started."""
    first = three_deals(people)
    stop = threading.Event()
    created: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            n = 0
            while not stop.is_set():
                created.append(deal_create(actor=people.bob, data={"title": f"Busy {n}"}).pk)
                n += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(created) < 5 and writer.is_alive():
            threading.Event().wait(0.01)
        path = backup(tmp_path)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert errors == []
    written = len(created)

    restore(path, "--yes")

    deals = set(Deal.objects.values_list("pk", flat=True))
    assert {d.pk for d in first} <= deals
    assert 3 + 5 <= len(deals) <= 3 + written
    with_event = set(
        Event.objects.filter(kind="created", record_type="deal").values_list("record_id", flat=True)
    )
    assert deals == with_event


def test_restore_without_yes_over_a_database_with_tables_is_refused_and_changes_nothing(
    tmp_path, people
):
    deals = three_deals(people)
    path = backup(tmp_path)
    deal_update(deals[0], actor=people.alice, data={"title": "Kept"})
    with pytest.raises(CommandError, match="--yes"):
        restore(path)
    assert Deal.objects.get(pk=deals[0].pk).title == "Kept"


def write_tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"name,email\nA,a@example.com\n", id="a-csv-file"),
        pytest.param({"readme.txt": b"hello"}, id="a-tar-without-manifest"),
        pytest.param({"manifest.json": b"{not json"}, id="a-broken-manifest"),
        pytest.param(
            {"manifest.json": json.dumps({"format": "other"}).encode()}, id="another-format"
        ),
    ],
)
def test_restore_of_a_file_that_is_not_a_backup_is_refused(tmp_path, people, content):
    path = tmp_path / "file.tar"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        write_tar(path, content)
    before = snapshot()
    with pytest.raises(CommandError, match="not a sopcrm backup"):
        restore(path, "--yes")
    assert snapshot() == before


def test_restore_of_a_database_file_of_the_wrong_kind_is_refused(tmp_path, people):
    """The manifest says this engine, but the database inside is not of its kind."""
    engine = connection.vendor
    member = "database.sqlite3" if engine == "sqlite" else "database.pgdump"
    manifest = {"format": "sopcrm-backup", "version": 1, "engine": engine, "secret_key": False}
    path = write_tar(
        tmp_path / "forged.tar",
        {"manifest.json": json.dumps(manifest).encode(), member: b"just some bytes"},
    )
    with pytest.raises(CommandError, match="not a sopcrm backup"):
        restore(path, "--yes")


def test_restore_of_a_backup_of_the_other_database_engine_is_refused(tmp_path, people):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    member = "database.pgdump" if other == "postgresql" else "database.sqlite3"
    manifest = {"format": "sopcrm-backup", "version": 1, "engine": other, "secret_key": False}
    path = write_tar(
        tmp_path / "other.tar",
        {"manifest.json": json.dumps(manifest).encode(), member: b"PGDMP..."},
    )
    with pytest.raises(CommandError, match="same kind of database"):
        restore(path, "--yes")


def test_restore_of_a_missing_file_is_refused(tmp_path, people):
    with pytest.raises(CommandError, match=r"nowhere\.tar"):
        restore(tmp_path / "nowhere.tar", "--yes")


def test_backup_into_a_folder_names_the_file_by_the_time(tmp_path, people):
    out = io.StringIO()
    call_command("backup", "--out", str(tmp_path), stdout=out)
    (written,) = tmp_path.glob("sopcrm-backup-*.tar")
    assert str(written) in out.getvalue()
    assert written.stat().st_mode & 0o077 == 0  # password hashes inside: the owner's only
    assert not list(tmp_path.glob(".sopcrm-backup-*"))  # no scratch left behind


def test_the_generated_secret_key_is_backed_up_and_restored(tmp_path, people, settings):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("generated-key-" + "k" * 40)
    settings.DATA_DIR, settings.SECRET_KEY = data, "generated-key-" + "k" * 40
    path = backup(tmp_path)
    (data / "secret_key").write_text("a new machine's key")

    output = restore(path, "--yes")

    assert (data / "secret_key").read_text() == "generated-key-" + "k" * 40
    assert "secret key" in output


def test_a_secret_key_from_the_environment_is_not_put_in_the_backup(tmp_path, people, settings):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("an old generated key")
    settings.DATA_DIR, settings.SECRET_KEY = data, "from-the-environment-" + "e" * 40
    path = backup(tmp_path)
    with tarfile.open(path) as archive:
        assert "secret_key" not in archive.getnames()
        assert json.load(archive.extractfile("manifest.json"))["secret_key"] is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's")
def test_backup_without_pg_dump_says_to_install_the_client_tools(tmp_path, people, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match=r"pg_dump is not installed.*postgresql-client"):
        backup(tmp_path)
    assert not list(tmp_path.glob("*.tar"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_restore is PostgreSQL's")
def test_restore_without_pg_restore_says_to_install_the_client_tools(tmp_path, people, monkeypatch):
    path = backup(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_restore is not installed"):
        restore(path, "--yes")


def _sopcrm(args, *, env):
    return subprocess.run(
        [sys.executable, "-m", "sopcrm.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.slow
def test_restore_onto_a_new_machine_fills_an_empty_database(tmp_path, people):
    """`sopcrm restore FILE` against an empty database (a new machine's) needs no --yes and
    brings the site back: the same deals, users and key."""
    deals = three_deals(people)
    data = tmp_path / "new-machine"
    env = {k: v for k, v in os.environ.items() if k not in {"SOPCRM_SECRET_KEY"}}
    env |= {"DJANGO_SETTINGS_MODULE": "sopcrm.config.settings", "SOPCRM_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    path = backup(tmp_path)
    if connection.vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_new"
        admin = pg_session()
        admin.autocommit = True
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
    try:
        result = _sopcrm(["restore", str(path)], env=env)
        assert result.returncode == 0, result.stderr
        query = f"SELECT title FROM {Deal._meta.db_table} ORDER BY id"
        if connection.vendor == "postgresql":
            with psycopg.connect(env["DATABASE_URL"]) as new:
                titles = [row[0] for row in new.execute(query)]
        else:
            with sqlite3.connect(data / "sopcrm.sqlite3") as new:
                titles = [row[0] for row in new.execute(query)]
        assert titles == [d.title for d in deals]
    finally:
        if connection.vendor == "postgresql":
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
