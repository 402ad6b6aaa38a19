"""The reports at scale (issue 8): every report function against its floor, the one hand-written
SQL query that computes the same figures, on the generator's data (1,000,000 deals by default,
the `lean` profile: about 15 million events).

The database is kept between runs (`sopcrm_bench_reports` on the server DATABASE_URL points at,
or SQLite in bench/results/reports-data/): `ensure_data` generates it only when it does not
hold that scale yet, then vacuums and analyzes it, as autovacuum soon would after a bulk load.

For each report, signed in as the busiest rep's manager and as the admin, over the last full
month and the last three full months before the data was generated: the report function (the
median of `repeat` runs after a warm-up) and its floor, and the floor's figures compared with
the report's. A floor is raw SQL through `connection.cursor()`, written for the export-trade
playbook (its stage, field and SLA keys are read from the playbook, not looked up per row),
with the same visibility rule (the owner in the manager's team or no owner; everything for an
admin) and the same definitions (docs/reports.md); the little Python after it only shapes the
rows it returns (a total of per-rep counts, a rounding). Time is frozen at one moment for the
report and its floor, so "now" (overdue tasks, running clocks) is the same for both. A report
module that does not exist yet is reported as missing.
"""

import importlib
import json
import statistics
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from bench.common import RESULTS_DIR, KeptDatabase, machine_description, write_latest

REPORTS_DATABASE = "sopcrm_bench_reports"
DATA_DIR = RESULTS_DIR / "reports-data"  # the SQLite database and what each database holds
DEFAULT_DEALS = 1_000_000
DEFAULT_PROFILE = "lean"
SLOW_RATIO = 2.0  # issue 9: within 2x of the floor; slower reports get their slowest plan
BUDGET_SECONDS = 60.0  # of timed runs per report (or floor), persona and period; at least one


# -- the database --------------------------------------------------------------------------


KEPT = KeptDatabase(REPORTS_DATABASE, DATA_DIR)


@contextmanager
def kept_database() -> Iterator[str]:
    """The report bench's own database (`sopcrm_bench_reports`, or SQLite in
    bench/results/reports-data/), kept after the run."""
    with KEPT.opened() as where:
        yield where


# The logs a live site appends to in time order, and the column of that order.
APPENDED_IN_TIME = (("core_event", "occurred_at"), ("records_activity", "created_at"))
SETTLED = 2  # the version of _settle the kept data went through


def _settle() -> float:
    """After a bulk load, make the database look like one that grew over two years: on
    PostgreSQL, the event log and the activities stored in the order they happened (CLUSTER
    on their time index: the generator writes each deal's whole story at once, so a month's
    events were scattered over the whole table, which a live, append-only log never is), then
    VACUUM ANALYZE (visibility map, planner statistics; else autovacuum would do it in the
    middle of the timings). SQLite is left as it is (no ANALYZE, as deployments never run
    it). The seconds it took."""
    from django.db import connection

    start = perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for table, column in APPENDED_IN_TIME:
                cursor.execute(
                    """SELECT i.relname FROM pg_index x
                    JOIN pg_class i ON i.oid = x.indexrelid
                    JOIN pg_class t ON t.oid = x.indrelid
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
                    WHERE t.relname = %s AND a.attname = %s AND x.indnatts = 1""",
                    [table, column],
                )
                found = cursor.fetchone()
                if found is not None:
                    cursor.execute(f'CLUSTER "{table}" USING "{found[0]}"')
            cursor.execute("VACUUM ANALYZE")
    return perf_counter() - start


def ensure_data(
    *, deals: int, seed: int, profile: str, fresh: bool, progress: Callable[[str], None]
) -> tuple[dict[str, Any], bool]:
    """The generator's summary of what the database holds, and whether it was generated now.
    Kept data is reused when it was generated with the same `deals`, `seed` and `profile` and
    still holds that many deals and its personas; otherwise (or with `fresh`) the database is
    emptied and generated again."""
    from sopcrm.core.models import User
    from sopcrm.crm.records.models import Deal

    from .generate import generate

    marker = KEPT.marker()
    if not fresh and marker.exists():
        held = json.loads(marker.read_text(encoding="utf-8"))
        if (
            (held.get("deals"), held.get("seed"), held.get("profile")) == (deals, seed, profile)
            and Deal.objects.count() == deals
            and User.objects.filter(username__in=held["personas"].values()).count() == 3
        ):
            if held.get("settled") != SETTLED:  # kept from before the settling changed
                progress("settling the kept data")
                held.update(settled=SETTLED, settle_seconds=round(_settle(), 1))
                marker.write_text(json.dumps(held, indent=2) + "\n", encoding="utf-8")
            return held, False
    KEPT.empty()
    marker.unlink(missing_ok=True)
    summary = generate(deals=deals, seed=seed, profile=profile, progress=progress)
    progress("settling: the logs in time order, VACUUM ANALYZE")
    summary.update(settled=SETTLED, settle_seconds=round(_settle(), 1))
    summary["database_bytes"] = database_bytes()
    marker.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary, True


def database_bytes() -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        row = cursor.fetchone()
    return int(row[0]) if row else None


