"""Stage dwell time (S-23, S-41): the stays that ended in the period, per stage, in calendar and
business days (written on the stage_left event), and the open records over the stage's idle
limit now."""

import json

import pytest

from sopcrm.core.events import event_record
from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.crm.reports.dwell import dwell_report
from sopcrm.crm.reports.filters import report_filter

from ..process.test_playbook_apply import without_contacted_stage
from ..web.conftest import CONFIRM, CONTACT, LOSE
from .conftest import at

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
DATA = {"contact": CONTACT, "confirm_requirements": CONFIRM, "lose": LOSE}


def move(deal, key, actor):
    return record_transition(deal, transition=key, data=DATA[key], actor=actor).record


def new_deal(frozen, moment, owner, title="Valves"):
    frozen(moment)
    return deal_create(actor=owner, data={"title": title})


def report(user, **params):
    return dwell_report(user, report_filter({**NOVEMBER, **params}))


def spreads(result):
    """(stage, stays, calendar (median, p75, p90), business (median, p75, p90)) per stage."""
    return [
        (
            s.key,
            s.stays,
            (s.days.median, s.days.p75, s.days.p90),
            (s.business_days.median, s.business_days.p75, s.business_days.p90),
        )
        for s in result.stages
    ]


def left_data(deal):
    return Event.objects.get(record_type="deal", record_id=deal.pk, kind=EventKind.STAGE_LEFT).data


def test_a_transition_writes_the_stay_in_business_days(people, frozen):
    deal = new_deal(frozen, at(2026, 11, 6, 12), people.alice)  # a Friday
    frozen(at(2026, 11, 9, 12))  # the Monday after
    move(deal, "contact", people.alice)
    data = left_data(deal)
    assert (data["days_in_stage"], data["business_days"]) == (3.0, 1.0)


def test_a_playbook_change_that_remaps_a_stage_writes_the_stay_it_ends(people, frozen):
    deal = new_deal(frozen, at(2026, 11, 6, 12), people.alice)
    move(deal, "contact", people.alice)
    frozen(at(2026, 11, 9, 18))
    playbook_apply(
        source=without_contacted_stage(),
        source_name="v2.yaml",
        actor=None,
        stage_mapping={"deal.contacted": "requirements_confirmed"},
    )
    left = Event.objects.get(
        record_type="deal", record_id=deal.pk, kind=EventKind.STAGE_LEFT, data__remapped=True
    )
    assert {k: left.data[k] for k in ("stage", "to", "days_in_stage", "business_days")} == {
        "stage": "contacted",
        "to": "requirements_confirmed",
        "days_in_stage": 3.25,
        "business_days": 1.25,
    }


@pytest.fixture
def history(people, frozen):
    """Alice's stays ending in November: New 2.0, 3.0 and 0.5 calendar days (2.0, 1.0 and 0.5
    business days), Contacted 5.0 and 3.0 (3.0 and 1.0); Bob's: New 2.0 (2.0), and a deal in
    New since 10 November. Now: Thursday 12 November 10:00."""
    first = new_deal(frozen, at(2026, 10, 26, 9), people.alice, "Ended New in October")
    frozen(at(2026, 10, 30, 9))
    first = move(first, "contact", people.alice)
    one = new_deal(frozen, at(2026, 11, 2, 9), people.alice)
    frozen(at(2026, 11, 2, 9))
    move(first, "lose", people.alice)  # Contacted: Friday 09:00 to Monday 09:00
    three = new_deal(frozen, at(2026, 11, 3, 9), people.alice)
    bobs = new_deal(frozen, at(2026, 11, 3, 9), people.bob)
    frozen(at(2026, 11, 3, 21))
    move(three, "contact", people.alice)
    frozen(at(2026, 11, 4, 9))
    one = move(one, "contact", people.alice)
    frozen(at(2026, 11, 5, 9))
    move(bobs, "contact", people.bob)
    two = new_deal(frozen, at(2026, 11, 6, 9), people.alice)
    frozen(at(2026, 11, 9, 9))
    move(one, "confirm_requirements", people.alice)
    move(two, "contact", people.alice)
    new_deal(frozen, at(2026, 11, 10, 9), people.bob, "Waiting")
    frozen(at(2026, 11, 12, 10))


