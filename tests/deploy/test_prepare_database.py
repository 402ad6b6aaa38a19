"""Web processes started together on a fresh PostgreSQL database all prepare it as they start
(migrations, the default playbook, email templates): they take turns on an advisory lock, so
none fails and the work is done once."""

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from .site import Site, database_drop, database_recreate

MONDAY = datetime(2025, 11, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the advisory lock is PostgreSQL's; SQLite sites run one web process",
    ),
]


@pytest.fixture
def fresh_site(tmp_path):
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[1].split("?")[0]
    database = f"{base}_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_prepare"
    database_recreate(database)
    yield Site(database, tmp_path)
    database_drop(database)


def test_three_processes_preparing_a_fresh_database_at_once_all_succeed(fresh_site):
    processes = [fresh_site.spawn(MONDAY, "prepare") for _ in range(3)]
    errors = [p.communicate(timeout=300)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [e[-3000:] for e in errors]
    assert fresh_site.sql("SELECT count(*) FROM process_playbookversion WHERE is_active") == 1
    assert not fresh_site.sql(
        "SELECT count(*) FROM (SELECT app, name FROM django_migrations GROUP BY app, name "
        "HAVING count(*) > 1) AS twice"
    )
