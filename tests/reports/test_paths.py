"""A deal's path compared with the playbook (the monthly review's examples, S-42): stages with
their days against the idle limits, tasks on time or late, follow-ups; and which deals are the
examples of a month."""

import pytest

from sopcrm.core.errors import NotFound
from sopcrm.crm.records.models import Activity
from sopcrm.crm.records.services.activities import activity_complete, activity_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.paths import deal_path, example_deals

from ..web.conftest import CONTACT, LOSE
from .conftest import at


def _first_contact_task(deal):
    return Activity.objects.get(deal=deal, template_key="first_contact")


def test_a_path_lists_each_stay_with_its_days_against_the_idle_limit(people, frozen):
    frozen(at(2026, 10, 5, 9))
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    frozen(at(2026, 10, 7, 9))  # two days in New: its limit is one
    deal = record_transition(deal, transition="contact", data=CONTACT, actor=people.alice).record
    frozen(at(2026, 10, 8, 9))
    deal = record_transition(deal, transition="lose", data=LOSE, actor=people.alice).record
    path = deal_path(people.alice, deal)
    assert [(s.stage, s.days, s.idle_days, s.over_limit) for s in path.stays] == [
        ("new", 2.0, 1, True),
        ("contacted", 1.0, 3, False),
        ("lost", 0.0, None, False),
    ]
    assert path.within_limits.as_dict() == {"part": 1, "whole": 2, "percent": 50.0}


def test_a_task_done_after_its_due_time_is_late_and_one_done_before_is_on_time(people, frozen):
    frozen(at(2026, 10, 5, 9))
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    task = _first_contact_task(deal)
    frozen(task.due_at)  # done right at its due time: on time
    activity_complete(
        task,
        actor=people.alice,
        data={"channel": "phone", "summary": "Called", "feedback_type": "interested"},
    )
    activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Send samples",
            "deal": deal.pk,
            "due_at": at(2026, 10, 6, 9).isoformat(),
        },
    )
    frozen(at(2026, 10, 7, 9))
    path = deal_path(people.alice, deal)
    outcomes = {t.subject: t.outcome for t in path.tasks}
    assert outcomes[task.subject] == "on_time"
    assert outcomes["Send samples"] == "overdue"
    assert path.on_time.as_dict() == {"part": 1, "whole": 2, "percent": 50.0}
    assert path.follow_ups == 1  # the first contact, done by phone


def test_the_examples_are_the_largest_won_and_lost_deals_closed_in_the_month(people, frozen):
    frozen(at(2026, 10, 5, 9))
    small = deal_create(actor=people.alice, data={"title": "Small", "amount": "100"})
    large = deal_create(actor=people.alice, data={"title": "Large", "amount": "900"})
    for deal in (small, large):
        record_transition(deal, transition="lose", data=LOSE, actor=people.alice)
    frozen(at(2026, 11, 2, 9))
    filters = report_filter({"from": "2026-10-01", "to": "2026-10-31"})
    won, lost = example_deals(people.east_manager, filters)
    assert (won, lost.title if lost else None) == (None, "Large")


def test_a_rep_cannot_see_the_path_of_another_reps_deal(people):
    deal = deal_create(actor=people.bob, data={"title": "Bob's"})
    with pytest.raises(NotFound):
        deal_path(people.alice, deal)
