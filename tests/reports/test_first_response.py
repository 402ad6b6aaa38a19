"""First response (S-17, S-41): the response clocks of the leads received in the period, answered
in time, late, not due yet or closed early, the response time, and the late answers by rep."""

import json

import pytest

from sopcrm.crm.records.models import SlaClock
from sopcrm.crm.records.services.leads import lead_create, lead_update
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.first_response import first_response_report
from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.playbooks import playbook_activate

from .conftest import at, log_contact

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def report(user, **params):
    return first_response_report(user, report_filter({**NOVEMBER, **params}))


def lead_at(frozen, moment, actor, name, **data):
    frozen(moment)
    return lead_create(actor=actor, data={"name": name, "source": "email", **data})


def answer_at(frozen, moment, actor, lead):
    frozen(moment)
    log_contact(actor, lead)


def disqualify_at(frozen, moment, actor, lead):
    frozen(moment)
    record_transition(
        lead, transition="disqualify", data={"disqualify_reason": "spam"}, actor=actor
    )


def reps(result):
    return [
        (row.name, row.figures.clocks, row.figures.in_time, row.figures.late)
        for row in result.by_rep
    ]


@pytest.fixture
def history(people, frozen):
    """November 2026 (no public holiday; the target is 24 hours of working days):

    alice  Mon 2 10:00 answered 13:00 (due Tue 3 10:00): in time, 3 h
           Tue 3 09:00 answered Thu 5 09:00 (due Wed 4 09:00): late, 48 h
           Fri 6 10:00 answered Mon 9 08:00 (due Mon 9 10:00, the weekend skipped): in time, 70 h
           Tue 10 10:00 disqualified as spam at 11:00: closed early, left out
           Fri Oct 30 10:00, answered at once: received before the period
    bob    Wed 11 10:00 never answered (due Thu 12 10:00): late
           Mon 16 10:00 disqualified Wed 18 10:00 (due Tue 17 10:00): late
           Thu 19 15:00 (due Fri 20 15:00): not due yet
    wendy  Mon 2 10:00 answered 11:00: in time, 1 h
    Now: Fri 20 12:00.
    """
    october = lead_at(frozen, at(2026, 10, 30, 10), people.alice, "October")
    answer_at(frozen, at(2026, 10, 30, 11), people.alice, october)
    quick = lead_at(frozen, at(2026, 11, 2, 10), people.alice, "Quick", source="trade_show")
    answer_at(frozen, at(2026, 11, 2, 13), people.alice, quick)
    slow = lead_at(frozen, at(2026, 11, 3, 9), people.alice, "Slow", country="DE")
    answer_at(frozen, at(2026, 11, 5, 9), people.alice, slow)
    weekend = lead_at(frozen, at(2026, 11, 6, 10), people.alice, "Weekend")
    answer_at(frozen, at(2026, 11, 9, 8), people.alice, weekend)
    spam = lead_at(frozen, at(2026, 11, 10, 10), people.alice, "Spam")
    disqualify_at(frozen, at(2026, 11, 10, 11), people.alice, spam)
    forgotten = lead_at(frozen, at(2026, 11, 11, 10), people.bob, "Forgotten", country="DE")
    dropped = lead_at(frozen, at(2026, 11, 16, 10), people.bob, "Dropped late")
    disqualify_at(frozen, at(2026, 11, 18, 10), people.bob, dropped)
    lead_at(frozen, at(2026, 11, 19, 15), people.bob, "Fresh")
    west = lead_at(frozen, at(2026, 11, 2, 10), people.wendy, "West")
    answer_at(frozen, at(2026, 11, 2, 11), people.wendy, west)
    frozen(at(2026, 11, 20, 12))
    return {"slow": slow, "forgotten": forgotten}


def test_the_clock_targets_are_24_hours_of_working_days(people, history):
    assert SlaClock.objects.get(record_id=history["slow"].pk).due_at == at(2026, 11, 4, 9)
    weekend = SlaClock.objects.filter(started_at=at(2026, 11, 6, 10)).get()
    assert weekend.due_at == at(2026, 11, 9, 10)


def test_clocks_are_counted_in_time_late_and_not_due_and_closed_early_left_out(people, history):
    figures = report(people.admin).figures
    assert (figures.in_time, figures.late, figures.not_due, figures.closed_early) == (3, 3, 1, 1)


