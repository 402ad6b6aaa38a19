"""`uv run python -m bench timers [--pending N] [--due N] [--repeat N]`: SQLite in a temporary
directory by default; a dedicated PostgreSQL database (`sopcrm_bench`, dropped and created on
the server DATABASE_URL points at) when DATABASE_URL is set.

`pages` and `generate` use a database that is kept between runs (`sopcrm_bench_pages` on the
server DATABASE_URL points at, or SQLite in bench/results/pages-data/), so the 100,000 deals
are generated once; `reports` one of its own (`sopcrm_bench_reports`, or SQLite in
bench/results/reports-data/) for its million deals."""

import argparse
import json
import sys
from collections.abc import Sequence

from bench import throughput
from bench.common import fresh_database, print_table, write_result
from bench.pages import kept_database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    suites = parser.add_subparsers(dest="suite", required=True)
    timers = suites.add_parser("timers", help="finding and firing due timers among many pending")
    timers.add_argument("--pending", type=int, default=1_000_000, help="future timers to generate")
    timers.add_argument("--due", type=int, default=2000, help="due timers fired per repeat")
    timers.add_argument("--repeat", type=int, default=5, help="repeats of each measurement")
    timers.add_argument("--seed", type=int, default=7)
    timers.add_argument(
        "--keep-db", action="store_true", help="leave the PostgreSQL database for inspection"
    )
    intake = suites.add_parser("intake", help="leads per second through the full intake path")
    intake.add_argument("--leads", type=int, default=1000, help="leads taken in per repeat")
    intake.add_argument("--existing", type=int, default=10_000, help="leads already there")
    intake.add_argument("--repeat", type=int, default=3)
    intake.add_argument("--keep-db", action="store_true")
    pages = suites.add_parser("pages", help="server time of the main pages at scale")
    pages.add_argument("--deals", type=int, default=100_000, help="deals in the database")
    pages.add_argument("--seed", type=int, default=7)
    pages.add_argument("--requests", type=int, default=30, help="timed requests per page")
    pages.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    pages.add_argument(
        "--fresh", action="store_true", help="generate again even if the data is there"
    )
    pages.add_argument(
        "--pages", default="", help="only these pages, comma-separated keys (e.g. deal_board)"
    )
    generate = suites.add_parser("generate", help="fill the kept database with generated data")
    generate.add_argument("--deals", type=int, default=100_000)
    generate.add_argument("--seed", type=int, default=7)
    reports = suites.add_parser("reports", help="every report against its hand-written SQL floor")
    reports.add_argument("--deals", type=int, default=1_000_000, help="deals in the database")
    reports.add_argument("--seed", type=int, default=7)
    reports.add_argument(
        "--profile",
        choices=("lean", "full"),
        default="lean",
        help="how much of each story the generator writes (bench/world.py, PROFILES)",
    )
    reports.add_argument("--repeat", type=int, default=5, help="timed runs of each report")
    reports.add_argument(
        "--fresh", action="store_true", help="generate again even if the data is there"
    )
    reports.add_argument(
        "--only", default="", help="only these reports, comma-separated keys (e.g. funnel,dwell)"
    )
    reports.add_argument(
        "--check", action="store_true", help="exit 1 when a floor's figures differ from its report"
    )
    reports.add_argument(
        "--generate-only", action="store_true", help="make sure the data is there, time nothing"
    )
    throughput.add_parsers(suites)  # transitions, load, memory (bench/throughput.py)
    return parser


def _reports(options: argparse.Namespace) -> int:
    if options.deals < 1 or options.repeat < 1:
        print("--deals and --repeat must be at least 1", file=sys.stderr)
        return 2
    from bench.reports import kept_database as reports_database

    with reports_database() as database:
        from bench import generate, reports

        only = frozenset(k for k in options.only.split(",") if k)
        unknown = only - {case.key for case in reports.CASES}
        if unknown:
            print(f"unknown reports: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        print(
            f"reports on {database}: {options.deals:,} deals, seed {options.seed}, "
            f"profile {options.profile}"
        )
        data, made = reports.ensure_data(
            deals=options.deals,
            seed=options.seed,
            profile=options.profile,
            fresh=options.fresh,
            progress=generate.print_progress,
        )
        print_table(
            f"Data ({'generated now' if made else 'kept from ' + data['at']})",
            ["rows", "count"],
            generate.report(data),
        )
        if options.generate_only:
            return 0
        result = reports.run(
            data=data, repeat=options.repeat, only=only, progress=generate.print_progress
        )
    result["generated_now"] = made
    machine, db = result["machine"], result["machine"]["database"]
    print(
        f"\n{machine['cpu']} ({machine['cpus']} CPUs), {machine['ram_gib']} GiB RAM, "
        f"Python {machine['python']}, Django {machine['django']}, {db['vendor']} {db['version']}; "
        f"load average {machine['load_average']}"
    )
    print_table(
        f"Reports ({db['vendor']}, {options.deals:,} deals; median ms of {options.repeat} runs)",
        ["report", "persona", "period", "report ms", "floor ms", "ratio", "floor = report"],
        reports.report(result),
    )
    for line in reports.mismatches(result):
        print(line)
    print(f"\nresult written to {reports.write(result)}")
    return 1 if options.check and reports.mismatches(result) else 0


