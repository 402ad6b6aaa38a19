"""A realistic sales database at a chosen scale, for the benchmarks: `generate(deals=100_000,
seed=7)` on the configured database (migrated, the export-trade playbook active).

What it writes (bench/stories.py tells each record's story, bench/world.py the row shapes):
- teams (5) with a manager each, reps (50) with uneven loads, an admin;
- direct customers' accounts (one per 10 deals) with one or two contacts each;
- deals spread over the export pipeline's stages, 40 % converted from a lead (with the account
  and contact the conversion made), each with the values its transitions required, owner,
  amount, currency, expected close, last contact, and the checklist's priority and grade;
- leads: those converted, and one open or disqualified lead per 5 deals, with their response
  clocks (running for new leads, met, missed or ended for the others);
- tasks: what each stage created (first contact, the quote tasks and the chase, the won tasks,
  the re-touch of lost deals) done, open, overdue or cancelled as their timing says, and a
  task added by hand in the current stage; contacts and notes logged;
- events (created, assigned, stage left and entered, step changed, activities created,
  completed and cancelled, SLA started, met and ended, converted) in the shapes the services
  write; pending timers for what is still to come (task due, SLA points, idle limits, the quote
  expiring), and the lost deals' list memberships.

Stage changes carry the stay in calendar and in business days (`days_in_stage`,
`business_days`); 2 % of the quoted deals were moved by their manager from New straight to
Quoted, outside the transitions, and carry the exception's reason (S-16).

`profile="lean"` (bench/world.py, PROFILES) writes every fact the reports read with about 60 %
of the rows: no events of the activities themselves, no account or contact snapshots, a
repeating task once, no pending timers; the reports benchmark's million deals use it.

Not written: field-change events of the transitions (the created snapshot and the stage events
carry the story), firings of timers whose time has passed (no overdue events, notifications or
emails), approvals, and the rules' own events. Rows go in by batches of 1,000 deals' worth, one
transaction each, through a prepared INSERT per table (bench/bulk.py: Django's bulk_create
spent most of its time building the SQL); on PostgreSQL, outside a transaction, a thread of
its own inserts a batch while the next one is told. Records take ids in order after the
highest there is, so the same seed on an empty database gives the same rows (times count back
from `at`, now by default)."""

import queue
import random
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from time import perf_counter
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, Max

from .bulk import Table

if TYPE_CHECKING:  # the rows' module reads the models: imported once Django is set up
    from .rows import Rows

DEFAULT_DEALS = 100_000
DEFAULT_SEED = 7
DEALS_PER_BATCH = 1000
DEALS_PER_CUSTOMER = 10
DEALS_PER_OPEN_LEAD = 5


