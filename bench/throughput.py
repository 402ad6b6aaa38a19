"""The command line of the throughput suites (`transitions`, `load`, `memory`), kept apart
from bench/__main__.py, which only adds them:

- `transitions` and `memory` run on a fresh database of their own (`sopcrm_bench_transitions`,
  `sopcrm_bench_memory` on the server DATABASE_URL points at, or SQLite in a temporary
  directory), so they may run beside another suite on `sopcrm_bench`;
- `load` serves the page suite's kept database (bench/pages.py) and refuses to start if it does
  not hold the data yet: `python -m bench generate --deals 100000` makes it."""

import argparse
import json
import sys
from typing import Any

from bench.common import fresh_database, print_table, write_result

SUITES = ("transitions", "load", "memory")


def add_parsers(suites: Any) -> None:
    transitions = suites.add_parser(
        "transitions", help="stage changes per second through the transition service"
    )
    transitions.add_argument("--deals", type=int, default=200, help="deals moved per repeat")
    transitions.add_argument("--repeat", type=int, default=3)
    transitions.add_argument("--keep-db", action="store_true")
    load = suites.add_parser("load", help="throughput of `sopcrm serve` under concurrent users")
    load.add_argument("--deals", type=int, default=100_000, help="deals the kept data holds")
    load.add_argument("--seed", type=int, default=7)
    load.add_argument(
        "--users", default="1,4,16", help="simultaneous users of each level, comma-separated"
    )
    load.add_argument("--duration", type=int, default=60, help="seconds of each level")
    load.add_argument("--threads", type=int, default=8, help="the server's threads (waitress)")
    load.add_argument(
        "--think", type=float, default=0.0, help="seconds a user waits between requests"
    )
    memory = suites.add_parser("memory", help="peak memory of `sopcrm worker` given work")
    memory.add_argument("--due", type=int, default=1000, help="overdue-task timers to fire")
    memory.add_argument("--rows", type=int, default=200, help="leads in the queued import")
    memory.add_argument("--keep-db", action="store_true")


def _machine_line(result: dict[str, Any]) -> str:
    machine, db = result["machine"], result["machine"]["database"]
    after = machine.get("load_average_after")
    return (
        f"\n{machine['cpu']} ({machine['cpus']} CPUs), {machine['ram_gib']} GiB RAM, "
        f"Python {machine['python']}, Django {machine['django']}, {db['vendor']} {db['version']}; "
        f"load average {machine['load_average']}" + (f" -> {after}" if after else "")
    )


def _transitions(options: argparse.Namespace) -> int:
    if min(options.deals, options.repeat) < 1:
        print("--deals and --repeat must be at least 1", file=sys.stderr)
        return 2
    with fresh_database(keep=options.keep_db, name="sopcrm_bench_transitions") as database:
        from bench import transitions

        print(f"transitions on {database}: {options.deals:,} deals x 5 steps x {options.repeat}")
        result = transitions.run(deals=options.deals, repeat=options.repeat)
    print(_machine_line(result))
    print_table(
        f"Transitions ({result['machine']['database']['vendor']}; median and p95)",
        ["measure", "median", "p95"],
        transitions.report(result),
    )
    print("effects:", json.dumps(result["effects"]))
    print(f"\nresult written to {write_result('transitions', result)}")
    return 0


def _load(options: argparse.Namespace) -> int:
    try:
        users = [int(n) for n in options.users.split(",") if n.strip()]
    except ValueError:
        users = []
    if not users or min(users) < 1 or options.duration < 1 or options.threads < 1:
        print("--users (e.g. 1,4,16), --duration and --threads must be positive", file=sys.stderr)
        return 2
    from bench.pages import kept_database

    with kept_database() as database:
        from bench import load, pages

        marker = pages.KEPT.marker()
        held = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
        if (held.get("deals"), held.get("seed")) != (options.deals, options.seed):
            print(
                f"{database} does not hold {options.deals:,} generated deals (seed "
                f"{options.seed}); make them first with `python -m bench generate --deals "
                f"{options.deals} --seed {options.seed}`",
                file=sys.stderr,
            )
            return 2
        print(
            f"load on {database}: {options.deals:,} deals; users {users}, "
            f"{options.duration} s each, {options.threads} server threads"
        )
        result = load.run(
            users=users, duration=options.duration, threads=options.threads, think=options.think
        )
    print(_machine_line(result))
    print_table(
        f"Load ({result['machine']['database']['vendor']}, {options.deals:,} deals, "
        f"{options.threads} threads; {options.duration} s per level, ms)",
        ["users / page", "req/s", "p50", "p95", "p99", "errors", "server CPU ms/req", "peak MiB"],
        load.report(result),
    )
    memory = result["server_memory_kib"]
    print(
        f"server resident memory: {memory['started']['VmRSS'] / 1024:.0f} MiB when started, "
        f"peak {memory['peak']['VmHWM'] / 1024:.0f} MiB"
    )
    print(f"\nresult written to {write_result('load', result)}")
    return 0


def _memory(options: argparse.Namespace) -> int:
    if options.due < 1 or options.rows < 0:
        print("--due must be at least 1, --rows at least 0", file=sys.stderr)
        return 2
    with fresh_database(keep=options.keep_db, name="sopcrm_bench_memory") as database:
        from bench import memory

        print(f"memory on {database}: {options.due:,} due timers, a {options.rows:,}-row import")
        result = memory.run(due=options.due, rows=options.rows)
    print(_machine_line(result))
    print_table(
        f"Worker memory ({result['machine']['database']['vendor']})",
        ["measure", "value"],
        memory.report(result),
    )
    print(f"\nresult written to {write_result('memory', result)}")
    return 0


def main(options: argparse.Namespace) -> int:
    runners = {"transitions": _transitions, "load": _load, "memory": _memory}
    return runners[options.suite](options)
