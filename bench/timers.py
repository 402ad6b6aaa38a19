"""Durable timers at volume: how long the worker takes to find the next due timer among a
million pending ones, and how many timers per second it fires.

Measured, on a database holding `pending` timers due in the future (generated in bulk):
- the idle check: `timer_any_due` when nothing is due (what an idle worker pays every tick);
- the claim: `timer_any_due` + `timer_claim_due` with a few timers due, in a transaction that is
  rolled back, and the plan of both queries (the partial index `timer_pending_due` must serve
  them: a full scan would grow with the number of pending timers);
- firing: `timers_fire_due` over `due` task_due timers on real open tasks of a rep's deals, so
  the default playbook's `deal_task_overdue` rule writes an event, a rule event and a
  notification (and queues its email) per timer;
- claim overhead: the same over timers whose task is already done (the handler returns at
  once), i.e. the cost of one firing transaction without effects.

Tasks and timers are created through the bulk path a data generator may use (rows, not
services): what is measured is the firing, not the creating."""

import random
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from time import perf_counter
from typing import Any

from django.db import connection, transaction

from bench.common import Stats, machine_description

# Calls timed per repeat for the query latencies (one call takes well under a millisecond).
CALLS_PER_REPEAT = 100
# Due timers present while the claim is timed: "a few", as on a live site between ticks.
FEW_DUE = 5
GENERATION_BATCH = 10_000
# Record ids of the generated future timers: far above any real row, so they point nowhere.
FAKE_RECORD_BASE = 10**12
DEALS = 10


@dataclass
class DatabaseTime:
    """Statements and commits sent, and seconds spent waiting for the database: statements
    (SQLite's BEGIN IMMEDIATE among them) through Django's execute wrapper, commits by timing
    the connection's commit. What is left of a measured time is Python: Django, the handlers."""

    statements: int = 0
    commits: int = 0
    seconds: float = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += perf_counter() - start
            self.statements += 1

    def timing_commits(self, commit: Callable[[], Any]) -> Callable[[], Any]:
        def timed() -> Any:
            start = perf_counter()
            try:
                return commit()
            finally:
                self.seconds += perf_counter() - start
                self.commits += 1

        return timed


@contextmanager
def database_time() -> Iterator[DatabaseTime]:
    spent = DatabaseTime()
    # The execute wrapper does not see commits; the connection's own method does.
    commit = getattr(connection, "_commit")  # noqa: B009
    connection._commit = spent.timing_commits(commit)  # type: ignore[attr-defined]
    try:
        with connection.execute_wrapper(spent):
            yield spent
    finally:
        del connection._commit  # type: ignore[attr-defined]


def run(*, pending: int, due: int, repeat: int, seed: int = 7) -> dict[str, Any]:
    """Run the suite on the configured database (migrated, a playbook active); the result as
    a JSON-able dict. Leaves its rows behind (the caller owns the database)."""
    from sopcrm.automation.firing import timers_fire_due

    rep, deals = _rep_with_deals()
    _drain(timers_fire_due)  # the deals' own timers due at once (queued changes)
    result: dict[str, Any] = {
        "suite": "timers",
        "parameters": {"pending": pending, "due": due, "repeat": repeat, "seed": seed},
        "machine": machine_description(),
    }

    with database_time() as spent:
        seconds = _generate_pending(pending, random.Random(seed))
    result["generation"] = {
        "rows": pending,
        "seconds": round(seconds, 3),
        "database_seconds": round(spent.seconds, 3),
        "rows_per_second": round(pending / seconds) if seconds else None,
        "batch": GENERATION_BATCH,
        "analyzed": _analyze(),
    }

    result["idle_check_ms"] = _latency(_idle_check, repeat).as_dict()
    _due_tasks(rep, deals, FEW_DUE, open_tasks=False)
    result["claim_ms"] = _latency(_claim_rolled_back, repeat).as_dict()
    result["plans"] = _plans()
    _drain(timers_fire_due)

    for name, open_tasks in (("fire", True), ("noop", False)):
        runs = [
            _fire_batch(timers_fire_due, rep, deals, due, open_tasks=open_tasks)
            for _ in range(repeat)
        ]
        per_timer = Stats.of([ms for ms, _spent in runs])
        result[f"{name}_ms_per_timer"] = per_timer.as_dict()
        result[f"{name}_per_second"] = round(1000 / per_timer.median, 1)
        result[f"{name}_statements_per_timer"] = round(
            statistics.median(spent.statements / due for _ms, spent in runs), 1
        )
        result[f"{name}_commits_per_timer"] = round(
            statistics.median(spent.commits / due for _ms, spent in runs), 2
        )
        result[f"{name}_database_share"] = round(
            statistics.median(spent.seconds * 1000 / due / ms for ms, spent in runs), 2
        )
    result["effects"] = _effects(rep, due * repeat)
    result["machine"]["load_average_after"] = machine_description()["load_average"]
    return result