def generate(
    *,
    deals: int = DEFAULT_DEALS,
    seed: int = DEFAULT_SEED,
    reps: int = 50,
    teams: int = 5,
    at: datetime | None = None,
    prefix: str = "bench",
    profile: str = "full",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Generate `deals` deals and everything around them; the summary: rows written per table,
    seconds, and the usernames of the busiest rep and of their manager (`personas`). `profile`
    (bench/world.py, PROFILES): `full` writes every event of every story, `lean` about 60 % of
    the rows with every fact the reports read (the reports benchmark's million deals)."""
    from sopcrm.core.clock import now
    from sopcrm.core.users import system_user
    from sopcrm.crm.records.models import Account, Activity, Contact, Deal, Lead
    from sopcrm.process.engine import calendar_for
    from sopcrm.process.playbooks import active_version, playbook_for_version

    from .deal_stories import deal_story
    from .stories import customer, lead_story
    from .world import PROFILES, World

    if deals < 1 or reps < 1 or not 1 <= teams <= reps:
        raise ValueError("need at least one deal, one rep, and between 1 and `reps` teams")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    start = perf_counter()
    rng = random.Random(seed)
    version = active_version()
    playbook = playbook_for_version(version.pk)
    if playbook.key != "export_trade":
        raise ValueError(f"the stories follow the export_trade playbook, not {playbook.key}")
    people = _people(prefix, reps, teams)
    models: list[type] = [Account, Contact, Lead, Deal, Activity]
    world = World(
        rng=rng,
        at=at or now(),
        version_id=version.pk,
        lead_obj=playbook.object("lead"),
        deal_obj=playbook.object("deal"),
        calendar=calendar_for(playbook.calendar),
        reps=people["reps"],
        rep_weights=[rng.uniform(0.5, 1.5) for _ in people["reps"]],
        automation_id=system_user().pk,
        language=settings.LANGUAGE_CODE,  # task titles: the assignee's language, none set
        next_ids={m: (m.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for m in models},
        managers={team_id: manager.pk for team_id, manager in people["managers"].items()},
        profile=PROFILES[profile],
    )
    say = progress or (lambda _text: None)

    with _large_sqlite_cache(), _writer() as writer:
        per_rep = max(1, deals // DEALS_PER_CUSTOMER // reps)
        for rep in people["reps"]:
            for _n in range(per_rep):
                customer(world, rep)
        writer.write(world.take_rows())
        for n in range(1, deals + 1):
            deal_story(world)
            if n % DEALS_PER_BATCH == 0 or n == deals:
                writer.write(world.take_rows())
            if n % 10_000 == 0:
                say(f"{n:,} deals, {writer.written:,} rows, {perf_counter() - start:.0f} s")
        for n in range(1, deals // DEALS_PER_OPEN_LEAD + 1):
            lead_story(world, rep=world.rep())
            if n % DEALS_PER_BATCH == 0:
                writer.write(world.take_rows())
        writer.write(world.take_rows())
    counts, inserting = writer.counts, writer.seconds
    _after_bulk_load(models)
    seconds = perf_counter() - start
    rows = sum(counts.values())
    return {
        "deals": deals,
        "seed": seed,
        "profile": profile,
        "reps": reps,
        "teams": teams,
        "at": world.at.isoformat(),
        "rows": dict(counts),
        "total_rows": rows,
        "seconds": round(seconds, 1),
        "insert_seconds": round(inserting, 1),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "personas": _personas(people),
    }


@contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    """SQLite's page cache is 2 MiB by default: past a million rows, index inserts then read
    their pages back from the file. 256 MiB while generating, and the product's setting again
    afterwards, so that pages are timed as deployed."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _people(prefix: str, reps: int, teams: int) -> dict[str, Any]:
    """Teams, their managers and reps, and an admin, through the identity services (a few dozen
    users: no need for a bulk path)."""
    from sopcrm.core.models import Role
    from sopcrm.core.users import team_create, user_create

    made: dict[str, Any] = {"teams": [], "managers": {}, "reps": []}
    for t in range(1, teams + 1):
        team = team_create(name=f"{prefix} team {t}")
        made["teams"].append(team)
        made["managers"][team.pk] = user_create(
            username=f"{prefix}_manager_{t}",
            password=None,
            role=Role.MANAGER,
            team=team,
            display_name=f"Manager {t}",
        )
    for r in range(1, reps + 1):
        team = made["teams"][(r - 1) % teams]
        made["reps"].append(
            user_create(
                username=f"{prefix}_rep_{r:02d}",
                password=None,
                role=Role.REP,
                team=team,
                display_name=f"Rep {r:02d}",
                email=f"{prefix}_rep_{r:02d}@example.com",
            )
        )
    made["admin"] = user_create(username=f"{prefix}_admin", password=None, role=Role.ADMIN)
    return made


def _tables() -> dict[str, Table]:
    """The prepared INSERT of each kind of row: records with the ids the stories gave them."""
    from sopcrm.core.models import Event
    from sopcrm.crm.records.models import (
        Account,
        Activity,
        Contact,
        Deal,
        Lead,
        ListMembership,
        SlaClock,
    )
    from sopcrm.process.models import Timer

    from .rows import EVENT_COLUMNS

    return {
        "accounts": Table.of(Account, with_id=True),
        "contacts": Table.of(Contact, with_id=True),
        "leads": Table.of(Lead, with_id=True),
        "deals": Table.of(Deal, with_id=True),
        "activities": Table.of(Activity, with_id=True),
        "events": Table(Event, EVENT_COLUMNS),
        "timers": Table.of(Timer, with_id=False),
        "clocks": Table.of(SlaClock, with_id=False),
        "memberships": Table.of(ListMembership, with_id=False),
    }


class _Writer:
    """Inserts batches of rows, foreign keys first, one transaction per batch: in the calling
    thread, or (`background`) in a thread of its own with its own connection, so that the
    server's work on a batch (COPY, indexes, commit) overlaps the telling of the next one."""

    def __init__(self, *, background: bool) -> None:
        self.counts: Counter[str] = Counter()
        self.seconds = 0.0  # spent inserting
        self._tables: dict[str, Table] | None = None
        self._queue: queue.Queue[Rows | None] | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        if background:
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._work, name="bench-writer", daemon=True)
            self._thread.start()

    @property
    def written(self) -> int:
        return sum(self.counts.values())

    def write(self, rows: "Rows") -> None:
        if self._queue is None:
            self._insert(rows)
            return
        if self._failure is not None:
            raise RuntimeError("the writer thread failed") from self._failure
        self._queue.put(rows)

    def close(self) -> None:
        if self._queue is None or self._thread is None:
            return
        self._queue.put(None)
        self._thread.join()
        if self._failure is not None:
            raise RuntimeError("the writer thread failed") from self._failure

    def _insert(self, rows: "Rows") -> None:
        if self._tables is None:
            self._tables = _tables()
        start = perf_counter()
        with transaction.atomic():
            for name, batch in rows.tables():
                table = self._tables[name]
                self.counts[name] += (
                    table.insert(batch) if name == "events" else table.insert_objects(batch)
                )
        self.seconds += perf_counter() - start

    def _work(self) -> None:
        assert self._queue is not None
        try:
            with connection.cursor() as cursor:
                # The generator's session only: a crash loses at most the last batches, which
                # a new generation replaces anyway; the server's setting is left alone.
                cursor.execute("SET synchronous_commit = off")
            while (rows := self._queue.get()) is not None:
                self._insert(rows)
        except BaseException as failure:  # handed to the generating thread
            self._failure = failure
            while self._queue.get() is not None:  # unblock the producer until it closes
                pass
        finally:
            connection.close()


@contextmanager
def _writer() -> Iterator[_Writer]:
    """A background writer on PostgreSQL outside a transaction (the generator's own runs); in
    the caller's thread on SQLite (one writer at a time anyway) and inside a transaction (a
    test's: another connection would not see its users)."""
    background = connection.vendor == "postgresql" and not connection.in_atomic_block
    writer = _Writer(background=background)
    try:
        yield writer
    finally:
        writer.close()


def _after_bulk_load(models: list[type]) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them (SQLite's AUTOINCREMENT
    follows by itself). Then VACUUM ANALYZE on PostgreSQL, as autovacuum soon would after a
    bulk load: the planner's statistics, and the visibility map without which no index-only
    scan is possible (a manager's search took twice as long without it). SQLite deployments
    never run ANALYZE, so neither does the generator."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            # VACUUM cannot run in a transaction (a test's): there, the statistics only.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def _personas(people: dict[str, Any]) -> dict[str, str]:
    """The busiest rep (most deals) and their team's manager: the pages are timed for them."""
    from sopcrm.crm.records.models import Deal

    busiest = (
        Deal.objects.filter(owner__in=people["reps"])
        .values("owner")
        .annotate(n=Count("id"))
        .order_by("-n", "owner")
        .first()
    )
    assert busiest is not None
    rep = next(r for r in people["reps"] if r.pk == busiest["owner"])
    return {
        "rep": rep.username,
        "manager": people["managers"][rep.team_id].username,
        "admin": people["admin"].username,
    }


def report(summary: dict[str, Any]) -> list[list[str]]:
    rows = [[name, f"{count:,}"] for name, count in summary["rows"].items()]
    rows.append(["total", f"{summary['total_rows']:,}"])
    rows.append(["seconds", f"{summary['seconds']:,}"])
    rows.append(["rows per second", f"{summary['rows_per_second']:,}"])
    return rows


def print_progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)
