"""Tasks (S-19..S-22, S-41): of the tasks due in the period (cancelled ones left out), the
completion and on-time rates, what is overdue now, and the same by the task's owner."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopcrm.core.models import User
from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import (
    activity_cancel,
    activity_complete,
    activity_create,
)
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.tasks import tasks_report

from .conftest import at

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def report(user, **params):
    return tasks_report(user, report_filter({**NOVEMBER, **params}))


def figures(count):
    return (count.due, count.done, count.on_time, count.overdue_now)


def reps(result):
    return [(row.name, *figures(row.count)) for row in result.by_rep]


def task(frozen, moment, actor, record, due, *, owner=None):
    frozen(moment)
    link = "lead" if record.__class__.__name__ == "Lead" else "account"
    data = {"kind": "task", "subject": "Send the catalogue", "due_at": due, link: record.pk}
    if owner is not None:
        data["owner"] = owner.pk
    return activity_create(actor=actor, data=data)


def complete(frozen, moment, actor, activity):
    frozen(moment)
    activity_complete(activity, actor=actor, data={"summary": "Done."})


def first_contact(lead):
    return Activity.objects.get(lead=lead, template_key="first_contact")


@pytest.fixture
def history(people, frozen):
    """November 2026; now Fri 20 12:00. Every new lead has a first-contact task due 24
    working-day hours later (Mon 2 10:00 -> Tue 3 10:00).

    alice  first contact of her trade-show lead from Germany, done on time
           on an account: due Thu 5, done an hour early; due Fri 6 10:00, done at 10:00 (on
           time); due Wed 25, open (not overdue yet); due Oct 20, open (overdue, not in the
           period); due Fri 13, cancelled (left out)
           on her lead: due Tue 10, done a day late; due Thu 12, open (overdue)
    bob    first contact of his e-mail lead, open (overdue); due Mon 16 on it, done early;
           a task the manager gave him on Alice's lead, due Tue 17, open (overdue)
    wendy  first contact of her lead, done on time
    """
    frozen(at(2026, 10, 15, 10))
    account = account_create(actor=people.alice, data={"name": "Acme"})
    task(frozen, at(2026, 10, 15, 10), people.alice, account, at(2026, 10, 20, 10))
    frozen(at(2026, 11, 2, 10))
    fair = lead_create(
        actor=people.alice,
        data={"name": "Fair", "source": "trade_show", "country": "DE"},
    )
    mail = lead_create(actor=people.bob, data={"name": "Mail", "source": "email"})
    west = lead_create(actor=people.wendy, data={"name": "West", "source": "email"})
    complete(frozen, at(2026, 11, 2, 15), people.alice, first_contact(fair))
    complete(frozen, at(2026, 11, 2, 12), people.wendy, first_contact(west))
    early = task(frozen, at(2026, 11, 2, 16), people.alice, account, at(2026, 11, 5, 10))
    complete(frozen, at(2026, 11, 5, 9), people.alice, early)
    exact = task(frozen, at(2026, 11, 2, 16), people.alice, account, at(2026, 11, 6, 10))
    complete(frozen, at(2026, 11, 6, 10), people.alice, exact)
    late = task(frozen, at(2026, 11, 2, 16), people.alice, fair, at(2026, 11, 10, 10))
    complete(frozen, at(2026, 11, 11, 10), people.alice, late)
    task(frozen, at(2026, 11, 2, 16), people.alice, fair, at(2026, 11, 12, 10))
    task(frozen, at(2026, 11, 2, 16), people.alice, account, at(2026, 11, 25, 10))
    dropped = task(frozen, at(2026, 11, 2, 16), people.alice, account, at(2026, 11, 13, 10))
    activity_cancel(dropped, actor=people.alice, reason="The customer called first.")
    bobs = task(frozen, at(2026, 11, 2, 16), people.bob, mail, at(2026, 11, 16, 10))
    complete(frozen, at(2026, 11, 16, 9), people.bob, bobs)
    task(
        frozen,
        at(2026, 11, 3, 9),
        people.east_manager,
        fair,
        at(2026, 11, 17, 10),
        owner=people.bob,
    )
    frozen(at(2026, 11, 20, 12))
    return {"fair": fair}


def test_tasks_due_in_the_period_are_counted_and_cancelled_ones_left_out(people, history):
    result = report(people.admin)
    assert Activity.objects.filter(status=ActivityStatus.CANCELLED).count() == 1
    assert figures(result.count) == (10, 6, 5, 4)


def test_completion_and_on_time_rates_are_shares_of_all_tasks_due(people, history):
    count = report(people.admin).count
    assert count.completion.as_dict() == {"part": 6, "whole": 10, "percent": 60.0}
    assert count.on_time_rate.as_dict() == {"part": 5, "whole": 10, "percent": 50.0}


def test_a_task_done_exactly_at_its_due_time_is_on_time(people, history):
    # Alice: first contact, early, exact on time; the late one done but not on time.
    alice = next(row for row in report(people.admin).by_rep if row.name == "alice")
    assert (alice.count.done, alice.count.on_time) == (4, 3)


def test_overdue_now_counts_open_tasks_past_due_whatever_the_period(people, history):
    october = report(people.admin, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert figures(october.count) == (1, 0, 0, 4)


def test_tasks_count_for_their_owner(people, history):
    assert reps(report(people.admin)) == [
        ("alice", 6, 4, 3, 2),
        ("bob", 3, 1, 1, 2),
        ("wendy", 1, 1, 1, 0),
    ]


def test_a_rep_sees_only_their_own_tasks_even_on_their_own_records(people, history):
    # Bob's task on Alice's lead is visible to her on the lead, but it is Bob's figure.
    assert reps(report(people.alice)) == [("alice", 6, 4, 3, 2)]
    assert report(people.alice, rep=str(people.bob.pk)).by_rep == []


def test_a_manager_sees_their_team_and_not_another_team(people, history):
    assert [row.name for row in report(people.east_manager).by_rep] == ["alice", "bob"]
    assert reps(report(people.west_manager)) == [("wendy", 1, 1, 1, 0)]


def test_the_team_and_rep_filters_apply_to_the_task_owner(people, history):
    assert figures(report(people.admin, team=str(people.west.pk)).count) == (1, 1, 1, 0)
    assert figures(report(people.east_manager, rep=str(people.bob.pk)).count) == (3, 1, 1, 2)


def test_the_source_filter_keeps_the_tasks_on_its_records(people, history):
    # The trade-show lead: its first contact, the late one and the open one, and Bob's.
    assert reps(report(people.admin, source="trade_show")) == [
        ("alice", 3, 2, 1, 1),
        ("bob", 1, 0, 0, 1),
    ]


def test_the_pipeline_filter_drops_tasks_on_no_lead_or_deal(people, history):
    # The account's tasks are on no record of the inquiry pipeline; the leads' tasks are.
    assert figures(report(people.admin, pipeline="inquiry").count) == (7, 4, 3, 3)
    assert figures(report(people.admin, pipeline="export").count) == (0, 0, 0, 0)


def test_the_report_takes_four_queries_whatever_the_number_of_tasks(people, history):
    manager = User.objects.get(pk=people.east_manager.pk)  # nothing cached on it
    with CaptureQueriesContext(connection) as queries:
        report(manager)
    # The team's members (visibility), the period's counts, the overdue counts, the names.
    assert len(queries) == 4


def test_the_report_serialises_to_json(people, history):
    data = json.loads(json.dumps(report(people.west_manager).as_dict()))
    share = {"part": 1, "whole": 1, "percent": 100.0}
    counts = {
        "due": 1,
        "done": 1,
        "on_time": 1,
        "completion": share,
        "on_time_rate": share,
        "overdue_now": 0,
    }
    assert data == {
        "filters": {"from": "2026-11-01", "to": "2026-11-30"},
        **counts,
        "by_rep": [{"user_id": people.wendy.pk, "name": "wendy", **counts}],
    }
