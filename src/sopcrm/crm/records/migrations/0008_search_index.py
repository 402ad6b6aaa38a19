"""PostgreSQL: indexes that serve the search box's substring match (querying/matching.py), a
pg_trgm GIN index on the upper-cased text of each column a search reads, the expression Django's
`icontains` compares (`UPPER("column"::text) LIKE UPPER('%word%')`). Activities are left out:
their list is searched rarely and their table is the largest one written.

Nothing on SQLite (its search index is migration 0010). See docs/performance.md, "Pages"."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCHED = {
    "records_account": ("name", "domain", "phone", "industry"),
    "records_contact": ("name", "email", "phone", "job_title"),
    "records_lead": ("name", "company", "email", "phone"),
    "records_deal": ("title",),
}


def create_postgresql_search(schema_editor):
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        create_postgresql_search(schema_editor)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0007_sla_started_index"),
    ]

    operations = [
        TrigramExtension(),  # does nothing on SQLite
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
