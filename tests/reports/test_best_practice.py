"""Best practice (S-44): the top three reps by win rate (5 or more deals closed in the period)
beside the team: follow-ups per closed deal and per week of deal life, the channels of their
contacts, the median days in each stage of their won deals; and the paths of the fastest wins."""

import json

import pytest

from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.reports.best_practice import best_practice_report
from sopcrm.crm.reports.filters import report_filter

from ..api.flow import ALL_CLEAR
from ..web.conftest import CONFIRM, CONTACT, LOSE, QUOTE
from .conftest import at, log_contact, move

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
STEPS = (("contact", CONTACT), ("confirm_requirements", CONFIRM), ("send_quote", QUOTE))


def report(user, **params):
    return best_practice_report(user, report_filter({**NOVEMBER, **params}))


def day(d, hh=10):
    return at(2026, 11, d, hh)


def closed_deal(frozen, owner, title, created, *, steps=(), close, won, contacts=()):
    """A deal created on day `created` that takes contact, requirements and quote on the days
    in `steps` (none: lost straight from New), gets the logged `contacts` ((day, kind,
    channel)) and is won or lost on day `close`; all at 10:00."""
    frozen(day(created))
    deal = deal_create(actor=owner, data={"title": title, "custom": {"checklist": ALL_CLEAR}})
    for on, (key, data) in zip(steps, STEPS, strict=False):
        frozen(day(on))
        deal = move(deal, key, data, owner)
    for on, kind, channel in contacts:
        frozen(day(on))
        log_contact(owner, deal, kind=kind, channel=channel)
    frozen(day(close))
    return move(deal, "win", {"amount": "1000"}, owner) if won else move(deal, "lose", LOSE, owner)


@pytest.fixture
def history(people, frozen):
    """November 2026. Quoting a deal completes its first-contact task, an e-mail: a follow-up.

    alice  5 closed, 4 won (80 %): (created, contacted, requirements, quoted, closed)
           A1 2 2 3 5 won 9, a call on 4 and a WhatsApp message on 6, a call on 20 after it
           A2 2 2 4 6 won 12, an e-mail on 7
           A3 3 3 4 5 won 6 (3 days: her fastest)
           A4 9 9 10 11 won 16, a call on 12
           A5 10, a call on 11, lost from New on 13
    bob    5 closed, 2 won (40 %)
           B1 2 2 4 9 won 16;  B2 3 3 5 10 won 20;  B3 4 4 4 4 lost 11
           B4 5, a call the same day, lost from New on 6;  B5 6, lost from New on 13
    wendy  4 closed, all won, quoted at creation: too few deals for the top, the fastest wins
           W1 2 won 3;  W2 3 won 5;  W3 4 won 8;  W4 9 won 14
    """
    a, b, w = people.alice, people.bob, people.wendy
    deals = {}
    deals["A1"] = closed_deal(
        frozen,
        a,
        "A1",
        2,
        steps=(2, 3, 5),
        close=9,
        won=True,
        contacts=((4, "call", "phone"), (6, "message", "whatsapp")),
    )
    frozen(day(20))
    log_contact(a, deals["A1"])
    deals["A2"] = closed_deal(
        frozen, a, "A2", 2, steps=(2, 4, 6), close=12, won=True, contacts=((7, "email", "email"),)
    )
    deals["A3"] = closed_deal(frozen, a, "A3", 3, steps=(3, 4, 5), close=6, won=True)
    deals["A4"] = closed_deal(
        frozen, a, "A4", 9, steps=(9, 10, 11), close=16, won=True, contacts=((12, "call", "phone"),)
    )
    closed_deal(frozen, a, "A5", 10, close=13, won=False, contacts=((11, "call", "phone"),))
    closed_deal(frozen, b, "B1", 2, steps=(2, 4, 9), close=16, won=True)
    closed_deal(frozen, b, "B2", 3, steps=(3, 5, 10), close=20, won=True)
    closed_deal(frozen, b, "B3", 4, steps=(4, 4, 4), close=11, won=False)
    closed_deal(frozen, b, "B4", 5, close=6, won=False, contacts=((5, "call", "phone"),))
    closed_deal(frozen, b, "B5", 6, close=13, won=False)
    for title, created, close in (("W1", 2, 3), ("W2", 3, 5), ("W3", 4, 8), ("W4", 9, 14)):
        deals[title] = closed_deal(
            frozen, w, title, created, steps=(created,) * 3, close=close, won=True
        )
    frozen(day(27, 12))
    return deals


def summary(practice):
    return (
        practice.deals_closed,
        practice.win_rate.percent,
        practice.follow_ups,
        practice.follow_ups_per_deal,
        practice.follow_ups_per_week,
    )


def channels(practice):
    return [(c.channel, c.share.part, c.share.whole, c.share.percent) for c in practice.channels]


