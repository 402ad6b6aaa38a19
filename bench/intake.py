"""Lead intake at volume (S-25): leads per second through the full path — `lead_intake`, as the
web form, the API batch and the importer call it: validation and normalisation, the duplicate
check, assignment, qualification, the first-contact task, the SLA clock and its timers, the
events. Two ways in: the single path (each lead in its own transaction, as the web form) and the
batch path (`leads_intake_many`: BATCH leads a call, INTAKE_CHUNK to a transaction, as the API
batch).

Two floors: a plain bulk INSERT of the lead rows alone (no checks, no tasks, no events), and a
plain bulk INSERT of the same rows the batch path wrote (the leads and their events, tasks,
timers and clocks, copied and inserted again, one `bulk_create` per table).

The database first holds `existing` leads (bulk), so the duplicate check has a table to search.
A share of the inquiries repeat an existing buyer's email (found and linked)."""

import random
from time import perf_counter
from typing import Any

from bench.common import Stats, machine_description

COUNTRIES = ["DE", "US", "BR", "IN", "VN", "AE", "MX", "PL", "TR", "NG"]
WORDS = ["Acme", "Global", "Sun", "Delta", "Nova", "Prime", "Orient", "Atlas", "Vertex", "Blue"]
KINDS = ["Trading", "Industries", "Imports", "Supply", "Valves", "Tools", "Electric", "Group"]


def _company(rng: random.Random, n: int) -> str:
    return f"{rng.choice(WORDS)} {rng.choice(KINDS)} {n} Ltd"


def _inquiry(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "name": f"Buyer {n}",
        "company": _company(rng, n),
        "email": f"buyer{n}@company{n}.example",
        "phone": f"+49 30 {1000000 + n}",
        "country": rng.choice(COUNTRIES),
        "source": "b2b_platform",
        "message": "Please quote 500 pcs DN50 ball valves, CE, delivery to Hamburg.",
    }


def _setup() -> Any:
    from sopcrm.core.models import Role
    from sopcrm.core.users import team_create, user_create

    team = team_create(name="Bench")
    for n in range(4):
        user_create(username=f"rep{n}", password=None, role=Role.REP, team=team)
    return user_create(username="importer", password=None, role=Role.MANAGER, team=team)


def _keyed(**values: Any) -> Any:
    """A Lead with the stored form of its company name, as the lead services write it."""
    from sopcrm.crm.records.models import Lead
    from sopcrm.crm.records.services.duplicates import company_index_set

    lead = Lead(**values)
    company_index_set(lead)
    return lead


def _existing(count: int, rng: random.Random) -> None:
    from sopcrm.core.clock import now
    from sopcrm.crm.records.models import Lead
    from sopcrm.process.playbooks import active_version

    version = active_version()
    at = now()
    rows = [
        _keyed(
            name=f"Old buyer {n}",
            company=_company(rng, 10_000_000 + n),
            email=f"old{n}@old{n}.example",
            country=rng.choice(COUNTRIES),
            playbook_version=version,
            pipeline="inquiry",
            stage="new",
            stage_entered_at=at,
            received_at=at,
            created_at=at,
            updated_at=at,
        )
        for n in range(count)
    ]
    Lead.objects.bulk_create(rows, batch_size=5000)


BATCH = 100  # leads per call of the batch path (the API takes up to 1,000; 50 a transaction)


def _inquiries(rng: random.Random, base: int, leads: int) -> list[dict[str, Any]]:
    batch = [_inquiry(rng, base + n) for n in range(leads)]
    for n in range(0, leads, 20):  # 5 % repeat an earlier buyer's email
        batch[n]["email"] = f"old{n}@old{n}.example"
    return batch