def _rep_with_deals() -> tuple[Any, list[Any]]:
    from sopcrm.core.models import Role
    from sopcrm.core.users import team_create, user_create
    from sopcrm.crm.records.services.deals import deal_create

    suffix = random.randrange(10**6)  # a re-run in the same database needs fresh names
    team = team_create(name=f"Bench {suffix}")
    rep = user_create(
        username=f"bench_rep_{suffix}",
        password=None,
        role=Role.REP,
        team=team,
        email=f"bench_rep_{suffix}@example.com",
    )
    deals = [deal_create(actor=rep, data={"title": f"Bench deal {n}"}) for n in range(DEALS)]
    return rep, deals


def _drain(fire: Callable[..., int]) -> None:
    while fire(limit=10_000):
        pass


def _generate_pending(count: int, rng: random.Random) -> float:
    """`count` pending timers of every kind, due between an hour and a year from now."""
    from sopcrm.core.clock import now
    from sopcrm.core.models import RecordType
    from sopcrm.process.models import Timer, TimerKind

    purposes = [
        (TimerKind.TASK_DUE, RecordType.ACTIVITY, ""),
        (TimerKind.SLA, RecordType.LEAD, "first_response:breached"),
        (TimerKind.IDLE, RecordType.DEAL, "deal_idle"),
        (TimerKind.DATE, RecordType.DEAL, "quote_expiring"),
    ]
    at = now()
    start = perf_counter()
    for first in range(0, count, GENERATION_BATCH):
        rows = []
        for n in range(first, min(first + GENERATION_BATCH, count)):
            kind, record_type, key = purposes[n % len(purposes)]
            rows.append(
                Timer(
                    kind=kind,
                    record_type=record_type,
                    record_id=FAKE_RECORD_BASE + n,
                    key=key,
                    due_at=at + timedelta(seconds=rng.randint(3600, 365 * 86400)),
                    created_at=at,
                )
            )
        with transaction.atomic():
            Timer.objects.bulk_create(rows, batch_size=GENERATION_BATCH)
    return perf_counter() - start


def _analyze() -> str:
    """On PostgreSQL, refresh the planner's statistics as autovacuum soon would after a bulk
    load; SQLite deployments never run ANALYZE, so neither does the bench."""
    if connection.vendor != "postgresql":
        return "no (SQLite deployments do not run ANALYZE)"
    from sopcrm.process.models import Timer

    table = connection.ops.quote_name(Timer._meta.db_table)
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # inside a test's transaction: VACUUM cannot run
            cursor.execute(f"ANALYZE {table}")
            return "ANALYZE"
        cursor.execute(f"VACUUM ANALYZE {table}")
    return "VACUUM ANALYZE"


@contextmanager
def _rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _idle_check() -> None:
    from sopcrm.core.clock import now
    from sopcrm.process.timers import timer_any_due

    if timer_any_due(now()):
        raise AssertionError("the idle check found a due timer")


def _claim_rolled_back() -> None:
    from sopcrm.core.clock import now
    from sopcrm.process.timers import timer_any_due, timer_claim_due

    with _rolled_back():
        at = now()
        if not timer_any_due(at) or timer_claim_due(at) is None:
            raise AssertionError("nothing to claim")


def _latency(call: Callable[[], None], repeat: int) -> Stats:
    """Milliseconds per call over `repeat` rounds of CALLS_PER_REPEAT calls."""
    samples = []
    for _ in range(repeat * CALLS_PER_REPEAT):
        start = perf_counter()
        call()
        samples.append((perf_counter() - start) * 1000)
    return Stats.of(samples)


def _plans() -> dict[str, Any]:
    """The plans of the two queries, with the due time bound as the worker binds it."""
    from sopcrm.core.clock import now
    from sopcrm.process.models import Timer, TimerStatus

    at = now()
    due = Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=at)
    queries = {
        "any_due": due.values("id")[:1],
        "claim": Timer.objects.select_for_update(skip_locked=True)
        .filter(status=TimerStatus.PENDING, due_at__lte=at)
        .order_by("due_at", "id")[:1],
    }
    options: dict[str, Any] = {}
    if connection.vendor == "postgresql":
        options = {"analyze": True, "buffers": True}
    plans: dict[str, Any] = {}
    for name, query in queries.items():
        with _rolled_back():
            text = query.explain(**options)
        plans[name] = {"plan": text, "uses_partial_index": "timer_pending_due" in text}
    return plans


