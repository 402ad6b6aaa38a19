"""Transitions at volume: stage changes per second through `record_transition`, the one service
the web UI, the API, the CLI and approvals call to move a record, on the default (export-trade)
playbook.

Each repeat creates `deals` deals with `deal_create` (not timed; every checklist item clear, so
an order needs no change clause) and moves them all, step by step, along the playbook's path:
contact -> confirm_requirements -> send_quote -> start_follow_up -> win (three deals in four) or
lose (the fourth), filling the fields each transition requires. That is five transitions per
deal, each in its own transaction with everything the service does: the lock and visibility
check, the required fields and the rules, the field-change, stage-left and stage-entered events,
the tasks the transition completes, cancels and creates (with their timers), the SLA clocks, the
rules' queued changes, the record's timers.

The floor: what a transition must write at the least, one transaction each: an UPDATE of the
deal's stage and two INSERTs (the stage-left and stage-entered events), through the ORM, on
deals made for it."""

import os
import statistics
from collections import Counter
from datetime import date, timedelta
from time import perf_counter, process_time
from typing import Any

from bench.common import Stats, machine_description
from bench.timers import DatabaseTime, database_time


def _path(today: date) -> list[tuple[str, dict[str, Any]]]:
    """The transitions of the export-trade deal pipeline with the values each one requires."""
    return [
        (
            "contact",
            {
                "first_contact_channel": "whatsapp",
                "requirements_clear": True,
                "expected_purchase_time": "within_3_months",
            },
        ),
        (
            "confirm_requirements",
            {
                "target_price": {"amount": "12.50", "currency": "USD"},
                "lead_time_requirement": "30 days",
                "certifications": "EU, CE",
                "competitor": "A local maker",
            },
        ),
        (
            "send_quote",
            {
                "quote_date": today.isoformat(),
                "quote_valid_until": (today + timedelta(days=30)).isoformat(),
                "quote_channel": "email",
                "core_specifications": "DN50 stainless, PN16",
                "lead_time_requirement": "30 days",
                "quote_type": "precise",
            },
        ),
        ("start_follow_up", {}),
    ]


TRANSITIONS_PER_DEAL = 5  # the four of _path, then win or lose
WIN = ("win", {"amount": "18000"})
LOSE = (
    "lose",
    {
        "lost_reasons": ["price_too_high"],
        "lost_note": "Chose another supplier.",
        "reactivation_likelihood": "within_6_12_months",
    },
)


def _setup() -> Any:
    from sopcrm.core.models import Role
    from sopcrm.core.users import team_create, user_create

    team = team_create(name="Transitions")
    user_create(username="tmanager", password=None, role=Role.MANAGER, team=team)
    return user_create(
        username="trep", password=None, role=Role.REP, team=team, email="trep@example.com"
    )


def _checklist_all_clear() -> list[str]:
    """Every item of the active playbook's checklist (S-32: with all of them clear, an order
    needs no change clause)."""
    from sopcrm.playbook.schema import ObjectType
    from sopcrm.process.playbooks import active_version, playbook_for_version

    fields = playbook_for_version(active_version().pk).object(ObjectType.DEAL).fields
    return [option.key for field in fields if field.key == "checklist" for option in field.options]


def _deals(rep: Any, count: int, offset: int) -> list[Any]:
    from sopcrm.crm.records.services.deals import deal_create

    checklist = _checklist_all_clear()
    return [
        deal_create(
            actor=rep,
            data={"title": f"Valves {offset + n}", "custom": {"checklist": checklist}},
        )
        for n in range(count)
    ]


def _move_all(
    rep: Any, deals: list[Any], today: date
) -> tuple[float, float, DatabaseTime, dict[str, list[float]]]:
    """Seconds to take every deal along the path, CPU seconds of this process meanwhile (on a
    shared machine a steadier figure than the elapsed time), the database's part, and the
    milliseconds of each transition by its key."""
    from sopcrm.crm.records.services.transitions import record_transition

    per_key: dict[str, list[float]] = {}
    steps = [*_path(today), None]
    with database_time() as spent:
        start, cpu = perf_counter(), process_time()
        for step in steps:
            for n, deal in enumerate(deals):
                key, data = step if step is not None else (LOSE if n % 4 == 3 else WIN)
                began = perf_counter()
                result = record_transition(deal, transition=key, data=data, actor=rep)
                per_key.setdefault(key, []).append((perf_counter() - began) * 1000)
                if not result.executed:
                    raise AssertionError(f"{key} of deal {deal.pk} waits for an approval")
                deals[n] = result.record
        elapsed, cpu = perf_counter() - start, process_time() - cpu
    return elapsed, cpu, spent, per_key


