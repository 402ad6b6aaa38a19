"""Server time of the pages people use all day, on a database of realistic size (issue 7: "well
under 200 ms with 100,000 deals").

The database is the generator's (bench/generate.py), kept between runs because 100,000 deals
take minutes to generate: `kept_database` opens it and `ensure_data` generates it only when it
does not hold that scale yet. Each page is requested through django.test.Client (the whole
Django stack: middleware, session, view, selectors, templates; no network, no browser), signed
in as the busiest rep and as their manager: a warm-up, then `requests` timed requests, with
the queries of each request counted. A page that answers 404 is reported as missing (the deal
board and search may not exist yet). For a page slower than SLOW_MS at the 95th percentile,
the result keeps its slowest queries and their plans."""

import json
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from bench.common import RESULTS_DIR, KeptDatabase, machine_description, write_latest

PAGES_DATABASE = "sopcrm_bench_pages"
DATA_DIR = RESULTS_DIR / "pages-data"  # the SQLite database and what each database holds
SLOW_MS = 100.0
PAGES = (
    ("my_day", "My day", "/"),
    ("deal_list", "Deals", "/deals/"),
    ("deal_list_filtered", "Deals: Quoted, by amount", "/deals/?stage=quoted&sort=-amount"),
    ("deal_board", "Deal board", "/deals/board/"),
    ("deal_page", "A deal", "/deals/{deal}/"),
    ("lead_page", "A lead", "/leads/{lead}/"),
    ("lead_list", "Leads", "/leads/"),
    ("search", "Search", "/search/?q={q}"),
)


# -- the database --------------------------------------------------------------------------


KEPT = KeptDatabase(PAGES_DATABASE, DATA_DIR)


@contextmanager
def kept_database() -> Iterator[str]:
    """The page bench's own database (`sopcrm_bench_pages`, or SQLite in
    bench/results/pages-data/), kept after the run; django.test.Client's host allowed."""
    with KEPT.opened(allowed_hosts="testserver") as where:
        yield where


def ensure_data(
    *, deals: int, seed: int, fresh: bool, progress: Callable[[str], None]
) -> tuple[dict[str, Any], bool]:
    """The generator's summary of what the database holds, and whether it was generated now.
    Kept data is reused when it was generated with the same `deals` and `seed` and still holds
    that many deals and its personas; otherwise (or with `fresh`) the database is emptied and
    generated again."""
    from sopcrm.core.models import User
    from sopcrm.crm.records.models import Deal

    from .generate import generate

    marker = KEPT.marker()
    if not fresh and marker.exists():
        held = json.loads(marker.read_text(encoding="utf-8"))
        if (
            (held.get("deals"), held.get("seed")) == (deals, seed)
            and Deal.objects.count() == deals
            and User.objects.filter(username__in=held["personas"].values()).count() == 3
        ):
            return held, False
    KEPT.empty()
    marker.unlink(missing_ok=True)
    summary = generate(deals=deals, seed=seed, progress=progress)
    marker.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary, True


# -- measuring -----------------------------------------------------------------------------


@dataclass
class QueryLog:
    """The statements of a request through Django's execute wrapper: count, and with `keep`
    each statement's SQL, parameters and milliseconds."""

    keep: bool = False
    count: int = 0
    entries: list[tuple[float, str, Any]] = field(default_factory=list)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            if self.keep:
                self.entries.append(((perf_counter() - start) * 1000, sql, params))


def _percentile(ordered: list[float], share: float) -> float:
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(share * 100) - 1]


def _explain(sql: str, params: Any) -> str:
    from django.db import connection

    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


def time_page(client: Any, url: str, *, warmup: int, requests: int) -> dict[str, Any]:
    """Milliseconds per request (p50, p95, max), queries per request, and for a slow page its
    slowest statements with their plans."""
    from django.db import connection

    first = client.get(url)
    if first.status_code == 404:
        return {"url": url, "status": 404, "missing": True}
    if first.status_code != 200:
        return {"url": url, "status": first.status_code, "error": True}
    for _n in range(max(0, warmup - 1)):
        client.get(url)
    samples, counts = [], []
    for _n in range(requests):
        log = QueryLog()
        with connection.execute_wrapper(log):
            start = perf_counter()
            response = client.get(url)
            samples.append((perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise AssertionError(f"{url} answered {response.status_code} while timed")
        counts.append(log.count)
    ordered = sorted(samples)
    result: dict[str, Any] = {
        "url": url,
        "status": 200,
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(_percentile(ordered, 0.95), 1),
        "max_ms": round(ordered[-1], 1),
        "requests": requests,
        "queries": max(counts),
        "bytes": len(response.content),
    }
    profile = QueryLog(keep=True)
    with connection.execute_wrapper(profile):
        client.get(url)
    result["database_ms"] = round(sum(ms for ms, _s, _p in profile.entries), 1)
    slowest = sorted(profile.entries, key=lambda e: e[0], reverse=True)[:3]
    result["slowest_queries"] = [{"ms": round(ms, 2), "sql": sql[:2000]} for ms, sql, _p in slowest]
    if result["p95_ms"] > SLOW_MS and slowest:
        result["plans"] = [_explain(sql, params) for _ms, sql, params in slowest]
    return result


def _targets(persona: Any) -> dict[str, Any]:
    """What the record pages and search show for this persona: the rep's most recently quoted
    deal (the manager looks at the same one, in their team) and most recently contacted lead;
    a search for a word many company names share (a worst case for a search box)."""
    from sopcrm.crm.records.models import Deal, Lead

    deal = Deal.objects.filter(owner=persona, stage="quoted").order_by("-stage_entered_at").first()
    lead = (
        Lead.objects.filter(owner=persona, stage="contacted").order_by("-stage_entered_at").first()
    )
    assert deal is not None and lead is not None, "the rep has a quoted deal and a contacted lead"
    return {"deal": deal.pk, "lead": lead.pk, "q": lead.company.split()[0]}


def run(
    *,
    personas: dict[str, str],
    warmup: int = 3,
    requests: int = 30,
    only: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Time every page (or those keyed in `only`) for the rep and the manager named in
    `personas` (the generator's summary)."""
    from django.test import Client

    from sopcrm.core.models import User

    rep = User.objects.get(username=personas["rep"])
    targets = _targets(rep)
    pages = []
    for role in ("rep", "manager"):
        client = Client()
        client.force_login(User.objects.get(username=personas[role]))
        for key, label, pattern in PAGES:
            if only and key not in only:
                continue
            url = pattern.format(**targets)
            timed = time_page(client, url, warmup=warmup, requests=requests)
            pages.append({"page": key, "label": label, "persona": role, **timed})
    return {
        "suite": "pages",
        "parameters": {
            "warmup": warmup,
            "requests": requests,
            "slow_ms": SLOW_MS,
            "only": sorted(only),
        },
        "machine": machine_description(),
        "personas": personas,
        "targets": targets,
        "pages": pages,
    }


def report(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for page in result["pages"]:
        name = f"{page['label']} ({page['persona']})"
        if page.get("missing"):
            rows.append([name, "missing (404)", "", "", ""])
        elif page.get("error"):
            rows.append([name, f"HTTP {page['status']}", "", "", ""])
        else:
            rows.append(
                [
                    name,
                    f"{page['p50_ms']:.1f}",
                    f"{page['p95_ms']:.1f}",
                    f"{page['max_ms']:.1f}",
                    str(page["queries"]),
                ]
            )
    return rows


def write(result: dict[str, Any]) -> Path:
    return write_latest("pages", result)
