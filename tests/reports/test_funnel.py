"""The stage funnel (S-41): the records created in the period, how many entered each stage, left
it forward or for a lost stage, and the conversion to the next stage, as of now."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_exception_move, record_transition
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.funnel import funnel_report
from sopcrm.playbook.schema import ObjectType

from ..api.flow import ALL_CLEAR
from ..web.conftest import CONFIRM, CONTACT, LOSE, QUOTE
from .conftest import at

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def move(record, key, data, actor):
    return record_transition(record, transition=key, data=data, actor=actor).record


def walk(deal, keys, actor):
    data = {"contact": CONTACT, "confirm_requirements": CONFIRM, "send_quote": QUOTE, "lose": LOSE}
    for key in keys:
        deal = move(deal, key, data[key], actor)
    return deal


def report(user, **params):
    return funnel_report(user, report_filter({**NOVEMBER, **params}))


def rows(result):
    """(stage, entered, advanced, lost, conversion part/whole) per stage."""
    return [
        (
            s.key,
            s.entered,
            s.advanced,
            s.lost,
            (s.conversion.part, s.conversion.whole) if s.conversion else None,
        )
        for s in result.stages
    ]


@pytest.fixture
def history(people, frozen):
    """Alice: four deals created in November (one won, one lost after contact, one lost at
    once, one still new) and one created in October; Bob: one deal created in November."""
    frozen(at(2026, 10, 30, 9))
    october = deal_create(actor=people.alice, data={"title": "October"})
    frozen(at(2026, 11, 2, 9))
    won = deal_create(actor=people.alice, data={"title": "Won"})
    bobs = deal_create(actor=people.bob, data={"title": "Bob's"})
    frozen(at(2026, 11, 3, 9))
    lost_later = deal_create(actor=people.alice, data={"title": "Lost after contact"})
    frozen(at(2026, 11, 4, 9))
    lost_at_once = deal_create(actor=people.alice, data={"title": "Lost at once"})
    frozen(at(2026, 11, 5, 9))
    deal_create(actor=people.alice, data={"title": "Still new"})
    frozen(at(2026, 11, 9, 10))
    won = walk(won, ["contact", "confirm_requirements", "send_quote"], people.alice)
    won = deal_update(won, actor=people.alice, data={"custom": {"checklist": ALL_CLEAR}})
    move(won, "win", {"amount": "18000"}, people.alice)
    walk(lost_later, ["contact", "lose"], people.alice)
    walk(lost_at_once, ["lose"], people.alice)
    walk(october, ["contact"], people.alice)
    walk(bobs, ["contact"], people.bob)
    frozen(at(2026, 11, 20, 9))


def test_each_stage_counts_the_cohort_records_that_entered_advanced_and_were_lost(people, history):
    assert rows(report(people.alice)) == [
        ("new", 4, 2, 1, (2, 4)),
        ("contacted", 2, 1, 1, (1, 2)),
        ("requirements_confirmed", 1, 1, 0, (1, 1)),
        ("quoted", 1, 1, 0, (0, 1)),
        ("following_up", 0, 0, 0, (1, 0)),
        ("won", 1, 0, 0, None),
        ("lost", 2, 0, 0, None),
    ]


def test_overall_conversion_is_the_cohort_share_that_entered_a_won_stage(people, history):
    result = report(people.alice)
    assert result.cohort == 4
    assert result.overall.as_dict() == {"part": 1, "whole": 4, "percent": 25.0}


def test_a_rep_never_counts_another_reps_deals(people, history):
    assert report(people.alice).cohort == 4
    assert report(people.east_manager).cohort == 5
    assert report(people.wendy).cohort == 0


def test_the_rep_filter_keeps_that_reps_deals(people, history):
    result = report(people.east_manager, rep=str(people.bob.pk))
    assert result.cohort == 1
    assert rows(result)[:2] == [("new", 1, 1, 0, (1, 1)), ("contacted", 1, 0, 0, (0, 1))]


def test_a_deal_created_before_the_period_is_not_in_the_cohort_however_it_moves(people, history):
    result = report(people.alice, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert result.cohort == 1
    assert rows(result)[:2] == [("new", 1, 1, 0, (1, 1)), ("contacted", 1, 0, 0, (0, 1))]


def test_a_record_that_came_back_counts_once_per_stage(people, frozen):
    frozen(at(2026, 11, 2, 9))
    deal = walk(deal_create(actor=people.alice, data={"title": "Back"}), ["contact"], people.alice)
    frozen(at(2026, 11, 3, 9))
    deal = record_exception_move(
        deal, to_stage="new", reason="Contacted the wrong person.", actor=people.east_manager
    )
    frozen(at(2026, 11, 4, 9))
    walk(deal, ["contact"], people.alice)
    assert rows(report(people.alice))[:2] == [
        ("new", 1, 1, 0, (1, 1)),
        ("contacted", 1, 1, 0, (0, 1)),
    ]


def test_the_source_filter_keeps_deals_converted_from_leads_of_that_source(people, frozen):
    frozen(at(2026, 11, 2, 9))
    fair = lead_create(actor=people.alice, data={"name": "Ana", "source": "trade_show"})
    deal_create(actor=people.alice, data={"title": "From the fair", "lead": fair.pk})
    deal_create(actor=people.alice, data={"title": "Direct"})
    assert report(people.alice).cohort == 2
    assert report(people.alice, source="trade_show").cohort == 1
    assert report(people.alice, source="website_form").cohort == 0


def test_the_lead_funnel_uses_the_lead_pipeline(people, frozen):
    frozen(at(2026, 11, 2, 9))
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    lead_create(actor=people.alice, data={"name": "Bo"})
    frozen(at(2026, 11, 3, 9))
    lead = move(lead, "contact", CONTACT, people.alice)
    move(lead, "disqualify", {"disqualify_reason": "no_real_demand"}, people.alice)
    result = funnel_report(
        people.alice,
        report_filter({**NOVEMBER, "pipeline": "inquiry"}),
        object_type=ObjectType.LEAD,
    )
    assert (result.pipeline, result.cohort) == ("inquiry", 2)
    assert rows(result) == [
        ("new", 2, 1, 0, (1, 2)),
        ("contacted", 1, 0, 1, (0, 1)),
        ("qualified", 0, 0, 0, (0, 0)),
        ("converted", 0, 0, 0, None),
        ("disqualified", 1, 0, 0, None),
    ]
    assert result.overall.as_dict() == {"part": 0, "whole": 2, "percent": 0.0}


def test_a_pipeline_the_records_are_not_in_gives_an_empty_cohort(people, history):
    assert report(people.alice, pipeline="inquiry").cohort == 0


def test_the_number_of_queries_does_not_grow_with_the_records(people, frozen):
    frozen(at(2026, 11, 2, 9))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            report(people.alice)
        return len(captured)

    walk(deal_create(actor=people.alice, data={"title": "One"}), ["contact"], people.alice)
    few = queries()
    for n in range(3):
        walk(deal_create(actor=people.alice, data={"title": f"{n}"}), ["lose"], people.alice)
    assert queries() == few


def test_as_dict_is_json_ready_with_stage_keys_labels_and_shares(people, history):
    data = report(people.alice).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["pipeline"] == "export" and data["cohort"] == 4
    assert data["stages"][0] == {
        "stage": "new",
        "label": "New",
        "kind": "open",
        "entered": 4,
        "advanced": 2,
        "lost": 1,
        "next_stage": "contacted",
        "conversion": {"part": 2, "whole": 4, "percent": 50.0},
    }
    assert data["stages"][4]["conversion"] == {"part": 1, "whole": 0, "percent": None}
    assert data["filters"] == {"from": "2026-11-01", "to": "2026-11-30"}