def _floor(rep: Any, count: int, offset: int, steps: int) -> tuple[float, DatabaseTime]:
    """Seconds for `count` x `steps` bare stage changes: UPDATE the deal, INSERT the two stage
    events, one transaction each."""
    from django.db import transaction

    from sopcrm.core.clock import now
    from sopcrm.core.models import Event, EventKind, RecordType
    from sopcrm.crm.records.models import Deal
    from sopcrm.process.playbooks import active_version

    version = active_version()
    at = now()
    rows = Deal.objects.bulk_create(
        [
            Deal(
                title=f"Floor {offset + n}",
                owner=rep,
                created_by=rep,
                playbook_version=version,
                pipeline="export",
                stage="new",
                stage_entered_at=at,
                created_at=at,
                updated_at=at,
            )
            for n in range(count)
        ]
    )
    ids = [row.pk for row in rows]
    if None in ids:  # backends that do not return ids from a bulk INSERT
        ids = list(
            Deal.objects.filter(title__startswith="Floor ")
            .order_by("-pk")
            .values_list("pk", flat=True)[:count]
        )
    stages = ["new", "contacted", "requirements_confirmed", "quoted", "following_up", "won"]
    with database_time() as spent:
        start = perf_counter()
        for step in range(steps):
            left, entered = stages[step % 5], stages[step % 5 + 1]
            for pk in ids:
                at = now()
                with transaction.atomic():
                    Deal.objects.filter(pk=pk).update(
                        stage=entered, substate="", stage_entered_at=at, updated_at=at
                    )
                    Event.objects.bulk_create(
                        [
                            Event(
                                occurred_at=at,
                                actor=rep,
                                record_type=RecordType.DEAL,
                                record_id=pk,
                                kind=EventKind.STAGE_LEFT,
                                data={"pipeline": "export", "stage": left, "to": entered},
                            ),
                            Event(
                                occurred_at=at,
                                actor=rep,
                                record_type=RecordType.DEAL,
                                record_id=pk,
                                kind=EventKind.STAGE_ENTERED,
                                data={"pipeline": "export", "stage": entered, "from": left},
                            ),
                        ]
                    )
        elapsed = perf_counter() - start
    return elapsed, spent


def _effects(rep: Any, deals: int, repeat: int) -> dict[str, int]:
    """What the timed transitions wrote: the bench measures what it says only if every deal
    arrived and each stage change left its events and tasks."""
    from sopcrm.core.models import Event, EventKind
    from sopcrm.crm.records.models import Activity, Deal

    moved = Deal.objects.filter(owner=rep, title__startswith="Valves ")
    won = moved.filter(stage="won").count()
    effects = {
        "deals": moved.count(),
        "won": won,
        "lost": moved.filter(stage="lost").count(),
        "stage_entered_events": Event.objects.filter(
            kind=EventKind.STAGE_ENTERED, record_id__in=moved.values("pk")
        ).count(),
        "tasks": Activity.objects.filter(deal__in=moved, template_key__gt="").count(),
    }
    expected_steps = deals * repeat * TRANSITIONS_PER_DEAL
    if effects["deals"] != deals * repeat or effects["won"] + effects["lost"] != effects["deals"]:
        raise AssertionError(f"not every deal arrived: {effects}")
    if effects["stage_entered_events"] < expected_steps:
        raise AssertionError(f"stage changes without their events: {effects}")
    return effects


def run(*, deals: int, repeat: int) -> dict[str, Any]:
    """Run the suite on the configured database (migrated, the default playbook active); the
    result as a JSON-able dict. Leaves its rows behind (the caller owns the database)."""
    from sopcrm.core.clock import now

    machine = machine_description()
    rep = _setup()
    steps = TRANSITIONS_PER_DEAL
    rates, floors, statements, commits, shares, floor_statements = [], [], [], [], [], []
    cpu_ms: list[float] = []
    per_key: dict[str, list[float]] = {}
    for round_ in range(repeat):
        batch = _deals(rep, deals, round_ * deals)
        elapsed, cpu, spent, timed = _move_all(rep, batch, now().date())
        count = deals * steps
        rates.append(count / elapsed)
        cpu_ms.append(cpu * 1000 / count)
        statements.append(spent.statements / count)
        commits.append(spent.commits / count)
        shares.append(spent.seconds / elapsed)
        for key, samples in timed.items():
            per_key.setdefault(key, []).extend(samples)
        floor_elapsed, floor_spent = _floor(rep, deals, round_ * deals, steps)
        floors.append(count / floor_elapsed)
        floor_statements.append(floor_spent.statements / count)
    full, floor = Stats.of(rates), Stats.of(floors)
    machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "suite": "transitions",
        "parameters": {"deals": deals, "repeat": repeat, "transitions_per_deal": steps},
        "machine": machine,
        "transitions_per_s": full.as_dict(),
        "floor_per_s": floor.as_dict(),
        "ratio": round(floor.median / full.median, 1),
        "statements_per_transition": round(statistics.median(statements), 1),
        "commits_per_transition": round(statistics.median(commits), 2),
        "database_share": round(statistics.median(shares), 3),
        "cpu_ms_per_transition": round(statistics.median(cpu_ms), 1),
        "floor_statements_per_transition": round(statistics.median(floor_statements), 1),
        "ms_by_transition": {key: Stats.of(samples).as_dict() for key, samples in per_key.items()},
        "outcomes": dict(Counter(key for key, s in per_key.items() for _ in s)),
        "effects": _effects(rep, deals, repeat),
    }


def report(result: dict[str, Any]) -> list[list[str]]:
    full, floor = result["transitions_per_s"], result["floor_per_s"]
    rows = [
        ["full path (transitions/s)", f"{full['median']:.0f}", f"{full['p95']:.0f}"],
        ["floor: UPDATE + 2 INSERTs (/s)", f"{floor['median']:.0f}", f"{floor['p95']:.0f}"],
        ["floor / full path", f"{result['ratio']}x", ""],
        ["statements per transition", f"{result['statements_per_transition']:g}", ""],
        ["  floor", f"{result['floor_statements_per_transition']:g}", ""],
        ["share of time in the database", f"{result['database_share']:.0%}", ""],
        ["CPU ms per transition (this process)", f"{result['cpu_ms_per_transition']:.1f}", ""],
    ]
    for key, stats in result["ms_by_transition"].items():
        rows.append([f"{key} (ms)", f"{stats['median']:.1f}", f"{stats['p95']:.1f}"])
    return rows
