"""SQLite: the index that serves the search box's substring match (querying/matching.py), an
FTS5 table with the trigram tokenizer per record table (`<table>_search`, external content: it
holds only the index), kept by triggers on insert, update and delete, so every write path keeps
it without knowing of it. Nothing on PostgreSQL (its trigram indexes are migration 0008).

A migration that rebuilds one of these tables on SQLite (Django copies a table to alter or add
some columns) drops its triggers with the old table: it must run `create_sqlite_search` again
after it. tests/web/test_search.py checks that every table still has its triggers."""

from django.db import migrations

SEARCHED = {
    "records_account": ("name", "domain", "phone", "industry"),
    "records_contact": ("name", "email", "phone", "job_title"),
    "records_lead": ("name", "company", "email", "phone"),
    "records_deal": ("title",),
}


def create_sqlite_search(apps, schema_editor):
    """The FTS5 tables and their triggers (again, after a table was rebuilt), filled from the
    rows already there."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for table, columns in SEARCHED.items():
        fts = f"{table}_search"
        names = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        add = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
        remove = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
        for statement in (
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({names}, "
            f"content='{table}', content_rowid='id', tokenize='trigram')",
            f"DROP TRIGGER IF EXISTS {fts}_insert",
            f"DROP TRIGGER IF EXISTS {fts}_delete",
            f"DROP TRIGGER IF EXISTS {fts}_update",
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} "
            f"BEGIN {remove} {add} END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ):
            schema_editor.execute(statement)


def drop_sqlite_search(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in SEARCHED:
        for suffix in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}_search")


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0009_intake_company_key"),
    ]

    operations = [
        migrations.RunPython(create_sqlite_search, drop_sqlite_search, elidable=False),
    ]