def _due_tasks(rep: Any, deals: list[Any], count: int, *, open_tasks: bool) -> None:
    """`count` tasks of the rep due a moment ago, each with its pending task_due timer, open
    (firing notifies the rep) or already done (firing does nothing)."""
    from sopcrm.core.clock import now
    from sopcrm.core.models import RecordType
    from sopcrm.crm.records.models import Activity, ActivityKind, ActivityStatus
    from sopcrm.process.models import Timer, TimerKind

    at = now()
    due_at = at - timedelta(seconds=1)
    with transaction.atomic():
        tasks = Activity.objects.bulk_create(
            [
                Activity(
                    kind=ActivityKind.TASK,
                    status=ActivityStatus.OPEN if open_tasks else ActivityStatus.DONE,
                    subject=f"Follow up {n}",
                    due_at=due_at,
                    completed_at=None if open_tasks else at,
                    owner=rep,
                    created_by=rep,
                    deal=deals[n % len(deals)],
                    created_at=at - timedelta(hours=1),
                    updated_at=at,
                )
                for n in range(count)
            ],
            batch_size=GENERATION_BATCH,
        )
        Timer.objects.bulk_create(
            [
                Timer(
                    kind=TimerKind.TASK_DUE,
                    record_type=RecordType.ACTIVITY,
                    record_id=task.pk,
                    due_at=due_at,
                    created_at=task.created_at,
                )
                for task in tasks
            ],
            batch_size=GENERATION_BATCH,
        )


def _fire_batch(
    fire: Callable[..., int], rep: Any, deals: list[Any], count: int, *, open_tasks: bool
) -> tuple[float, DatabaseTime]:
    """Milliseconds per timer to fire `count` due task timers, and the database's part."""
    _due_tasks(rep, deals, count, open_tasks=open_tasks)
    fired = 0
    with database_time() as spent:
        start = perf_counter()
        while fired < count:
            taken = fire(limit=count - fired)
            if not taken:
                raise AssertionError(f"only {fired} of {count} timers fired")
            fired += taken
        elapsed = perf_counter() - start
    return elapsed * 1000 / count, spent


def _effects(rep: Any, expected: int) -> dict[str, int]:
    """What the real firings wrote: the bench measures what it says only if each one
    notified the rep."""
    from sopcrm.core.models import Event, EventKind
    from sopcrm.crm.mail.models import OutboundEmail
    from sopcrm.crm.notifications.models import Notification

    effects = {
        "expected": expected,
        "task_overdue_events": Event.objects.filter(
            kind=EventKind.TASK_OVERDUE, data__owner=rep.pk
        ).count(),
        "notifications": Notification.objects.filter(user=rep).count(),
        "emails_queued": OutboundEmail.objects.count(),
    }
    if effects["notifications"] != expected:
        raise AssertionError(f"expected {expected} notifications: {effects}")
    return effects


def _ms(stats: dict[str, Any]) -> tuple[str, str]:
    return f"{stats['median']:.3f}", f"{stats['p95']:.3f}"


def report(result: dict[str, Any]) -> list[list[str]]:
    """The table rows: what, median, p95, and a derived figure."""
    generation = result["generation"]
    plans = result["plans"]
    index = "yes" if all(p["uses_partial_index"] for p in plans.values()) else "NO"
    return [
        [
            f"generate {generation['rows']:,} pending timers (s)",
            f"{generation['seconds']:.1f}",
            "",
            f"{generation['rows_per_second'] or 0:,} rows/s, "
            f"{generation['database_seconds'] / generation['seconds']:.0%} in the database",
        ],
        ["idle check, nothing due (ms)", *_ms(result["idle_check_ms"]), ""],
        ["claim next due, few due (ms)", *_ms(result["claim_ms"]), f"partial index: {index}"],
        [
            "fire task_due, notify (ms/timer)",
            *_ms(result["fire_ms_per_timer"]),
            _rate(result, "fire"),
        ],
        [
            "fire, task done: no-op (ms/timer)",
            *_ms(result["noop_ms_per_timer"]),
            _rate(result, "noop"),
        ],
    ]


def _rate(result: dict[str, Any], name: str) -> str:
    return (
        f"{result[f'{name}_per_second']:,} timers/s, "
        f"{result[f'{name}_statements_per_timer']:g} statements + "
        f"{result[f'{name}_commits_per_timer']:g} commit per timer, "
        f"{result[f'{name}_database_share']:.0%} in the database"
    )
