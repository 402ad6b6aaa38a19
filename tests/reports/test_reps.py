"""Per rep, per team, per source (S-41): leads, deals closed, win rate, follow-ups per deal,
response time, SLA hit rate, on-time tasks and exceptions, one row per rep the viewer may see."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import User
from sopcrm.crm.records.models import Activity
from sopcrm.crm.records.services.activities import activity_complete
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.merging import lead_merge
from sopcrm.crm.records.services.transitions import record_exception_move
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.reps import reps_report
from sopcrm.crm.reports.tasks import tasks_report

from ..api.flow import ALL_CLEAR
from ..web.conftest import LOSE
from .conftest import at, log_contact, move, quote

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
WIN = {"amount": "12000"}


def report(user, by="rep", **params):
    return reps_report(user, report_filter({**NOVEMBER, **params}), by=by)


def columns(row):
    """(name, leads, closed, win %, follow-ups/deal, response h, SLA %, on-time %, exceptions)"""
    data = row.as_dict()
    return (
        data["name"],
        data["leads"],
        data["deals_closed"],
        data["win_rate"]["percent"],
        data["follow_ups_per_deal"],
        data["response_hours"],
        data["sla_rate"]["percent"],
        data["tasks_on_time"]["percent"],
        data["exceptions"],
    )


def table(result):
    return [columns(row) for row in result.rows]


def lead_at(frozen, moment, actor, name, source, **data):
    frozen(moment)
    return lead_create(actor=actor, data={"name": name, "source": source, **data})


def answer_at(frozen, moment, actor, lead):
    """Complete the lead's first-contact task (an e-mail): its response."""
    frozen(moment)
    task = Activity.objects.get(lead=lead, template_key="first_contact")
    activity_complete(task, actor=actor, data={"summary": "Answered."})


def deal_at(frozen, moment, actor, title, **data):
    frozen(moment)
    custom = {"checklist": ALL_CLEAR, **data.pop("custom", {})}
    return deal_create(actor=actor, data={"title": title, "custom": custom, **data})


