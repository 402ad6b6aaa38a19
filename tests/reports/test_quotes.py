"""Quote outcomes (S-35, S-41): the deals first quoted in the period, the share now won, lost and
open, and the follow-ups after the quote (completed outbound customer contacts up to the close,
or now)."""

import json
from datetime import date

import pytest
import yaml

from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_complete, activity_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.crm.records.services.transitions import record_exception_move, record_transition
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.quotes import quotes_report
from sopcrm.playbook.loader import bundled_playbook_path

from ..api.flow import ALL_CLEAR
from ..web.conftest import CONFIRM, CONTACT, LOSE, QUOTE
from .conftest import at

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
CHASE = {
    "summary": "Sent the CE report",
    "channel": "whatsapp",
    "feedback_type": "no_reply",
    "new_information": "new_material",
}


def move(deal, key, data, actor):
    return record_transition(deal, transition=key, data=data, actor=actor).record


def quoted(frozen, day, owner, **data):
    """A deal created and contacted at 09:00 and quoted at 10:00 on `day`."""
    frozen(at(day.year, day.month, day.day, 9))
    deal = deal_create(actor=owner, data={"title": "Valves", **data})
    deal = move(deal, "contact", CONTACT, owner)
    deal = move(deal, "confirm_requirements", CONFIRM, owner)
    frozen(at(day.year, day.month, day.day, 10))
    return move(deal, "send_quote", QUOTE, owner)


def log(frozen, moment, deal, actor, kind="call", direction="outbound"):
    frozen(moment)
    activity_create(
        actor=actor,
        data={"kind": kind, "deal": deal.pk, "summary": "Talked", "direction": direction},
    )


def task(deal, key):
    return Activity.objects.get(deal=deal, template_key=key, status=ActivityStatus.OPEN)


def report(user, **params):
    return quotes_report(user, report_filter({**NOVEMBER, **params}))


@pytest.fixture
def history(people, frozen):
    """Alice's deals first quoted in November: one won after three follow-ups, one lost after
    one, one open with two; one first quoted in October and quoted again in November; Bob's
    deal quoted in November with four follow-ups. Now: 20 November."""
    germany = account_create(actor=people.alice, data={"name": "Acme", "country": "DE"})
    again = quoted(frozen, date(2026, 10, 28), people.alice)
    frozen(at(2026, 10, 29, 9))
    again = record_exception_move(
        again, to_stage="requirements_confirmed", reason="Re-quote.", actor=people.east_manager
    )
    won = quoted(frozen, date(2026, 11, 2), people.alice, account=germany.pk)
    log(frozen, at(2026, 11, 2, 9, 30), won, people.alice)  # before the quote
    log(frozen, at(2026, 11, 3, 9), won, people.alice)
    activity_complete(task(won, "quote_confirmation"), actor=people.alice, data={"summary": "Ok"})
    log(frozen, at(2026, 11, 4, 9), won, people.alice, kind="email")
    log(frozen, at(2026, 11, 4, 9), won, people.alice, kind="note", direction="internal")
    frozen(at(2026, 11, 5, 9))
    activity_complete(task(won, "chase_1"), actor=people.alice, data=CHASE)
    frozen(at(2026, 11, 10, 10))
    won = deal_update(won, actor=people.alice, data={"custom": {"checklist": ALL_CLEAR}})
    move(won, "win", {"amount": "18000"}, people.alice)
    log(frozen, at(2026, 11, 11, 9), won, people.alice)  # after the close

    lost = quoted(frozen, date(2026, 11, 3), people.alice, custom={"product_line": "custom"})
    log(frozen, at(2026, 11, 4, 9), lost, people.alice)
    frozen(at(2026, 11, 6, 10))
    move(lost, "lose", LOSE, people.alice)
    log(frozen, at(2026, 11, 9, 9), lost, people.alice)  # after the close

    still_open = quoted(frozen, date(2026, 11, 4), people.alice)
    log(frozen, at(2026, 11, 5, 9), still_open, people.alice)
    log(frozen, at(2026, 11, 6, 9), still_open, people.alice, kind="message", direction="inbound")
    log(frozen, at(2026, 11, 12, 9), still_open, people.alice)

    frozen(at(2026, 11, 5, 10))
    move(again, "send_quote", QUOTE, people.alice)
    log(frozen, at(2026, 11, 6, 10), again, people.alice)

    bobs = quoted(frozen, date(2026, 11, 3), people.bob)
    for day in (4, 5, 6, 9):
        log(frozen, at(2026, 11, day, 11), bobs, people.bob)
    frozen(at(2026, 11, 20, 9))