# -- what a floor reads --------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a floor needs besides the tables: the SQL dialect, whose records the viewer sees,
    and the period's bounds and now as query parameters (`%(start)s`, `%(end)s`, `%(now)s`)."""

    postgres: bool
    owners: tuple[int, ...] | None  # the owners the viewer sees (and no owner); None: all
    start: datetime
    end: datetime
    now: datetime

    def params(self, **more: Any) -> dict[str, Any]:
        from django.db import connection

        adapt = connection.ops.adapt_datetimefield_value
        moments = {"start": self.start, "end": self.end, "now": self.now}
        return {
            **{k: adapt(v) for k, v in moments.items()},
            **{k: adapt(v) if isinstance(v, datetime) else v for k, v in more.items()},
        }

    def visible(self, alias: str) -> str:
        """The visibility rule on `alias`.owner_id (core/visibility.py): a manager sees their
        team's members (themselves included) and what has no owner; an admin everything."""
        if self.owners is None:
            return "1 = 1"
        ids = ", ".join(str(pk) for pk in self.owners)
        return f"({alias}.owner_id IN ({ids}) OR {alias}.owner_id IS NULL)"

    def in_period(self, column: str) -> str:
        return f"{column} >= %(start)s AND {column} < %(end)s"

    @staticmethod
    def text(column: str, key: str) -> str:
        """A JSON key's value as text (`->>`: PostgreSQL, and SQLite since 3.38)."""
        return f"({column} ->> '{key}')"

    def number(self, column: str, key: str) -> str:
        return f"({column} ->> '{key}')::float8" if self.postgres else f"({column} ->> '{key}')"

    def is_number(self, column: str, key: str) -> str:
        if self.postgres:
            return f"jsonb_typeof({column} -> '{key}') = 'number'"
        return f"json_type({column}, '$.{key}') IN ('integer', 'real')"

    def is_text(self, column: str, key: str) -> str:
        if self.postgres:
            return f"jsonb_typeof({column} -> '{key}') = 'string'"
        return f"json_type({column}, '$.{key}') = 'text'"

    def has_key(self, column: str, key: str) -> str:
        if self.postgres:
            return f"({column} ? '{key}')"
        return f"json_type({column}, '$.{key}') IS NOT NULL"

    def at_least_zero(self, value: str) -> str:
        return f"GREATEST({value}, 0)" if self.postgres else f"MAX({value}, 0)"

    def micros(self, later: str, earlier: str) -> str:
        """`later - earlier` in whole microseconds, exactly (what timedelta holds): PostgreSQL's
        epoch of an interval is exact; SQLite keeps times as text, so whole seconds and the
        microseconds after the point are taken apart."""
        if self.postgres:
            return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) * 1000000 AS BIGINT)"
        return (
            f"((unixepoch({later}) - unixepoch({earlier})) * 1000000"
            f" + CAST(substr({later}, 21) AS INTEGER) - CAST(substr({earlier}, 21) AS INTEGER))"
        )


def _in(values: Any) -> str:
    """An SQL list of playbook keys (letters, digits and underscores: safe to inline); a list
    that matches nothing when empty."""
    keys = list(values)
    assert all(k.replace("_", "").isalnum() for k in keys), keys
    return "(" + ", ".join(f"'{k}'" for k in keys) + ")" if keys else "(NULL)"


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _rank(share: int) -> str:
    """The nearest rank of the `share` percentile among `n` sorted values, in integers:
    ceil(share * n / 100), as stats.percentile takes it."""
    return f"(n * {share} + 99) / 100"


def _hours(micros: Any) -> float | None:
    """Microseconds as the reports compute hours: timedelta.total_seconds() / 3600."""
    return None if micros is None else (int(micros) / 10**6) / 3600


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _playbook() -> Any:
    from sopcrm.process.playbooks import active_version, playbook_for_version

    return playbook_for_version(active_version().pk)


def _kinds(pipeline: Any, *kinds: str) -> list[str]:
    return [stage.key for stage in pipeline.stages if stage.kind in kinds]


CONTACT_SQL = (
    "{a}.status = 'done' AND {a}.direction = 'outbound' AND ({a}.kind IN "
    "('call', 'email', 'meeting', 'message') OR ({a}.kind = 'task' AND {a}.channel <> ''))"
)


def _contact(alias: str) -> str:
    """A completed outbound customer contact (services/slas.py, is_customer_contact)."""
    return CONTACT_SQL.format(a=alias)


# -- the floors ----------------------------------------------------------------------------


def _clocks_sql(scope: Scope) -> str:
    """The response clocks of the leads received in the period that the viewer may see: the
    clock's owner and the lead's both visible; each clock's outcome as of now and, answered,
    its response time in microseconds."""
    return f"""
        SELECT c.owner_id,
            CASE WHEN c.state = 'met' THEN 'in_time'
                 WHEN c.state = 'missed' THEN 'late'
                 WHEN c.state = 'ended' THEN
                     CASE WHEN c.ended_at IS NOT NULL AND c.ended_at > c.due_at
                          THEN 'late' ELSE 'closed_early' END
                 WHEN c.due_at < %(now)s THEN 'late'
                 ELSE 'not_due' END AS outcome,
            CASE WHEN c.state IN ('met', 'missed') AND c.responded_at IS NOT NULL
                 THEN {scope.micros("c.responded_at", "c.started_at")} END AS micros
        FROM records_slaclock c
        JOIN records_lead l ON l.id = c.record_id
        WHERE c.record_type = 'lead' AND c.sla = %(sla)s AND {scope.in_period("c.started_at")}
            AND {scope.visible("c")} AND {scope.visible("l")}"""


def floor_first_response(scope: Scope) -> dict[str, Any]:
    sla = _playbook().object("lead").reports.response_sla
    sql = f"""
        WITH clocks AS ({_clocks_sql(scope)}),
        answered AS (
            SELECT micros, ROW_NUMBER() OVER (ORDER BY micros) AS place, COUNT(*) OVER () AS n
            FROM clocks WHERE micros IS NOT NULL
        )
        SELECT 'count', owner_id, outcome, COUNT(*) FROM clocks GROUP BY owner_id, outcome
        UNION ALL
        SELECT 'p50', NULL, NULL, micros FROM answered WHERE place = {_rank(50)}
        UNION ALL
        SELECT 'p90', NULL, NULL, micros FROM answered WHERE place = {_rank(90)}"""
    figures: dict[str, Any] = dict.fromkeys(("in_time", "late", "not_due", "closed_early"), 0)
    figures.update(median_hours=None, p90_hours=None)
    by_rep: dict[Any, dict[str, int]] = {}
    for part, owner_id, outcome, value in _fetch(sql, scope.params(sla=sla)):
        if part == "count":
            figures[outcome] += value
            if outcome != "closed_early":
                row = by_rep.setdefault(owner_id, dict.fromkeys(("in_time", "late", "not_due"), 0))
                row[outcome] += value
        else:
            figures["median_hours" if part == "p50" else "p90_hours"] = _round(_hours(value))
    figures["by_rep"] = {
        owner: (sum(row.values()), row["in_time"], row["late"], row["not_due"])
        for owner, row in by_rep.items()
    }
    return figures


def figures_first_response(report: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: report[k] for k in ("in_time", "late", "not_due", "closed_early")},
        "median_hours": report["response_hours"]["median"],
        "p90_hours": report["response_hours"]["p90"],
        "by_rep": {
            row["user_id"]: (row["clocks"], row["in_time"], row["late"], row["not_due"])
            for row in report["by_rep"]
        },
    }