@pytest.fixture
def history(people, frozen):
    """November 2026, now Fri 27 12:00. Every lead and deal starts with a first-contact task due
    24 working-day hours later; quoting completes a deal's; the Quoted stage's tasks are
    cancelled when the deal closes; winning adds an order confirmation (due a working day
    later) and production follow-up (14 days later) among tasks due after November.

    alice  trade-show lead (DE) Mon 2 10:00, answered 12:00: 2 h in time
           e-mail lead Tue 3 10:00, answered Thu 5 10:00: 48 h, late, first contact late
           deal from the trade-show lead (standard line), quoted Mon 2 14:00, a call Wed 4,
             won Mon 9 10:00, order confirmed Tue 10 09:00, a call Thu 12 (after the close)
           deal without a lead (custom line) Tue 3 10:00, a call Wed 4, lost Fri 6
           deal lost in October
    bob    e-mail lead Wed 4 10:00, never answered: late, its first contact open
           deal from it, quoted Wed 4 11:00, lost Tue 10
           deal Thu 5 10:00 moved by his manager to Following up Fri 6: an exception
    wendy  website lead Mon 2 10:00, answered 11:00: 1 h in time
           deal from it, quoted Mon 2 12:00, won Thu 12 10:00
    """
    old = deal_at(frozen, at(2026, 10, 1, 10), people.alice, "October")
    frozen(at(2026, 10, 2, 10))
    move(old, "lose", LOSE, people.alice)

    fair = lead_at(frozen, at(2026, 11, 2, 10), people.alice, "Fair", "trade_show", country="DE")
    answer_at(frozen, at(2026, 11, 2, 12), people.alice, fair)
    mail = lead_at(frozen, at(2026, 11, 3, 10), people.alice, "Mail", "email")
    answer_at(frozen, at(2026, 11, 5, 10), people.alice, mail)
    won = deal_at(
        frozen,
        at(2026, 11, 2, 14),
        people.alice,
        "Won",
        lead=fair.pk,
        custom={"product_line": "standard"},
    )
    won = quote(won, people.alice)
    frozen(at(2026, 11, 4, 10))
    log_contact(people.alice, won)
    frozen(at(2026, 11, 9, 10))
    won = move(won, "win", WIN, people.alice)
    complete = Activity.objects.get(deal=won, template_key="order_confirmation")
    answer = {"summary": "Order confirmed."}
    frozen(at(2026, 11, 10, 9))
    activity_complete(complete, actor=people.alice, data=answer)
    frozen(at(2026, 11, 12, 10))
    log_contact(people.alice, won)
    lost = deal_at(
        frozen, at(2026, 11, 3, 10), people.alice, "Lost", custom={"product_line": "custom"}
    )
    frozen(at(2026, 11, 4, 9))
    log_contact(people.alice, lost)
    frozen(at(2026, 11, 6, 10))
    move(lost, "lose", LOSE, people.alice)

    silent = lead_at(frozen, at(2026, 11, 4, 10), people.bob, "Silent", "email")
    bobs = deal_at(frozen, at(2026, 11, 4, 11), people.bob, "Bob's", lead=silent.pk)
    bobs = quote(bobs, people.bob)
    frozen(at(2026, 11, 10, 10))
    move(bobs, "lose", LOSE, people.bob)
    skipped = deal_at(frozen, at(2026, 11, 5, 10), people.bob, "Skipped")
    frozen(at(2026, 11, 6, 10))
    record_exception_move(
        skipped, to_stage="following_up", reason="Met at the fair.", actor=people.east_manager
    )

    web = lead_at(frozen, at(2026, 11, 2, 10), people.wendy, "Web", "website_form")
    answer_at(frozen, at(2026, 11, 2, 11), people.wendy, web)
    wendys = deal_at(frozen, at(2026, 11, 2, 12), people.wendy, "Wendy's", lead=web.pk)
    wendys = quote(wendys, people.wendy)
    frozen(at(2026, 11, 12, 10))
    move(wendys, "win", WIN, people.wendy)
    frozen(at(2026, 11, 27, 12))
    return {"won": won}


def test_one_row_per_rep_with_every_column(people, history):
    assert table(report(people.admin)) == [
        ("alice", 2, 2, 50.0, 1.5, 2.0, 50.0, 60.0, 0),
        ("bob", 1, 1, 0.0, 1.0, None, 0.0, 50.0, 1),
        ("wendy", 1, 1, 100.0, 1.0, 1.0, 100.0, 50.0, 0),
    ]


def test_the_total_row_adds_up_the_rows(people, history):
    assert columns(report(people.admin).total) == (
        "Total",
        4,
        4,
        50.0,
        1.25,
        2.0,
        50.0,
        54.5,
        1,
    )


def test_follow_ups_count_completed_outbound_contacts_up_to_the_close(people, history):
    # The won deal: its first contact (done by quoting) and Wednesday's call; not the call
    # after the win.
    alice = report(people.admin).rows[0].as_dict()
    assert (alice["follow_ups"], alice["deals_closed"], alice["won"]) == (3, 2, 1)


def test_the_rows_by_team(people, history):
    assert table(report(people.admin, by="team")) == [
        ("East", 3, 3, 33.3, 1.33, 2.0, 33.3, 57.1, 1),
        ("West", 1, 1, 100.0, 1.0, 1.0, 100.0, 50.0, 0),
    ]


def test_the_rows_by_lead_source_with_deals_without_a_lead_last(people, history):
    assert table(report(people.admin, by="source")) == [
        ("Trade show", 1, 1, 100.0, 2.0, 2.0, 100.0, 75.0, 0),
        ("Website form", 1, 1, 100.0, 1.0, 1.0, 100.0, 50.0, 0),
        ("Email", 2, 1, 0.0, 1.0, 48.0, 0.0, 33.3, 0),
        ("No lead source", 0, 1, 0.0, 1.0, None, None, None, 1),
    ]