def test_stays_ended_in_the_period_give_median_p75_p90_per_stage(people, history):
    assert spreads(report(people.alice)) == [
        ("new", 3, (2.0, 3.0, 3.0), (1.0, 2.0, 2.0)),
        ("contacted", 2, (3.0, 5.0, 5.0), (1.0, 3.0, 3.0)),
        ("requirements_confirmed", 0, (None, None, None), (None, None, None)),
        ("quoted", 0, (None, None, None), (None, None, None)),
        ("following_up", 0, (None, None, None), (None, None, None)),
    ]


def test_over_the_idle_limit_now_counts_open_records_past_the_stages_limit(people, history):
    # Contacted (limit 3 days): two deals there since 3 November 21:00 and 9 November 09:00;
    # Requirements confirmed (limit 5): one since 9 November 09:00, not over yet.
    assert [(s.key, s.idle_days, s.over_idle_now) for s in report(people.alice).stages] == [
        ("new", 1, 0),
        ("contacted", 3, 2),
        ("requirements_confirmed", 5, 0),
        ("quoted", 7, 0),
        ("following_up", 7, 0),
    ]


def test_over_the_idle_limit_now_ignores_the_period(people, history):
    result = report(people.alice, **{"from": "2025-01-01", "to": "2025-01-31"})
    assert [s.stays for s in result.stages] == [0, 0, 0, 0, 0]
    assert [s.over_idle_now for s in result.stages] == [0, 2, 0, 0, 0]


def test_a_rep_never_counts_another_reps_stays(people, history):
    assert [s.stays for s in report(people.alice).stages][:2] == [3, 2]
    assert [s.stays for s in report(people.bob).stages][:2] == [1, 0]
    manager = report(people.east_manager)
    assert spreads(manager)[0] == ("new", 4, (2.0, 2.0, 3.0), (1.0, 2.0, 2.0))
    assert [s.over_idle_now for s in manager.stages][:2] == [1, 3]


def test_the_team_filter_keeps_the_teams_records(people, history, frozen):
    frozen(at(2026, 11, 2, 9))
    wendys = deal_create(actor=people.wendy, data={"title": "West"})
    frozen(at(2026, 11, 3, 9))
    move(wendys, "contact", people.wendy)
    west = report(people.admin, team=str(people.west.pk))
    assert spreads(west)[0] == ("new", 1, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0))
    assert report(people.admin, team=str(people.east.pk)).stages[0].stays == 4


def test_the_period_selects_stays_by_when_they_ended(people, history):
    october = report(people.alice, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert spreads(october)[:2] == [
        ("new", 1, (4.0, 4.0, 4.0), (4.0, 4.0, 4.0)),
        ("contacted", 0, (None, None, None), (None, None, None)),
    ]


def test_an_old_event_without_business_days_gets_them_from_the_calendar(people, frozen):
    deal = new_deal(frozen, at(2026, 11, 2, 9), people.alice)
    # Written before stays carried business days: Friday 09:00 to Monday 09:00.
    event_record(
        record_type="deal",
        record_id=deal.pk,
        kind=EventKind.STAGE_LEFT,
        actor=people.alice,
        occurred_at=at(2026, 11, 9, 9),
        data={"pipeline": "export", "stage": "contacted", "to": "lost", "days_in_stage": 3.0},
    )
    assert spreads(report(people.alice))[1] == ("contacted", 1, (3.0, 3.0, 3.0), (1.0, 1.0, 1.0))


def test_as_dict_is_json_ready_with_stage_keys_and_labels(people, history):
    data = report(people.alice).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["stages"][1] == {
        "stage": "contacted",
        "label": "Contacted",
        "stays": 2,
        "days": {"median": 3.0, "p75": 5.0, "p90": 5.0},
        "business_days": {"median": 1.0, "p75": 3.0, "p90": 3.0},
        "idle_days": 3,
        "over_idle_now": 2,
    }
