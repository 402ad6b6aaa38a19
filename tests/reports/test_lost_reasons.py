"""Lost reasons (S-36, S-40, S-41): the deals lost in the period, each reason of a multi-select
counted once per deal as a share of the lost deals, by competitor and by reactivation
likelihood."""

import json

import pytest
import yaml
from django.utils import translation

from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.crm.records.services.transitions import record_exception_move, record_transition
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.lost import lost_reasons_report
from sopcrm.playbook.loader import bundled_playbook_path

from .conftest import at

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def lose(frozen, moment, owner, reasons, likelihood="unlikely", competitor=None, deal=None):
    """A deal (new, or `deal`) lost at `moment` through the playbook's lose transition."""
    frozen(moment)
    if deal is None:
        deal = deal_create(actor=owner, data={"title": "Valves"})
    data = {
        "lost_reasons": reasons,
        "lost_note": "Chose another supplier.",
        "reactivation_likelihood": likelihood,
    }
    if competitor is not None:
        data["competitor"] = competitor
    return record_transition(deal, transition="lose", data=data, actor=owner).record


def report(user, **params):
    return lost_reasons_report(user, report_filter({**NOVEMBER, **params}))


def counts(rows):
    return [(row.key, row.label, row.share.part, row.share.whole) for row in rows]


@pytest.fixture
def history(people, frozen):
    """Alice loses five deals in November (one of them twice, one moved to Lost by exception
    without reasons) and one in October; Bob loses one in November."""
    lose(
        frozen,
        at(2026, 10, 20, 9),
        people.alice,
        ["customer_internal"],
        competitor="October Valves",
    )
    lose(
        frozen,
        at(2026, 11, 3, 9),
        people.alice,
        ["lead_time_too_long", "price_too_high"],
        likelihood="within_3_months",
        competitor="  Turkey Valves ",
    )
    lose(frozen, at(2026, 11, 4, 9), people.alice, ["price_too_high"], competitor="Turkey Valves")
    lose(frozen, at(2026, 11, 5, 9), people.alice, ["certification_not_met"], competitor=" ")
    twice = lose(frozen, at(2026, 11, 6, 9), people.alice, ["lead_time_too_long"])
    frozen(at(2026, 11, 7, 9))
    twice = record_exception_move(
        twice, to_stage="new", reason="The customer came back.", actor=people.east_manager
    )
    lose(
        frozen,
        at(2026, 11, 9, 9),
        people.alice,
        ["lead_time_too_long", "spec_mismatch"],
        likelihood="within_6_12_months",
        competitor="Ningbo Flow",
        deal=twice,
    )
    frozen(at(2026, 11, 10, 9))
    record_exception_move(
        deal_create(actor=people.alice, data={"title": "Gone quiet"}),
        to_stage="lost",
        reason="No answer for months.",
        actor=people.east_manager,
    )
    lose(frozen, at(2026, 11, 11, 9), people.bob, ["customer_internal"], competitor="Bob's rival")
    frozen(at(2026, 11, 20, 9))


def test_each_reason_counts_once_per_deal_as_a_share_of_the_lost_deals(people, history):
    result = report(people.alice)
    assert (result.lost, result.without_reason) == (5, 1)
    assert counts(result.reasons) == [
        ("price_too_high", "Price too high", 2, 5),
        ("lead_time_too_long", "Lead time too long", 2, 5),
        ("certification_not_met", "Certification not met", 1, 5),
        ("spec_mismatch", "Specification mismatch", 1, 5),
    ]


def test_a_deal_lost_twice_in_the_period_counts_once_with_its_reasons_now(people, history):
    # Lost on 6 November for the lead time, reopened, lost on 9 November for both reasons.
    result = report(people.alice, **{"from": "2026-11-06", "to": "2026-11-09"})
    assert result.lost == 1
    assert counts(result.reasons) == [
        ("lead_time_too_long", "Lead time too long", 1, 1),
        ("spec_mismatch", "Specification mismatch", 1, 1),
    ]


def test_top_gives_the_most_frequent_reasons(people, history):
    assert [row.key for row in report(people.alice).top(3)] == [
        "price_too_high",
        "lead_time_too_long",
        "certification_not_met",
    ]


def test_competitors_are_trimmed_and_blank_is_unknown(people, history):
    assert counts(report(people.alice).competitors) == [
        ("Turkey Valves", "Turkey Valves", 2, 5),
        ("unknown", "Unknown", 2, 5),
        ("Ningbo Flow", "Ningbo Flow", 1, 5),
    ]


def test_reactivation_likelihood_follows_the_option_order_with_unknown_last(people, history):
    assert counts(report(people.alice).reactivation) == [
        ("within_3_months", "Within 3 months", 1, 5),
        ("within_6_12_months", "In 6-12 months", 1, 5),
        ("unlikely", "Unlikely", 2, 5),
        ("unknown", "Unknown", 1, 5),
    ]


def test_labels_follow_the_active_language(people, history):
    with translation.override("zh-hans"):
        result = report(people.alice)
    assert [row.label for row in result.reasons][:2] == ["价格太高", "交期太长"]
    assert [row.label for row in result.reactivation][:1] == ["3个月内"]


def test_a_rep_never_counts_another_reps_deals(people, history):
    assert counts(report(people.bob).reasons) == [
        ("customer_internal", "Customer-internal reason", 1, 1)
    ]
    assert report(people.east_manager).lost == 6
    assert report(people.wendy).lost == 0


def test_the_team_filter_keeps_the_teams_deals(people, history):
    assert report(people.admin, team=str(people.east.pk)).lost == 6
    assert report(people.admin, team=str(people.west.pk)).lost == 0


def test_a_part_the_playbook_names_no_field_for_is_not_set_up(people, history):
    data = yaml.safe_load(bundled_playbook_path("export_trade").read_text())
    del data["objects"]["deal"]["reports"]["competitor"]
    playbook_apply(source=yaml.safe_dump(data, allow_unicode=True), source_name="v2", actor=None)
    result = report(people.alice)
    assert (result.reasons_configured, result.competitors_configured) == (True, False)
    assert (result.competitors, len(result.reasons)) == ((), 4)


def test_as_dict_is_json_ready_with_keys_labels_and_shares(people, history):
    data = report(people.alice).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["lost"] == 5
    assert data["reasons"]["rows"][0] == {
        "key": "price_too_high",
        "label": "Price too high",
        "share": {"part": 2, "whole": 5, "percent": 40.0},
    }
    assert (data["reasons"]["configured"], data["reasons"]["without_reason"]) == (True, 1)
    assert data["competitors"]["configured"] is True


def test_a_field_a_rep_may_not_see_is_not_reported_to_them(people, history):
    data = yaml.safe_load(bundled_playbook_path("export_trade").read_text())
    fields = data["objects"]["deal"]["fields"]
    competitor = next(f for f in fields if f["key"] == "competitor")
    competitor["visible_to"] = ["manager", "admin"]
    competitor["editable_by"] = ["manager", "admin"]
    playbook_apply(source=yaml.safe_dump(data), source_name="private.yaml", actor=None)
    period = report_filter({"from": "2026-10-01", "to": "2026-10-31"})
    as_rep = lost_reasons_report(people.alice, period)
    assert (as_rep.competitors_configured, as_rep.competitors) == (False, ())
    assert lost_reasons_report(people.east_manager, period).competitors_configured