def test_the_columns_agree_with_the_tasks_report(people, history):
    filters = report_filter(NOVEMBER)
    tasks = {
        row.user_id: row.count.on_time_rate for row in tasks_report(people.admin, filters).by_rep
    }
    rows = report(people.admin).rows
    assert {row.key: row.tally.tasks.on_time_rate for row in rows} == tasks


def test_every_visible_rep_has_a_row_even_without_figures(people, history):
    assert table(report(people.admin, product_line="standard")) == [
        ("alice", 1, 1, 100.0, 2.0, 2.0, 100.0, 75.0, 0),
        ("bob", 0, 0, None, None, None, None, None, 0),
        ("wendy", 0, 0, None, None, None, None, None, 0),
    ]


def test_a_rep_sees_only_their_own_row(people, history):
    assert [row.name for row in report(people.bob).rows] == ["bob"]
    assert columns(report(people.bob).total)[1:] == (1, 1, 0.0, 1.0, None, 0.0, 50.0, 1)
    other = report(people.alice, rep=str(people.bob.pk))
    assert (other.rows, columns(other.total)[1:3]) == ([], (0, 0))


def test_a_manager_sees_their_teams_reps_and_not_another_team(people, history):
    assert [row.name for row in report(people.east_manager).rows] == ["alice", "bob"]
    assert [row.name for row in report(people.west_manager, by="team").rows] == ["West"]
    assert report(people.west_manager, team=str(people.east.pk)).rows == []


def test_the_country_filter_keeps_the_records_of_the_country(people, history):
    assert table(report(people.east_manager, country="DE")) == [
        ("alice", 1, 0, None, None, 2.0, 100.0, 100.0, 0),
        ("bob", 0, 0, None, None, None, None, None, 0),
    ]


def test_an_unknown_grouping_is_refused(people, history):
    with pytest.raises(InvalidInput) as error:
        report(people.admin, by="country")
    assert [(p.field, p.code) for p in error.value.problems] == [("by", "invalid")]


def test_the_number_of_queries_does_not_grow_with_the_records(people, history, frozen):
    def count():
        admin = User.objects.get(pk=people.admin.pk)
        with CaptureQueriesContext(connection) as queries:
            report(admin)
        return len(queries)

    before = count()
    another = deal_at(frozen, at(2026, 11, 16, 10), people.bob, "Another")
    frozen(at(2026, 11, 17, 10))
    move(quote(another, people.bob), "lose", LOSE, people.bob)
    frozen(at(2026, 11, 27, 12))
    assert count() == before


def test_the_report_serialises_to_json(people, history):
    data = json.loads(json.dumps(report(people.west_manager).as_dict()))
    share = {"part": 1, "whole": 1, "percent": 100.0}
    wendy = {
        "key": people.wendy.pk,
        "name": "wendy",
        "leads": 1,
        "deals_closed": 1,
        "won": 1,
        "win_rate": share,
        "follow_ups": 1,
        "follow_ups_per_deal": 1.0,
        "response_hours": 1.0,
        "sla_rate": share,
        "tasks_on_time": {"part": 2, "whole": 4, "percent": 50.0},
        "exceptions": 0,
    }
    assert data == {
        "filters": NOVEMBER,
        "by": "rep",
        "rows": [wendy],
        "total": {**wendy, "key": None, "name": "Total"},
    }


def test_a_merge_closing_a_lead_is_not_counted_as_an_exception(people, frozen):
    frozen(at(2026, 10, 5, 9))
    keep = lead_create(actor=people.alice, data={"name": "Ana", "source": "email"})
    absorb = lead_create(actor=people.alice, data={"name": "Ana again", "source": "email"})
    lead_merge(keep, absorb, actor=people.alice)
    frozen(at(2026, 11, 2, 9))
    report = reps_report(people.alice, report_filter({"from": "2026-10-01", "to": "2026-10-31"}))
    assert [row.tally.exceptions for row in report.rows] == [0]