def test_the_response_rate_is_in_time_of_in_time_and_late(people, history):
    assert report(people.admin).figures.rate.as_dict() == {"part": 3, "whole": 6, "percent": 50.0}


def test_response_time_is_the_median_and_p90_of_answered_clocks_in_calendar_hours(people, history):
    figures = report(people.admin).figures  # answered: 1, 3, 48, 70 hours
    assert (figures.median_hours, figures.p90_hours) == (3.0, 70.0)


def test_breaches_by_rep_list_the_most_late_first_with_each_reps_rate(people, history):
    result = report(people.admin)
    assert reps(result) == [("bob", 3, 0, 2), ("alice", 3, 2, 1), ("wendy", 1, 1, 0)]
    assert [row.figures.rate.percent for row in result.by_rep] == [0.0, 66.7, 100.0]


def test_a_clock_counts_for_the_rep_who_had_to_answer_after_the_lead_is_reassigned(people, history):
    lead_update(history["slow"], actor=people.east_manager, data={"owner": people.bob.pk})
    result = report(people.east_manager, rep=str(people.alice.pk))
    assert reps(result) == [("alice", 3, 2, 1)]


def test_an_unanswered_lead_answered_after_the_period_stays_late_with_its_response_time(
    people, history, frozen
):
    frozen(at(2026, 12, 1, 10))  # the fresh lead's target has passed too
    before = report(people.admin).figures
    answer_at(frozen, at(2026, 12, 1, 10), people.bob, history["forgotten"])
    after = report(people.admin).figures
    assert (before.in_time, before.late, before.not_due, before.p90_hours) == (3, 4, 0, 70.0)
    # Answered 20 days after it arrived: 1, 3, 48, 70 and 480 hours.
    assert (after.in_time, after.late, after.not_due, after.p90_hours) == (3, 4, 0, 480.0)


def test_a_rep_sees_only_their_own_clocks(people, history):
    result = report(people.alice)
    assert reps(result) == [("alice", 3, 2, 1)]
    assert report(people.alice, rep=str(people.bob.pk)).by_rep == []


def test_a_manager_sees_their_team_and_not_another_team(people, history):
    assert [row.name for row in report(people.east_manager).by_rep] == ["bob", "alice"]
    assert report(people.west_manager).figures.clocks == 1
    assert report(people.west_manager, team=str(people.east.pk)).by_rep == []


def test_the_team_filter_keeps_the_clocks_of_its_members(people, history):
    figures = report(people.admin, team=str(people.west.pk)).figures
    assert (figures.in_time, figures.late, figures.not_due, figures.median_hours) == (
        1,
        0,
        0,
        1.0,
    )


def test_the_source_and_country_filters_apply_to_the_lead(people, history):
    assert report(people.admin, source="trade_show").figures.in_time == 1
    germany = report(people.admin, country="DE")
    assert (germany.figures.in_time, germany.figures.late) == (0, 2)


def test_the_period_is_the_clocks_start(people, history):
    october = report(people.admin, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert (october.figures.in_time, october.figures.median_hours) == (1, 1.0)


def test_the_report_says_when_the_playbook_names_no_response_clock(people, history):
    source = bundled_playbook_path("export_trade").read_text()
    source = source.replace("    reports:\n      response_sla: first_response\n", "", 1)
    playbook_activate(source=source, source_name="no_sla.yaml", actor=people.admin)
    result = report(people.admin)
    assert (result.configured, result.sla, result.figures.clocks, result.by_rep) == (
        False,
        None,
        0,
        [],
    )


def test_the_report_serialises_to_json(people, history):
    data = json.loads(json.dumps(report(people.east_manager, rep=str(people.alice.pk)).as_dict()))
    assert data == {
        "filters": {"from": "2026-11-01", "to": "2026-11-30", "rep": str(people.alice.pk)},
        "configured": True,
        "sla": "first_response",
        "in_time": 2,
        "late": 1,
        "not_due": 0,
        "closed_early": 1,
        "rate": {"part": 2, "whole": 3, "percent": 66.7},
        "response_hours": {"median": 48.0, "p90": 70.0},
        "by_rep": [
            {
                "user_id": people.alice.pk,
                "name": "alice",
                "clocks": 3,
                "in_time": 2,
                "late": 1,
                "not_due": 0,
                "rate": {"part": 2, "whole": 3, "percent": 66.7},
            }
        ],
    }