def stage_days(practice):
    return [(s.stage, s.median_days, s.deals) for s in practice.stage_days]


def test_the_top_reps_are_ranked_by_win_rate_among_those_with_five_deals_closed(people, history):
    # Wendy won all 4 of hers: too few to say anything.
    result = report(people.admin)
    assert [(rep.name, rep.practice.win_rate.percent) for rep in result.top] == [
        ("alice", 80.0),
        ("bob", 40.0),
    ]


def test_follow_ups_per_closed_deal_and_per_week_of_deal_life(people, history):
    # Alice: 9 follow-ups up to the closes (not the call after A1 was won), 30 days of life.
    # Bob: 4 follow-ups over 46 days. The team: 17 over 88 days.
    result = report(people.admin)
    assert [summary(rep.practice) for rep in result.top] == [
        (5, 80.0, 9, 1.8, 2.1),
        (5, 40.0, 4, 0.8, 0.61),
    ]
    assert summary(result.team) == (14, 71.4, 17, 1.21, 1.35)


def test_channel_shares_of_the_outbound_contacts_made_in_the_period(people, history):
    result = report(people.admin)
    assert channels(result.top[0].practice) == [
        ("email", 5, 10, 50.0),
        ("phone", 4, 10, 40.0),
        ("whatsapp", 1, 10, 10.0),
    ]
    assert channels(result.top[1].practice) == [("email", 3, 4, 75.0), ("phone", 1, 4, 25.0)]
    assert channels(result.team) == [
        ("email", 12, 18, 66.7),
        ("phone", 5, 18, 27.8),
        ("whatsapp", 1, 18, 5.6),
    ]


def test_median_days_in_each_stage_of_the_won_deals(people, history):
    result = report(people.admin)
    assert stage_days(result.top[0].practice) == [
        ("new", 0.0, 4),
        ("contacted", 1.0, 4),
        ("requirements_confirmed", 1.0, 4),
        ("quoted", 4.0, 4),
    ]
    assert stage_days(result.top[1].practice) == [
        ("new", 0.0, 2),
        ("contacted", 2.0, 2),
        ("requirements_confirmed", 5.0, 2),
        ("quoted", 7.0, 2),
    ]
    assert stage_days(result.team) == [
        ("new", 0.0, 10),
        ("contacted", 1.0, 10),
        ("requirements_confirmed", 1.0, 10),
        ("quoted", 4.0, 10),
    ]


def test_the_paths_of_the_five_deals_won_fastest(people, history):
    fastest = report(people.admin).fastest
    assert [(win.title, win.owner, win.days_to_win) for win in fastest] == [
        ("W1", "wendy", 1.0),
        ("W2", "wendy", 2.0),
        ("A3", "alice", 3.0),
        ("W3", "wendy", 4.0),
        ("W4", "wendy", 5.0),
    ]
    assert [(step.stage, step.entered_at, step.days) for step in fastest[2].path] == [
        ("new", day(3), 0.0),
        ("contacted", day(3), 1.0),
        ("requirements_confirmed", day(4), 1.0),
        ("quoted", day(5), 1.0),
        ("won", day(6), None),
    ]


def test_a_rep_sees_only_their_own_figures(people, history):
    result = report(people.alice)
    assert [rep.name for rep in result.top] == ["alice"]
    assert summary(result.team) == (5, 80.0, 9, 1.8, 2.1)
    assert [win.title for win in result.fastest] == ["A3", "A1", "A4", "A2"]


def test_a_manager_sees_their_team_and_not_another_team(people, history):
    east = report(people.east_manager)
    assert [rep.name for rep in east.top] == ["alice", "bob"]
    assert [win.title for win in east.fastest] == ["A3", "A1", "A4", "A2", "B1"]
    west = report(people.west_manager)
    assert (west.top, summary(west.team)) == ([], (4, 100.0, 4, 1.0, 2.33))


def test_the_rep_filter_narrows_to_one_rep(people, history):
    result = report(people.admin, rep=str(people.bob.pk))
    assert [rep.name for rep in result.top] == ["bob"]
    assert summary(result.team) == (5, 40.0, 4, 0.8, 0.61)


def test_a_period_without_closed_deals_has_no_top_and_no_figures(people, history):
    result = report(people.admin, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert (result.top, result.fastest, summary(result.team)) == (
        [],
        [],
        (0, None, 0, None, None),
    )


def test_the_report_serialises_to_json(people, history):
    data = json.loads(json.dumps(report(people.west_manager).as_dict()))
    assert data["min_closed"] == 5
    assert data["team"]["channels"] == [
        {"channel": "email", "label": "Email", "part": 4, "whole": 4, "percent": 100.0}
    ]
    assert data["fastest"][0]["path"][-1] == {
        "stage": "won",
        "label": "Won",
        "entered_at": "2026-11-03T10:00:00+08:00",
        "days": None,
    }
