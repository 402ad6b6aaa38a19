"""The page benchmark (bench/pages.py) still runs: tiny numbers on the test database, no timing
assertions; docs/performance.md has the real figures."""

from datetime import UTC, datetime

from bench.generate import generate
from bench.pages import PAGES, report, run


def test_the_page_bench_times_every_page_for_a_rep_and_a_manager(db):
    data = generate(deals=40, seed=5, reps=4, teams=2, at=datetime(2026, 3, 4, 5, tzinfo=UTC))
    result = run(personas=data["personas"], warmup=1, requests=2)
    assert {(p["page"], p["persona"]) for p in result["pages"]} == {
        (key, persona) for key, _label, _url in PAGES for persona in ("rep", "manager")
    }
    timed = [p for p in result["pages"] if not p.get("missing")]
    assert {p["status"] for p in timed} == {200}
    assert all(p["queries"] > 0 and p["p95_ms"] >= p["p50_ms"] for p in timed)
    missing = {p["page"] for p in result["pages"] if p.get("missing")}
    assert missing <= {"deal_board", "search"}  # pages still being built answer 404
    assert len(report(result)) == len(result["pages"])