def test_the_quoted_deals_are_split_into_won_lost_and_open_now(people, history):
    result = report(people.alice)
    assert result.configured and result.quoted == 3
    assert [result.won.as_dict(), result.lost.as_dict(), result.open.as_dict()] == [
        {"part": 1, "whole": 3, "percent": 33.3},
        {"part": 1, "whole": 3, "percent": 33.3},
        {"part": 1, "whole": 3, "percent": 33.3},
    ]


def test_follow_ups_are_outbound_contacts_from_the_first_quote_to_the_close_or_now(people, history):
    # Won: a call, an email and a chase done on WhatsApp (not the call before the quote, the
    # note, the task done without a channel, nor the call after the win); lost: one call;
    # open: two calls (not the customer's message).
    result = report(people.alice)
    assert result.follow_ups.as_dict() == {"average": 2.0, "contacts": 6, "deals": 3}
    assert result.follow_ups_won.as_dict() == {"average": 3.0, "contacts": 3, "deals": 1}
    assert result.follow_ups_lost.as_dict() == {"average": 1.0, "contacts": 1, "deals": 1}


def test_a_deal_counts_in_the_period_of_its_first_quote_only(people, history):
    october = report(people.alice, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert (october.quoted, october.open.part) == (1, 1)
    # From its first quote on 28 October to now: the call of 6 November.
    assert october.follow_ups.as_dict() == {"average": 1.0, "contacts": 1, "deals": 1}


def test_a_rep_never_counts_another_reps_deals(people, history):
    assert report(people.bob).quoted == 1
    assert report(people.bob).follow_ups.as_dict() == {"average": 4.0, "contacts": 4, "deals": 1}
    assert report(people.east_manager).quoted == 4
    assert report(people.wendy).quoted == 0


def test_the_country_filter_keeps_deals_of_accounts_in_that_country(people, history):
    result = report(people.alice, country="de")
    assert (result.quoted, result.won.part) == (1, 1)


def test_the_product_line_filter_keeps_deals_of_that_line(people, history):
    result = report(people.alice, product_line="custom")
    assert (result.quoted, result.lost.as_dict()) == (1, {"part": 1, "whole": 1, "percent": 100.0})


def test_no_quotes_give_shares_of_nothing_not_zero(people, history):
    result = report(people.wendy)
    assert result.won.as_dict() == {"part": 0, "whole": 0, "percent": None}
    assert result.follow_ups.as_dict() == {"average": None, "contacts": 0, "deals": 0}


def test_a_playbook_that_names_no_quote_stage_is_not_set_up(people):
    data = yaml.safe_load(bundled_playbook_path("export_trade").read_text())
    del data["objects"]["deal"]["reports"]["quote_stage"]
    playbook_apply(source=yaml.safe_dump(data, allow_unicode=True), source_name="v2", actor=None)
    result = report(people.alice)
    assert (result.configured, result.quote_stage, result.quoted) == (False, None, 0)
    assert result.as_dict()["configured"] is False


def test_as_dict_is_json_ready_with_the_stage_and_its_label(people, history):
    data = report(people.alice).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert (data["quote_stage"], data["quote_stage_label"], data["quoted"]) == (
        "quoted",
        "Quoted",
        3,
    )
    assert data["follow_ups_won"] == {"average": 3.0, "contacts": 3, "deals": 1}