def _task_counts_sql(scope: Scope) -> str:
    """Per task owner the viewer sees: the tasks due in the period (not cancelled), done, done
    on time; and the open ones past due now. Two parts, not one scan with an OR, so that each
    is served by its index (due_at; owner, status, due_at)."""
    return f"""
        SELECT owner_id, SUM(due) AS due, SUM(done) AS done, SUM(on_time) AS on_time,
            SUM(overdue) AS overdue
        FROM (
            SELECT a.owner_id, COUNT(*) AS due,
                SUM(CASE WHEN a.status = 'done' THEN 1 ELSE 0 END) AS done,
                SUM(CASE WHEN a.status = 'done' AND a.completed_at <= a.due_at
                    THEN 1 ELSE 0 END) AS on_time,
                0 AS overdue
            FROM records_activity a
            WHERE a.kind = 'task' AND {scope.in_period("a.due_at")}
                AND a.status <> 'cancelled' AND {scope.visible("a")}
            GROUP BY a.owner_id
            UNION ALL
            SELECT a.owner_id, 0, 0, 0, COUNT(*) FROM records_activity a
            WHERE a.kind = 'task' AND a.status = 'open' AND a.due_at < %(now)s
                AND {scope.visible("a")}
            GROUP BY a.owner_id
        ) counted
        GROUP BY owner_id"""


def floor_tasks(scope: Scope) -> dict[str, Any]:
    sql = _task_counts_sql(scope)
    by_rep = {row[0]: tuple(int(n) for n in row[1:]) for row in _fetch(sql, scope.params())}
    totals = [sum(row[i] for row in by_rep.values()) for i in range(4)]
    return {
        "due": totals[0],
        "done": totals[1],
        "on_time": totals[2],
        "overdue_now": totals[3],
        "by_rep": by_rep,
    }