def _statements_per_lead(importer: Any, rng: random.Random) -> float:
    """SQL statements one lead costs on the single path (transaction control included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sopcrm.crm.records.services.intake import lead_intake

    inquiries = _inquiries(rng, 9_000_000, 20)
    with CaptureQueriesContext(connection) as queries:
        for data in inquiries:
            lead_intake(data=data, actor=importer)
    return len(queries.captured_queries) / len(inquiries)


# Copies of timers and clocks point at record ids no record has, so they keep clear of the
# one-pending-timer-per-purpose constraint.
_COPY_OFFSET = 1_000_000_000


def _same_rows_floor(lead_ids: list[int]) -> tuple[int, float]:
    """The floor of "the same rows": every row the full path wrote for these leads (the leads,
    their events, tasks, timers and clocks) inserted again in bulk, one `bulk_create` per table
    in one transaction, nothing else. Returns the rows and the seconds; the copies are deleted
    afterwards."""
    from django.db import transaction
    from django.db.models import Q

    from sopcrm.core.models import Event
    from sopcrm.crm.records.models import Activity, Lead, SlaClock
    from sopcrm.process.models import Timer

    leads = list(Lead.objects.filter(pk__in=lead_ids))
    tasks = list(Activity.objects.filter(lead_id__in=lead_ids))
    task_ids = [task.pk for task in tasks]
    events = list(Event.objects.filter(record_type="lead", record_id__in=lead_ids))
    timers = list(
        Timer.objects.filter(
            Q(record_type="lead", record_id__in=lead_ids)
            | Q(record_type="activity", record_id__in=task_ids)
        )
    )
    clocks = list(SlaClock.objects.filter(record_type="lead", record_id__in=lead_ids))
    for row in [*leads, *tasks, *events, *timers, *clocks]:
        row.pk = None
    for row in [*timers, *clocks]:
        row.record_id += _COPY_OFFSET
    tables: list[tuple[Any, list[Any]]] = [
        (Lead, leads),
        (Activity, tasks),
        (Event, events),
        (Timer, timers),
        (SlaClock, clocks),
    ]
    start = perf_counter()
    with transaction.atomic():
        for model, rows in tables:
            model.objects.bulk_create(rows, batch_size=1000)
    seconds = perf_counter() - start
    with transaction.atomic():
        for model, rows in tables:
            model.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return sum(len(rows) for _model, rows in tables), seconds


def run(*, leads: int, existing: int, repeat: int, seed: int = 7) -> dict[str, Any]:
    from django.db import transaction

    from sopcrm.core.clock import now
    from sopcrm.crm.records.models import Lead
    from sopcrm.crm.records.services.intake import IntakeItem, lead_intake, leads_intake_many
    from sopcrm.process.playbooks import active_version

    rng = random.Random(seed)
    importer = _setup()
    _existing(existing, rng)
    single: list[float] = []
    batched: list[float] = []
    floor: list[float] = []
    same_rows: list[float] = []
    rows_per_lead = 0.0
    outcomes: dict[str, int] = {}
    for round_ in range(repeat):
        base = (round_ + 1) * 1_000_000
        inquiries = _inquiries(rng, base, leads)
        start = perf_counter()
        for data in inquiries:
            result = lead_intake(data=data, actor=importer)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        single.append(leads / (perf_counter() - start))
        # The batch path: the same kind of inquiries, BATCH a call.
        more = _inquiries(rng, base + 500_000, leads)
        start = perf_counter()
        batch_ids: list[int] = []
        for n in range(0, leads, BATCH):
            items = [IntakeItem(data) for data in more[n : n + BATCH]]
            for taken in leads_intake_many(items, actor=importer):
                assert not isinstance(taken, Exception), taken
                batch_ids.append(taken.lead.pk)
        batched.append(leads / (perf_counter() - start))
        rows, seconds = _same_rows_floor(batch_ids)
        same_rows.append(leads / seconds)
        rows_per_lead = rows / leads
        # The floor: the same rows inserted in bulk, nothing else.
        version = active_version()
        at = now()
        rows = [
            Lead(
                **{**data, "email": f"floor{base + i}@x.example"},
                playbook_version=version,
                pipeline="inquiry",
                stage="new",
                stage_entered_at=at,
                received_at=at,
                created_at=at,
                updated_at=at,
            )
            for i, data in enumerate(inquiries)
        ]
        start = perf_counter()
        with transaction.atomic():
            Lead.objects.bulk_create(rows, batch_size=1000)
        floor.append(leads / (perf_counter() - start))
        # Out again: rows without the stored company form would slow the next round's check.
        Lead.objects.filter(pk__in=[row.pk for row in rows]).delete()
    statements = _statements_per_lead(importer, rng)
    single_stats, batch_stats = Stats.of(single), Stats.of(batched)
    floor_stats, same_rows_stats = Stats.of(floor), Stats.of(same_rows)
    return {
        "suite": "intake",
        "parameters": {"leads": leads, "existing": existing, "repeat": repeat, "batch": BATCH},
        "machine": machine_description(),
        "full_path_leads_per_s": single_stats.as_dict(),
        "batch_path_leads_per_s": batch_stats.as_dict(),
        "bulk_insert_rows_per_s": floor_stats.as_dict(),
        "ratio": round(floor_stats.median / single_stats.median, 1),
        "batch_ratio": round(floor_stats.median / batch_stats.median, 1),
        "same_rows_floor_leads_per_s": same_rows_stats.as_dict(),
        "rows_per_lead": round(rows_per_lead, 1),
        "same_rows_ratio": round(same_rows_stats.median / batch_stats.median, 1),
        "statements_per_lead": round(statements, 1),
        "outcomes": outcomes,
    }


def report(result: dict[str, Any]) -> list[list[str]]:
    full, floor = result["full_path_leads_per_s"], result["bulk_insert_rows_per_s"]
    batch = result["batch_path_leads_per_s"]
    same = result["same_rows_floor_leads_per_s"]
    size = result["parameters"]["batch"]
    return [
        [
            "single path, a transaction per lead (leads/s)",
            f"{full['median']:.0f}",
            f"{full['p95']:.0f}",
        ],
        [
            f"batch path, {size} a call (leads/s)",
            f"{batch['median']:.0f}",
            f"{batch['p95']:.0f}",
        ],
        ["bulk INSERT floor (rows/s)", f"{floor['median']:.0f}", f"{floor['p95']:.0f}"],
        ["floor / single path", f"{result['ratio']}x", ""],
        ["floor / batch path", f"{result['batch_ratio']}x", ""],
        [
            f"same-rows floor: all {result['rows_per_lead']} rows a lead writes (leads/s)",
            f"{same['median']:.0f}",
            f"{same['p95']:.0f}",
        ],
        ["same-rows floor / batch path", f"{result['same_rows_ratio']}x", ""],
        ["SQL statements per lead (single path)", f"{result['statements_per_lead']}", ""],
    ]