def _pages(options: argparse.Namespace) -> int:
    if options.deals < 1 or getattr(options, "requests", 1) < 1:
        print("--deals and --requests must be at least 1", file=sys.stderr)
        return 2
    with kept_database() as database:
        from bench import generate, pages

        print(f"pages on {database}: {options.deals:,} deals, seed {options.seed}")
        data, made = pages.ensure_data(
            deals=options.deals,
            seed=options.seed,
            fresh=options.suite == "generate" or options.fresh,
            progress=generate.print_progress,
        )
        print_table(
            f"Data ({'generated now' if made else 'kept from ' + data['at']})",
            ["rows", "count"],
            generate.report(data),
        )
        if options.suite == "generate":
            return 0
        only = frozenset(k for k in options.pages.split(",") if k)
        unknown = only - {key for key, _label, _url in pages.PAGES}
        if unknown:
            print(f"unknown pages: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        result = pages.run(
            personas=data["personas"],
            warmup=options.warmup,
            requests=options.requests,
            only=only,
        )
    result["data"] = data
    result["generated_now"] = made
    machine, db = result["machine"], result["machine"]["database"]
    print(
        f"\n{machine['cpu']} ({machine['cpus']} CPUs), {machine['ram_gib']} GiB RAM, "
        f"Python {machine['python']}, Django {machine['django']}, {db['vendor']} {db['version']}; "
        f"load average {machine['load_average']}"
    )
    print_table(
        f"Pages ({db['vendor']}, {options.deals:,} deals; ms over {options.requests} requests)",
        ["page (signed in as)", "p50", "p95", "max", "queries"],
        pages.report(result),
    )
    for page in result["pages"]:
        for plan in page.get("plans", []):
            print(f"\nplan of a slow query on {page['label']} ({page['persona']}):\n{plan}")
    print(f"\nresult written to {pages.write(result)}")
    return 0


def _intake(options: argparse.Namespace) -> int:
    with fresh_database(keep=options.keep_db) as database:
        from bench import intake

        print(f"intake on {database}: {options.leads:,} leads x {options.repeat}")
        result = intake.run(leads=options.leads, existing=options.existing, repeat=options.repeat)
    print_table(
        f"Intake ({result['machine']['database']['vendor']}; median and p95)",
        ["measure", "median", "p95"],
        intake.report(result),
    )
    print("outcomes:", json.dumps(result["outcomes"]))
    print(f"\nresult written to {write_result('intake', result)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    if options.suite in throughput.SUITES:
        return throughput.main(options)
    if options.suite == "reports":
        return _reports(options)
    if options.suite in ("pages", "generate"):
        return _pages(options)
    if options.suite == "intake":
        return _intake(options)
    if min(options.pending, options.due, options.repeat) < 1:
        print("--pending, --due and --repeat must be at least 1", file=sys.stderr)
        return 2
    with fresh_database(keep=options.keep_db) as database:
        from bench import timers

        print(
            f"timers on {database}: {options.pending:,} pending, {options.due:,} due x "
            f"{options.repeat}"
        )
        result = timers.run(
            pending=options.pending, due=options.due, repeat=options.repeat, seed=options.seed
        )
    machine = result["machine"]
    db = machine["database"]
    print(
        f"\n{machine['cpu']} ({machine['cpus']} CPUs), {machine['ram_gib']} GiB RAM, "
        f"Python {machine['python']}, Django {machine['django']}, {db['vendor']} {db['version']}; "
        f"load average {machine['load_average']} -> {machine['load_average_after']}"
    )
    print("database:", json.dumps(db))
    print_table(
        f"Timers ({db['vendor']}, {options.pending:,} pending; median and p95)",
        ["measure", "median", "p95", ""],
        timers.report(result),
    )
    for name, plan in result["plans"].items():
        print(f"\nplan of {name}:\n{plan['plan']}")
    print("\neffects of the real firings:", json.dumps(result["effects"]))
    print(f"\nresult written to {write_result('timers', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