def figures_tasks(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("due", "done", "on_time", "overdue_now")
    return {
        **{k: report[k] for k in keys},
        "by_rep": {row["user_id"]: tuple(row[k] for k in keys) for row in report["by_rep"]},
    }


def floor_lost_reasons(scope: Scope) -> dict[str, Any]:
    obj = _playbook().object("deal")
    names = obj.reports
    entered_lost = " OR ".join(
        f"({scope.text('e.data', 'pipeline')} = '{p.key}'"
        f" AND {scope.text('e.data', 'stage')} IN {_in(_kinds(p, 'lost'))})"
        for p in obj.pipelines
    )
    reasons_key, competitor_key, likelihood_key = (
        names.lost_reasons,
        names.competitor,
        names.reactivation,
    )
    if scope.postgres:
        # A multi-choice value is a list; a choice (a string) counts as a list of one.
        elements = f"""jsonb_array_elements(CASE jsonb_typeof(d.custom -> '{reasons_key}')
            WHEN 'array' THEN d.custom -> '{reasons_key}'
            WHEN 'string' THEN jsonb_build_array(d.custom -> '{reasons_key}')
            ELSE '[]'::jsonb END) r"""
        reason = "(r.value #>> '{}')"
        chosen = f"jsonb_typeof(r.value) = 'string' AND {reason} <> ''"
    else:
        elements = f"json_each(d.custom, '$.{reasons_key}') r"
        reason = "r.value"
        chosen = "r.type = 'text' AND r.value <> ''"
    competitor = (
        f"COALESCE(NULLIF(TRIM(CASE WHEN {scope.is_text('d.custom', competitor_key)}"
        f" THEN {scope.text('d.custom', competitor_key)} END), ''), 'unknown')"
    )
    likelihood = (
        f"COALESCE(NULLIF(CASE WHEN {scope.is_text('d.custom', likelihood_key)}"
        f" THEN {scope.text('d.custom', likelihood_key)} END, ''), 'unknown')"
    )
    sql = f"""
        WITH lost AS (
            SELECT d.id, d.custom FROM records_deal d
            WHERE {scope.visible("d")} AND d.id IN (
                SELECT e.record_id FROM core_event e
                WHERE e.kind = 'stage_entered' AND {scope.in_period("e.occurred_at")}
                    AND e.record_type = 'deal' AND ({entered_lost}))
        )
        SELECT 'lost', NULL, COUNT(*) FROM lost
        UNION ALL
        SELECT 'reason', {reason}, COUNT(DISTINCT d.id) FROM lost d, {elements}
        WHERE {chosen} GROUP BY {reason}
        UNION ALL
        SELECT 'without_reason', NULL, COUNT(*) FROM lost d
        WHERE NOT EXISTS (SELECT 1 FROM {elements} WHERE {chosen})
        UNION ALL
        SELECT 'competitor', {competitor}, COUNT(*) FROM lost d GROUP BY 2
        UNION ALL
        SELECT 'reactivation', {likelihood}, COUNT(*) FROM lost d GROUP BY 2"""
    figures: dict[str, Any] = {"reasons": {}, "competitors": {}, "reactivation": {}}
    parts = {"reason": "reasons", "competitor": "competitors", "reactivation": "reactivation"}
    for part, key, count in _fetch(sql, scope.params()):
        if part in ("lost", "without_reason"):
            figures[part] = count
        else:
            figures[parts[part]][key] = count
    return figures


def figures_lost_reasons(report: dict[str, Any]) -> dict[str, Any]:
    def parts(rows: list[dict[str, Any]]) -> dict[str, int]:
        return {row["key"]: row["share"]["part"] for row in rows}

    return {
        "lost": report["lost"],
        "without_reason": report["reasons"]["without_reason"],
        "reasons": parts(report["reasons"]["rows"]),
        "competitors": parts(report["competitors"]["rows"]),
        "reactivation": parts(report["reactivation"]["rows"]),
    }


def _floor_funnel(scope: Scope, object_type: str) -> dict[str, Any]:
    pipeline = _playbook().object(object_type).default_pipeline
    table = f"records_{object_type}"
    stage, to = scope.text("e.data", "stage"), scope.text("e.data", "to")
    lost, won = _in(_kinds(pipeline, "lost")), _in(_kinds(pipeline, "won"))
    sql = f"""
        WITH cohort AS (
            SELECT r.id FROM {table} r
            WHERE {scope.visible("r")} AND {scope.in_period("r.created_at")}
                AND r.pipeline = %(pipeline)s
        ),
        moves AS (
            SELECT e.record_id, e.kind, {stage} AS stage, {to} AS to_stage
            FROM core_event e
            WHERE e.record_type = %(record_type)s AND e.kind IN ('stage_entered', 'stage_left')
                AND e.record_id IN (SELECT id FROM cohort)
        )
        SELECT 'cohort', NULL, COUNT(*), 0 FROM cohort
        UNION ALL
        SELECT 'entered', stage, COUNT(DISTINCT record_id), 0 FROM moves
        WHERE kind = 'stage_entered' GROUP BY stage
        UNION ALL
        SELECT 'left', stage,
            COUNT(DISTINCT CASE WHEN to_stage IN {lost} THEN NULL ELSE record_id END),
            COUNT(DISTINCT CASE WHEN to_stage IN {lost} THEN record_id END)
        FROM moves WHERE kind = 'stage_left' GROUP BY stage
        UNION ALL
        SELECT 'won', NULL, COUNT(DISTINCT record_id), 0 FROM moves
        WHERE kind = 'stage_entered' AND stage IN {won}"""
    stages = {s.key: [0, 0, 0] for s in pipeline.stages}
    figures: dict[str, Any] = {"cohort": 0, "won": 0}
    for part, key, first, second in _fetch(
        sql, scope.params(pipeline=pipeline.key, record_type=object_type)
    ):
        if part in ("cohort", "won"):
            figures[part] = first
        elif key in stages:
            if part == "entered":
                stages[key][0] = first
            else:
                stages[key][1:] = [first, second]
    figures["stages"] = {key: tuple(counts) for key, counts in stages.items()}
    return figures


def figures_funnel(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "cohort": report["cohort"],
        "won": report["overall"]["part"],
        "stages": {s["stage"]: (s["entered"], s["advanced"], s["lost"]) for s in report["stages"]},
    }


def _floor_dwell(scope: Scope, object_type: str) -> dict[str, Any]:
    pipeline = _playbook().object(object_type).default_pipeline
    table = f"records_{object_type}"
    days, business = (
        scope.number("e.data", "days_in_stage"),
        scope.number("e.data", "business_days"),
    )
    limits = [s for s in pipeline.stages if s.kind == "open" and s.idle_days]
    idle = " OR ".join(
        f"(r.stage = '{s.key}' AND r.stage_entered_at < %(idle_{s.key})s)" for s in limits
    )
    spread = ", ".join(
        f"MAX(CASE WHEN {{place}} = {_rank(share)} THEN {{value}} END)" for share in (50, 75, 90)
    )
    sql = f"""
        WITH stays AS (
            SELECT {scope.text("e.data", "stage")} AS stage,
                CASE WHEN {scope.is_number("e.data", "days_in_stage")} THEN {days} END AS days,
                {business} AS business
            FROM core_event e
            WHERE e.record_type = %(record_type)s AND e.kind = 'stage_left'
                AND {scope.in_period("e.occurred_at")}
                AND e.record_id IN (
                    SELECT r.id FROM {table} r
                    WHERE {scope.visible("r")} AND r.pipeline = %(pipeline)s)
        ),
        ranked AS (
            SELECT stage, days, business,
                ROW_NUMBER() OVER (PARTITION BY stage ORDER BY days) AS by_days,
                ROW_NUMBER() OVER (PARTITION BY stage ORDER BY business) AS by_business,
                COUNT(*) OVER (PARTITION BY stage) AS n
            FROM stays WHERE days IS NOT NULL
        )
        SELECT 'stays', stage, n, {spread.format(place="by_days", value="days")},
            {spread.format(place="by_business", value="business")}
        FROM ranked GROUP BY stage, n
        UNION ALL
        SELECT 'idle', r.stage, COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL FROM {table} r
        WHERE {scope.visible("r")} AND r.pipeline = %(pipeline)s AND ({idle or "1 = 0"})
        GROUP BY r.stage"""
    params = scope.params(
        pipeline=pipeline.key,
        record_type=object_type,
        **{f"idle_{s.key}": scope.now - timedelta(days=s.idle_days) for s in limits},
    )
    stays: dict[str, tuple[Any, ...]] = {}
    idle_now: dict[str, int] = {}
    for part, key, n, *values in _fetch(sql, params):
        if part == "stays":
            stays[key] = (n, *(_round(v) for v in values))
        else:
            idle_now[key] = n
    stages = {}
    for stage in pipeline.stages:
        if stage.kind != "open" and stage.key not in stays:
            continue
        counted = stays.get(stage.key, (0, *([None] * 6)))
        over = idle_now.get(stage.key, 0) if stage.kind == "open" and stage.idle_days else None
        stages[stage.key] = (*counted, over)
    return {"stages": stages}


def figures_dwell(report: dict[str, Any]) -> dict[str, Any]:
    spread = ("median", "p75", "p90")
    return {
        "stages": {
            s["stage"]: (
                s["stays"],
                *(s["days"][k] for k in spread),
                *(s["business_days"][k] for k in spread),
                s["over_idle_now"],
            )
            for s in report["stages"]
        }
    }


def floor_quotes(scope: Scope) -> dict[str, Any]:
    deal = _playbook().object("deal")
    quote_stage = deal.reports.quote_stage
    won = _in({k for p in deal.pipelines for k in _kinds(p, "won")})
    lost = _in({k for p in deal.pipelines for k in _kinds(p, "lost")})
    stage = scope.text("e.data", "stage")
    earlier_stage = scope.text("p.data", "stage")
    sql = f"""
        WITH firsts AS (
            SELECT e.record_id AS id, e.occurred_at AS quoted_at FROM core_event e
            WHERE e.kind = 'stage_entered' AND {scope.in_period("e.occurred_at")}
                AND e.record_type = 'deal' AND {stage} = %(quote_stage)s
                AND NOT EXISTS (
                    SELECT 1 FROM core_event p
                    WHERE p.record_type = 'deal' AND p.record_id = e.record_id
                        AND p.occurred_at < e.occurred_at AND p.kind = 'stage_entered'
                        AND {earlier_stage} = %(quote_stage)s)
        ),
        quoted AS (
            SELECT d.id, f.quoted_at,
                CASE WHEN d.stage IN {won} THEN 'won' WHEN d.stage IN {lost} THEN 'lost'
                     ELSE 'open' END AS outcome,
                CASE WHEN (d.stage IN {won} OR d.stage IN {lost}) AND d.closed_at IS NOT NULL
                     THEN d.closed_at ELSE %(now)s END AS until
            FROM records_deal d JOIN firsts f ON f.id = d.id
            WHERE {scope.visible("d")}
        ),
        contacts AS (
            SELECT q.id, COUNT(*) AS n FROM quoted q
            JOIN records_activity a ON a.deal_id = q.id
            WHERE {_contact("a")} AND a.occurred_at >= q.quoted_at AND a.occurred_at <= q.until
            GROUP BY q.id
        )
        SELECT q.outcome, COUNT(*), COALESCE(SUM(c.n), 0)
        FROM quoted q LEFT JOIN contacts c ON c.id = q.id
        GROUP BY q.outcome"""
    counts = {"won": (0, 0), "lost": (0, 0), "open": (0, 0)}
    for outcome, deals, contacts in _fetch(sql, scope.params(quote_stage=quote_stage)):
        counts[outcome] = (int(deals), int(contacts))
    return {
        "quoted": sum(deals for deals, _c in counts.values()),
        "won": counts["won"][0],
        "lost": counts["lost"][0],
        "open": counts["open"][0],
        "follow_ups": sum(contacts for _d, contacts in counts.values()),
        "follow_ups_won": counts["won"][1],
        "follow_ups_lost": counts["lost"][1],
    }


def figures_quotes(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "quoted": report["quoted"],
        "won": report["won"]["part"],
        "lost": report["lost"]["part"],
        "open": report["open"]["part"],
        "follow_ups": report["follow_ups"]["contacts"],
        "follow_ups_won": report["follow_ups_won"]["contacts"],
        "follow_ups_lost": report["follow_ups_lost"]["contacts"],
    }


def _closing(scope: Scope) -> tuple[str, str]:
    """Conditions on a stage event `e`: it entered a won or lost stage of a deal pipeline; it
    entered a won stage."""
    deal = _playbook().object("deal")
    stage, pipeline = scope.text("e.data", "stage"), scope.text("e.data", "pipeline")
    closing = " OR ".join(
        f"({pipeline} = '{p.key}' AND {stage} IN {_in(_kinds(p, 'won', 'lost'))})"
        for p in deal.pipelines
    )
    winning = " OR ".join(
        f"({pipeline} = '{p.key}' AND {stage} IN {_in(_kinds(p, 'won'))})" for p in deal.pipelines
    )
    return closing, winning


def _closed_sql(scope: Scope, events: str = "core_event") -> str:
    """The deals the viewer sees that entered a won or lost stage in the period, each once:
    whether one of those entries was into a won stage, and the last of them (`closed_on`);
    the completed outbound contacts on each up to then; and created_at. `events`: the event
    table, or a CTE holding the period's events."""
    closing, winning = _closing(scope)
    return f"""
        closing AS (
            SELECT e.record_id AS id, MAX(e.occurred_at) AS closed_on,
                MAX(CASE WHEN {winning} THEN 1 ELSE 0 END) AS won,
                MIN(CASE WHEN {winning} THEN e.occurred_at END) AS won_on
            FROM {events} e
            WHERE e.kind = 'stage_entered' AND {scope.in_period("e.occurred_at")}
                AND e.record_type = 'deal' AND ({closing})
            GROUP BY e.record_id
        ),
        closed AS (
            SELECT d.id, d.owner_id, d.created_at, c.closed_on, c.won, c.won_on,
                (SELECT COUNT(*) FROM records_activity a
                 WHERE a.deal_id = d.id AND {_contact("a")} AND a.occurred_at <= c.closed_on)
                    AS follow_ups
            FROM records_deal d JOIN closing c ON c.id = d.id
            WHERE {scope.visible("d")}
        )"""


def floor_reps(scope: Scope) -> dict[str, Any]:
    sla = _playbook().object("lead").reports.response_sla
    reps = (
        "1 = 1"
        if scope.owners is None
        else f"u.id IN ({', '.join(str(pk) for pk in scope.owners)})"
    )
    closing, _winning = _closing(scope)
    exception = scope.has_key("e.data", "exception")
    sql = f"""
        WITH clocks AS ({_clocks_sql(scope)}),
        moves AS (
            SELECT e.record_type, e.record_id, e.kind, e.occurred_at, e.data FROM core_event e
            WHERE {scope.in_period("e.occurred_at")} AND (
                e.kind = 'stage_entered' AND e.record_type = 'deal' AND ({closing})
                OR e.kind = 'stage_left' AND e.record_type IN ('lead', 'deal') AND {exception})
        ),
        answered AS (
            SELECT owner_id, micros,
                ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY micros) AS place,
                COUNT(*) OVER (PARTITION BY owner_id) AS n,
                ROW_NUMBER() OVER (ORDER BY micros) AS place_all,
                COUNT(*) OVER () AS n_all
            FROM clocks WHERE micros IS NOT NULL
        ),
        {_closed_sql(scope, events="moves")}
        SELECT 'rep', u.id, 0, 0, 0 FROM core_user u
        WHERE u.is_active AND u.role = 'rep' AND {reps}
        UNION ALL
        SELECT 'leads', l.owner_id, COUNT(*), 0, 0 FROM records_lead l
        WHERE {scope.visible("l")} AND {scope.in_period("l.received_at")} GROUP BY l.owner_id
        UNION ALL
        SELECT 'closed', owner_id, COUNT(*), SUM(won), SUM(follow_ups) FROM closed
        GROUP BY owner_id
        UNION ALL
        SELECT 'clocks', owner_id, SUM(CASE WHEN outcome = 'in_time' THEN 1 ELSE 0 END),
            SUM(CASE WHEN outcome = 'late' THEN 1 ELSE 0 END), 0
        FROM clocks GROUP BY owner_id
        UNION ALL
        SELECT 'p50', owner_id, micros, 0, 0 FROM answered WHERE place = {_rank(50)}
        UNION ALL
        SELECT 'p50_all', NULL, micros, 0, 0 FROM answered
        WHERE place_all = (n_all * 50 + 99) / 100
        UNION ALL
        SELECT 'tasks', owner_id, due, on_time, 0 FROM ({_task_counts_sql(scope)}) tasks
        UNION ALL
        SELECT 'exceptions', COALESCE(l.owner_id, d.owner_id), COUNT(*), 0, 0
        FROM moves e
        LEFT JOIN records_lead l ON e.record_type = 'lead' AND l.id = e.record_id
        LEFT JOIN records_deal d ON e.record_type = 'deal' AND d.id = e.record_id
        WHERE e.kind = 'stage_left' AND (l.id IS NOT NULL AND {scope.visible("l")}
                 OR d.id IS NOT NULL AND {scope.visible("d")})
        GROUP BY COALESCE(l.owner_id, d.owner_id)"""
    names = (
        "leads",
        "deals_closed",
        "won",
        "follow_ups",
        "in_time",
        "late",
        "due",
        "on_time",
        "exceptions",
    )
    rows: dict[Any, dict[str, Any]] = {}
    median_all = None
    for part, owner_id, a, b, c in _fetch(sql, scope.params(sla=sla)):
        if part == "p50_all":
            median_all = _round(_hours(a))
            continue
        row = rows.setdefault(owner_id, {**dict.fromkeys(names, 0), "response_hours": None})
        if part == "leads":
            row["leads"] += a
        elif part == "closed":
            row["deals_closed"] += a
            row["won"] += int(b)
            row["follow_ups"] += int(c)
        elif part == "clocks":
            row["in_time"] += int(a)
            row["late"] += int(b)
        elif part == "p50":
            row["response_hours"] = _round(_hours(a))
        elif part == "tasks":
            row["due"] += int(a)
            row["on_time"] += int(b)
        elif part == "exceptions":
            row["exceptions"] += a
    total = {name: sum(row[name] for row in rows.values()) for name in names}
    total["response_hours"] = median_all
    columns = (*names, "response_hours")
    return {
        "rows": {owner: tuple(row[k] for k in columns) for owner, row in rows.items()},
        "total": tuple(total[k] for k in columns),
    }


def figures_reps(report: dict[str, Any]) -> dict[str, Any]:
    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        return (
            row["leads"],
            row["deals_closed"],
            row["won"],
            row["follow_ups"],
            row["sla_rate"]["part"],
            row["sla_rate"]["whole"] - row["sla_rate"]["part"],
            row["tasks_on_time"]["whole"],
            row["tasks_on_time"]["part"],
            row["exceptions"],
            row["response_hours"],
        )

    return {
        "rows": {row["key"]: values(row) for row in report["rows"]},
        "total": values(report["total"]),
    }


MIN_CLOSED, TOP_REPS, FASTEST_WINS, WEEK_SECONDS = 5, 3, 5, 7 * 86400  # best_practice's


def floor_best_practice(scope: Scope) -> dict[str, Any]:
    deal = _playbook().object("deal")
    open_stages = _in({k for p in deal.pipelines for k in _kinds(p, "open")})
    stage = scope.text("e.data", "stage")
    name = (
        "COALESCE(NULLIF(u.display_name, ''),"
        " NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username)"
    )
    sql = f"""
        WITH {_closed_sql(scope)},
        stays AS (
            SELECT c.owner_id, c.id, {stage} AS stage,
                SUM(COALESCE({scope.number("e.data", "days_in_stage")}, 0)) AS days
            FROM closed c
            JOIN core_event e ON e.record_type = 'deal' AND e.record_id = c.id
            WHERE c.won = 1 AND e.kind = 'stage_left' AND e.occurred_at < %(end)s
                AND e.occurred_at <= c.closed_on AND {stage} IN {open_stages}
            GROUP BY c.owner_id, c.id, {stage}
        ),
        ranked AS (
            SELECT owner_id, stage, days,
                ROW_NUMBER() OVER (PARTITION BY owner_id, stage ORDER BY days) AS place,
                COUNT(*) OVER (PARTITION BY owner_id, stage) AS n,
                ROW_NUMBER() OVER (PARTITION BY stage ORDER BY days) AS place_all,
                COUNT(*) OVER (PARTITION BY stage) AS n_all
            FROM stays
        ),
        fastest AS (
            SELECT id, created_at, won_on, {scope.micros("won_on", "created_at")} AS to_win
            FROM closed WHERE won = 1
            ORDER BY to_win, id LIMIT {FASTEST_WINS}
        ),
        steps AS (
            SELECT f.id, f.to_win, {stage} AS stage, e.occurred_at,
                LEAD(e.occurred_at) OVER (
                    PARTITION BY f.id ORDER BY e.occurred_at, e.id) AS next_at,
                ROW_NUMBER() OVER (PARTITION BY f.id ORDER BY e.occurred_at, e.id) AS step
            FROM fastest f
            JOIN core_event e ON e.record_type = 'deal' AND e.record_id = f.id
            WHERE e.kind = 'stage_entered' AND e.occurred_at <= f.won_on
        )
        SELECT 'closed', c.owner_id, MAX({name}), COUNT(*), SUM(c.won), SUM(c.follow_ups),
            SUM({scope.at_least_zero(scope.micros("c.closed_on", "c.created_at"))})
        FROM closed c LEFT JOIN core_user u ON u.id = c.owner_id
        GROUP BY c.owner_id
        UNION ALL
        SELECT 'channel', a.owner_id, a.channel, COUNT(*), 0, 0, 0 FROM records_activity a
        WHERE {_contact("a")} AND {scope.in_period("a.occurred_at")} AND {scope.visible("a")}
        GROUP BY a.owner_id, a.channel
        UNION ALL
        SELECT 'stage', owner_id, stage, n, days, 0, 0 FROM ranked WHERE place = {_rank(50)}
        UNION ALL
        SELECT 'stage_all', NULL, stage, n_all, days, 0, 0 FROM ranked
        WHERE place_all = (n_all * 50 + 99) / 100
        UNION ALL
        SELECT 'step', id, stage, to_win, {scope.micros("next_at", "occurred_at")}, step, 0
        FROM steps"""
    owners: dict[Any, dict[str, Any]] = {}
    channels: dict[Any, dict[str, int]] = {}
    stage_days: dict[Any, dict[str, tuple[Any, int]]] = {}
    steps: list[tuple[Any, ...]] = []
    rows = _fetch(sql, scope.params())
    for part, owner_id, key, a, b, c, d in rows:
        if part == "closed":
            owners[owner_id] = {
                "name": key,
                "closed": a,
                "won": int(b),
                "follow_ups": int(c),
                "micros": int(d or 0),
            }
        elif part == "channel":
            channels.setdefault(owner_id, {})[key] = a
        elif part in ("stage", "stage_all"):
            who = owner_id if part == "stage" else "all"
            stage_days.setdefault(who, {})[key] = (_round(b), a)
        else:
            steps.append((owner_id, int(c), key, int(a), b))

    def practice(who: Any, members: list[Any]) -> tuple[Any, ...]:
        owned = [owners[o] for o in members if o in owners]
        closed = sum(o["closed"] for o in owned)
        follow_ups = sum(o["follow_ups"] for o in owned)
        weeks = sum(o["micros"] for o in owned) / 10**6 / WEEK_SECONDS
        counted: dict[str, int] = {}
        for member in members:
            for channel, count in channels.get(member, {}).items():
                counted[channel] = counted.get(channel, 0) + count
        return (
            closed,
            sum(o["won"] for o in owned),
            follow_ups,
            round(weeks, 1),
            None if weeks <= 0 else round(follow_ups / weeks, 2),
            counted,
            stage_days.get(who, {}),
        )

    candidates = [o for o, x in owners.items() if o is not None and x["closed"] >= MIN_CLOSED]
    candidates.sort(
        key=lambda o: (
            -owners[o]["won"] / owners[o]["closed"],
            -owners[o]["won"],
            str(owners[o]["name"]).casefold(),
            o,
        )
    )
    fastest: dict[Any, tuple[int, list[tuple[str, Any]]]] = {}
    for deal_id, _step, key, to_win, to_next in sorted(steps):
        days = None if to_next is None else round(int(to_next) / 10**6 / 86400, 1)
        fastest.setdefault(deal_id, (to_win, []))[1].append((key, days))
    order = sorted(fastest, key=lambda pk: (fastest[pk][0], pk))
    return {
        "top": [(o, *practice(o, [o])) for o in candidates[:TOP_REPS]],
        "team": practice("all", list({*owners, *channels})),
        "fastest": [
            (pk, round(fastest[pk][0] / 10**6 / 86400, 1), tuple(fastest[pk][1])) for pk in order
        ],
    }


def figures_best_practice(report: dict[str, Any]) -> dict[str, Any]:
    def practice(p: dict[str, Any]) -> tuple[Any, ...]:
        return (
            p["deals_closed"],
            p["won"],
            p["follow_ups"],
            p["deal_weeks"],
            p["follow_ups_per_week"],
            {c["channel"]: c["part"] for c in p["channels"]},
            {s["stage"]: (s["median_days"], s["deals"]) for s in p["stage_days"]},
        )

    return {
        "top": [(rep["user_id"], *practice(rep)) for rep in report["top"]],
        "team": practice(report["team"]),
        "fastest": [
            (
                win["deal_id"],
                win["days_to_win"],
                tuple((step["stage"], step["days"]) for step in win["path"]),
            )
            for win in report["fastest"]
        ],
    }


# -- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A report function (`module`.`function` in sopcrm.crm.reports, with `options`), how to
    read its figures from as_dict(), and its floor."""

    key: str
    label: str
    module: str
    function: str
    options: tuple[tuple[str, Any], ...]
    figures: Callable[[dict[str, Any]], dict[str, Any]]
    floor: Callable[[Scope], dict[str, Any]]

    def find(self) -> Callable[..., Any] | None:
        """The report function, or None while its module (or the function) does not exist."""
        try:
            module = importlib.import_module(f"sopcrm.crm.reports.{self.module}")
        except ModuleNotFoundError as missing:
            if missing.name == f"sopcrm.crm.reports.{self.module}":
                return None
            raise
        found: Callable[..., Any] | None = getattr(module, self.function, None)
        return found

    def kwargs(self) -> dict[str, Any]:
        from sopcrm.playbook.schema import ObjectType

        return {
            name: ObjectType(value) if name == "object_type" else value
            for name, value in self.options
        }


def _object(object_type: str) -> tuple[tuple[str, Any], ...]:
    return (("object_type", object_type),)


CASES = (
    Case(
        "first_response",
        "First response",
        "first_response",
        "first_response_report",
        (),
        figures_first_response,
        floor_first_response,
    ),
    Case(
        "funnel",
        "Stage funnel (deals)",
        "funnel",
        "funnel_report",
        _object("deal"),
        figures_funnel,
        lambda scope: _floor_funnel(scope, "deal"),
    ),
    Case(
        "funnel_leads",
        "Stage funnel (leads)",
        "funnel",
        "funnel_report",
        _object("lead"),
        figures_funnel,
        lambda scope: _floor_funnel(scope, "lead"),
    ),
    Case(
        "dwell",
        "Stage dwell time (deals)",
        "dwell",
        "dwell_report",
        _object("deal"),
        figures_dwell,
        lambda scope: _floor_dwell(scope, "deal"),
    ),
    Case(
        "dwell_leads",
        "Stage dwell time (leads)",
        "dwell",
        "dwell_report",
        _object("lead"),
        figures_dwell,
        lambda scope: _floor_dwell(scope, "lead"),
    ),
    Case("quotes", "Quote outcomes", "quotes", "quotes_report", (), figures_quotes, floor_quotes),
    Case("tasks", "Tasks", "tasks", "tasks_report", (), figures_tasks, floor_tasks),
    Case(
        "lost_reasons",
        "Lost reasons",
        "lost",
        "lost_reasons_report",
        (),
        figures_lost_reasons,
        floor_lost_reasons,
    ),
    Case("reps", "Per rep", "reps", "reps_report", (("by", "rep"),), figures_reps, floor_reps),
    Case(
        "best_practice",
        "Best practice",
        "best_practice",
        "best_practice_report",
        (),
        figures_best_practice,
        floor_best_practice,
    ),
)


# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date


def periods(at: datetime) -> list[Period]:
    """The last full month before `at` (the data's moment, in the server's time zone) and the
    last three full months."""
    from django.utils import timezone

    first = timezone.localtime(at).date().replace(day=1)
    month_end = first - timedelta(days=1)
    month_start = month_end.replace(day=1)
    quarter_start = month_start
    for _n in range(2):
        quarter_start = (quarter_start - timedelta(days=1)).replace(day=1)
    return [Period("month", month_start, month_end), Period("quarter", quarter_start, month_end)]


@dataclass(frozen=True)
class Viewer:
    persona: str
    user: Any
    owners: tuple[int, ...] | None  # what the floors see (None: everything)


def _viewer(persona: str, username: str) -> Viewer:
    from sopcrm.core.models import User

    user = User.objects.get(username=username)
    if user.is_admin:
        return Viewer(persona, user, None)
    assert user.is_manager and user.team_id is not None, "the bench times a manager and an admin"
    members = User.objects.filter(team_id=user.team_id).values_list("pk", flat=True)
    return Viewer(persona, user, tuple(sorted({*members, user.pk})))


def _median_ms(run: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    """The median milliseconds of `repeat` runs, fewer when they pass BUDGET_SECONDS (a
    report taking a minute at a million deals is timed once or twice, not five times)."""
    samples: list[float] = []
    while len(samples) < repeat and (not samples or sum(samples) < BUDGET_SECONDS * 1000):
        start = perf_counter()
        run()
        samples.append((perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1), [round(ms, 1) for ms in samples]


def differences(report: Any, floor: Any, path: str = "") -> list[str]:
    """Where the floor's figures differ from the report's (empty: the same)."""
    if isinstance(report, dict) and isinstance(floor, dict):
        found = []
        for key in sorted({*report, *floor}, key=str):
            if key not in floor or key not in report:
                side = "floor" if key not in report else "report"
                found.append(f"{path}/{key}: only in the {side}")
            else:
                found += differences(report[key], floor[key], f"{path}/{key}")
        return found
    if isinstance(report, list | tuple) and isinstance(floor, list | tuple):
        if len(report) != len(floor):
            return [f"{path}: {len(report)} items in the report, {len(floor)} in the floor"]
        found = []
        for i, (mine, theirs) in enumerate(zip(report, floor, strict=True)):
            found += differences(mine, theirs, f"{path}[{i}]")
        return found
    if isinstance(report, float | int) and isinstance(floor, float | int):
        if report == floor or abs(report - floor) <= 1e-9 * max(1.0, abs(report)):
            return []
    elif report == floor:
        return []
    return [f"{path}: report {report!r}, floor {floor!r}"]


def _logged(run: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """One run of a report (the warm-up) with the statements it sent: how many, their total
    milliseconds, the three slowest."""
    from django.db import connection

    from bench.pages import QueryLog

    log = QueryLog(keep=True)
    with connection.execute_wrapper(log):
        result = run()
    slowest = sorted(log.entries, key=lambda e: e[0], reverse=True)[:3]
    return result, {
        "count": log.count,
        "database_ms": round(sum(ms for ms, _s, _p in log.entries), 1),
        "slowest": [
            {"ms": round(ms, 1), "sql": sql[:3000], "params": [str(p) for p in params or ()]}
            for ms, sql, params in slowest
        ],
        "_slowest": slowest[0] if slowest else None,  # for its plan; not written
    }


def _plan(statement: tuple[float, str, Any] | None) -> str | None:
    """EXPLAIN (ANALYZE, BUFFERS) of a report's slowest statement (it runs once more)."""
    from bench.pages import _explain

    return None if statement is None else _explain(statement[1], statement[2])


def run(
    *,
    data: dict[str, Any],
    repeat: int = 5,
    only: frozenset[str] = frozenset(),
    spans: Sequence[Period] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time every report (or those keyed in `only`) and its floor for the manager and the
    admin of the generated data (`data`: the generator's summary) over its last month and
    quarter (or the periods in `spans`), and compare their figures; `progress` hears of each
    report as it is timed."""
    import time_machine
    from django.db import connection
    from django.utils import timezone

    from sopcrm.crm.reports.filters import report_filter

    at = datetime.fromisoformat(data["at"])
    spans = list(spans) if spans is not None else periods(at)
    viewers = [_viewer(p, data["personas"][p]) for p in ("manager", "admin")]
    moment = timezone.now()  # "now" for every report and floor of the run
    timed = []
    with time_machine.travel(moment, tick=False):
        for case in CASES:
            if only and case.key not in only:
                continue
            report_function = case.find()
            for viewer in viewers:
                for period in spans:
                    row: dict[str, Any] = {
                        "report": case.key,
                        "label": case.label,
                        "persona": viewer.persona,
                        "period": period.key,
                        "from": period.start.isoformat(),
                        "to": period.end.isoformat(),
                    }
                    timed.append(row)
                    if report_function is None:
                        row["missing"] = True
                        continue
                    filters = report_filter(
                        {"from": period.start.isoformat(), "to": period.end.isoformat()},
                        today=period.end,
                    )
                    kwargs = case.kwargs()
                    scope = Scope(
                        postgres=connection.vendor == "postgresql",
                        owners=viewer.owners,
                        start=filters.start_at,
                        end=filters.end_at,
                        now=moment,
                    )

                    def report_once(
                        f: Callable[..., Any] = report_function,
                        u: Any = viewer.user,
                        r: Any = filters,
                        k: dict[str, Any] = kwargs,
                    ) -> Any:
                        return f(u, r, **k)

                    def floor_once(c: Case = case, s: Scope = scope) -> dict[str, Any]:
                        return c.floor(s)

                    try:
                        first, row["statements"] = _logged(report_once)  # also the warm-up
                        reported = case.figures(first.as_dict())
                    except Exception as failure:  # a report being written may fail: say so
                        row["error"] = f"{type(failure).__name__}: {failure}"
                        continue
                    floor = floor_once()
                    row["report_ms"], row["report_runs"] = _median_ms(report_once, repeat)
                    row["floor_ms"], row["floor_runs"] = _median_ms(floor_once, repeat)
                    row["ratio"] = round(row["report_ms"] / max(row["floor_ms"], 0.01), 2)
                    row["differences"] = differences(reported, floor)
                    row["equal"] = not row["differences"]
                    slowest = row["statements"].pop("_slowest")
                    if row["ratio"] > SLOW_RATIO and scope.postgres:
                        row["plan"] = _plan(slowest)
                    if progress is not None:
                        progress(
                            f"{case.key}, {viewer.persona}, {period.key}: report"
                            f" {row['report_ms']:,.1f} ms, floor {row['floor_ms']:,.1f} ms"
                            f"{'' if row['equal'] else ', figures differ'}"
                        )
                    row["figures"] = floor
    return {
        "suite": "reports",
        "parameters": {"repeat": repeat, "only": sorted(only)},
        "machine": machine_description(),
        "data": data,
        "now": moment.isoformat(),
        "periods": [
            {"key": p.key, "from": p.start.isoformat(), "to": p.end.isoformat()} for p in spans
        ],
        "personas": {v.persona: v.user.username for v in viewers},
        "reports": timed,
    }


def report(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for row in result["reports"]:
        head = [row["label"], row["persona"], f"{row['period']} ({row['from']}..{row['to']})"]
        if row.get("missing"):
            rows.append([*head, "missing", "", "", ""])
        elif row.get("error"):
            rows.append([*head, "error", "", "", row["error"][:60]])
        else:
            rows.append(
                [
                    *head,
                    f"{row['report_ms']:,.1f}",
                    f"{row['floor_ms']:,.1f}",
                    f"{row['ratio']:.2f}x",
                    "yes" if row["equal"] else f"NO ({len(row['differences'])})",
                ]
            )
    return rows


def mismatches(result: dict[str, Any]) -> list[str]:
    """A line per difference between a floor and its report (at most 10 per report run)."""
    lines = []
    for row in result["reports"]:
        for difference in row.get("differences", [])[:10]:
            lines.append(f"{row['report']} {row['persona']} {row['period']}: {difference}")
    return lines


def write(result: dict[str, Any]) -> Path:
    return write_latest("reports", result)
