"""What one transition costs in statements (docs/performance.md, "Transitions"): its events are
written with one INSERT, the rules' queue once, the active playbook version read once and the
deal saved once, and the timeline and the queue read as before."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.process.models import Timer, TimerKind, TimerStatus

from .conftest import at
from .test_export_deal_flow import CONFIRM, CONTACT, QUOTE


def _confirmed(people, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = record_transition(deal, transition="contact", data=CONTACT, actor=people.alice).record
    return record_transition(
        deal, transition="confirm_requirements", data=CONFIRM, actor=people.alice
    ).record


def _send_quote(deal, people) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        record_transition(deal, transition="send_quote", data=QUOTE, actor=people.alice)
    return [q["sql"] for q in captured.captured_queries]


def test_send_quote_takes_at_most_19_statements(people, frozen):
    # Send quote is among the dearest transitions: five field values, four tasks with their
    # timers. It took 43 statements while each event was its own INSERT, queued itself for the
    # rules and read the active playbook version, and the deal was saved twice; 31 while each
    # new task's timer was looked for before it was added; 27 while the deal was read, then
    # read again under its lock, and its owner after that; 25 while each task and each task's
    # timer was an INSERT of its own.
    statements = _send_quote(_confirmed(people, frozen), people)
    assert len(statements) <= 19, "\n".join(statements)


def test_transition_creates_its_tasks_with_one_insert_and_their_timers_with_another(people, frozen):
    statements = _send_quote(_confirmed(people, frozen), people)
    assert len([s for s in statements if s.startswith('INSERT INTO "records_activity"')]) == 1
    # Two timer INSERTs: the four tasks' due timers together, and the quote's expiry date
    # (a date rule of the playbook) apart.
    assert len([s for s in statements if s.startswith('INSERT INTO "process_timer"')]) == 2


def test_transition_reads_the_deal_once(people, frozen):
    statements = _send_quote(_confirmed(people, frozen), people)
    assert len([s for s in statements if s.startswith('SELECT "records_deal"."id"')]) == 1


def test_transition_writes_its_events_with_one_insert(people, frozen):
    statements = _send_quote(_confirmed(people, frozen), people)
    assert len([s for s in statements if s.startswith('INSERT INTO "core_event"')]) == 1


def test_transition_reads_the_active_playbook_version_once(people, frozen):
    statements = _send_quote(_confirmed(people, frozen), people)
    assert len([s for s in statements if 'FROM "process_playbookversion"' in s]) == 1


def test_transition_saves_the_deal_once(people, frozen):
    statements = _send_quote(_confirmed(people, frozen), people)
    assert len([s for s in statements if s.startswith('UPDATE "records_deal"')]) == 1


def test_transition_events_keep_the_order_they_were_logged_in(people, frozen):
    deal = _confirmed(people, frozen)
    last = Event.objects.order_by("pk").last().pk
    _send_quote(deal, people)
    events = list(Event.objects.filter(pk__gt=last).order_by("pk"))
    assert [e.kind for e in events] == [
        *[EventKind.FIELD_CHANGED] * 5,
        EventKind.STAGE_LEFT,
        EventKind.STAGE_ENTERED,
        *[EventKind.ACTIVITY_CREATED] * 4,
    ]


def test_transition_queues_the_events_rules_listen_to_in_the_pending_row(people, frozen):
    deal = _confirmed(people, frozen)
    before = Timer.objects.get(
        kind=TimerKind.EVENT, record_id=deal.pk, key="changes", status=TimerStatus.PENDING
    ).data["events"]
    last = Event.objects.order_by("pk").last().pk
    _send_quote(deal, people)
    pending = Timer.objects.get(
        kind=TimerKind.EVENT, record_id=deal.pk, key="changes", status=TimerStatus.PENDING
    )
    # The export-trade rules listen to stages entered (the quote's follow-up), not to fields.
    entered = Event.objects.get(pk__gt=last, kind=EventKind.STAGE_ENTERED)
    assert pending.data["events"] == [*before, entered.pk]
