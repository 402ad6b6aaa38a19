"""What taking in a lead costs in statements (docs/performance.md, "Intake"): the batch path reads
the active playbook version once per chunk and writes a chunk's events with one INSERT; a new
record's timers are added without looking for ones to move."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopcrm.crm.records.services.intake import IntakeItem, lead_intake, leads_intake_many

from .conftest import at

INQUIRIES = [
    {
        "name": f"Buyer {n}",
        "company": f"Valve Trading {n} Ltd",
        "email": f"buyer{n}@valves{n}.example",
        "phone": f"+49 30 90182{n:02d}",
        "country": "DE",
        "source": "b2b_platform",
        "message": "Please quote 500 pcs DN50.",
    }
    for n in range(10)
]


def _first_lead(people) -> None:
    # The first lead of an assignment rule creates its turn: not what a lead usually costs.
    lead_intake(data={"name": "First", "country": "DE"}, actor=people.admin)


def _batch(people) -> list[str]:
    _first_lead(people)
    with CaptureQueriesContext(connection) as captured:
        leads_intake_many([IntakeItem(data) for data in INQUIRIES], actor=people.admin)
    return [q["sql"] for q in captured.captured_queries]


def _one(people) -> list[str]:
    _first_lead(people)
    with CaptureQueriesContext(connection) as captured:
        lead_intake(data=INQUIRIES[0], actor=people.admin)
    return [q["sql"] for q in captured.captured_queries]


def test_a_lead_taken_in_alone_takes_at_most_24_statements(people, frozen):
    # 39 before the duplicate check used indexed keys and the SLA timers went in one insert,
    # 31 before a new record's timers and SLA points skipped the read for ones to move.
    frozen(at(2025, 11, 5, 10))
    statements = _one(people)
    assert len(statements) <= 24, "\n".join(statements)


def test_a_batch_takes_at_most_13_statements_a_lead(people, frozen):
    frozen(at(2025, 11, 5, 10))
    statements = _batch(people)
    assert len(statements) <= 13 * len(INQUIRIES), "\n".join(statements)


def test_a_batch_writes_its_events_with_one_insert_a_chunk(people, frozen):
    frozen(at(2025, 11, 5, 10))
    statements = _batch(people)
    assert len([s for s in statements if s.startswith('INSERT INTO "core_event"')]) == 1


def test_a_batch_reads_the_active_playbook_version_once_a_chunk(people, frozen):
    frozen(at(2025, 11, 5, 10))
    statements = _batch(people)
    assert len([s for s in statements if 'FROM "process_playbookversion"' in s]) == 1


def test_a_batch_writes_its_timers_and_clocks_with_one_insert_each_a_chunk(people, frozen):
    frozen(at(2025, 11, 5, 10))
    statements = _batch(people)
    assert len([s for s in statements if s.startswith('INSERT INTO "process_timer"')]) == 1
    assert len([s for s in statements if s.startswith('INSERT INTO "records_slaclock"')]) == 1
