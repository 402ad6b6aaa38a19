"""The export-trade deal flow (S-04, S-09..S-11, S-13, S-15, S-20..S-22) through the transition
service, with time frozen."""

import pytest

from sopcrm.core.errors import Conflict, InvalidInput, NotFound
from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.activities import activity_complete
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.transitions import record_transition

from ..api.flow import ALL_CLEAR
from .conftest import at, open_tasks

CONTACT = {
    "first_contact_channel": "whatsapp",
    "requirements_clear": True,
    "expected_purchase_time": "within_3_months",
}
CONFIRM = {
    "target_price": {"amount": "12.50", "currency": "USD"},
    "lead_time_requirement": "30 days",
    "certifications": "EU, CE",
    "competitor": "A local maker",
}
QUOTE = {
    "quote_date": "2025-11-03",
    "quote_valid_until": "2025-12-03",
    "quote_channel": "email",
    "core_specifications": "DN50 stainless, PN16",
    "quote_type": "range_with_preconditions",  # S-30: no checklist needed
}
LOSE = {
    "lost_reasons": ["price_too_high", "lead_time_too_long"],
    "lost_note": "Chose a supplier in Turkey.",
    "reactivation_likelihood": "within_6_12_months",
}


def move(deal, key, data, actor):
    return record_transition(deal, transition=key, data=data, actor=actor).record


def order_ready(deal, actor):
    """Every checklist item clear: the order needs no change clause (S-32)."""
    return deal_update(deal, actor=actor, data={"custom": {"checklist": ALL_CLEAR}})


def quoted_deal(people, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = move(deal, "contact", CONTACT, people.alice)
    deal = move(deal, "confirm_requirements", CONFIRM, people.alice)
    return move(deal, "send_quote", QUOTE, people.alice)


def test_contact_requires_the_three_s09_fields_all_reported_at_once(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    with pytest.raises(InvalidInput) as error:
        record_transition(deal, transition="contact", data={}, actor=people.alice)
    assert {p.field for p in error.value.problems} == set(CONTACT)


def test_refused_transition_changes_nothing(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    events = Event.objects.count()
    with pytest.raises(InvalidInput):
        record_transition(
            deal,
            transition="contact",
            data={"first_contact_channel": "email"},
            actor=people.alice,
        )
    deal.refresh_from_db()
    assert (deal.stage, deal.custom, Event.objects.count()) == ("new", {}, events)


def test_contact_with_fields_enters_contacted_and_completes_first_contact(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = move(deal, "contact", CONTACT, people.alice)
    assert deal.stage == "contacted"
    assert deal.custom["first_contact_channel"] == "whatsapp"
    assert Activity.objects.get(deal=deal, template_key="first_contact").status == "done"


def test_stage_change_logs_left_and_entered_with_the_transition(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    move(deal, "contact", CONTACT, people.alice)
    left = Event.objects.get(record_id=deal.pk, kind=EventKind.STAGE_LEFT)
    assert (left.data["stage"], left.data["to"], left.data["transition"]) == (
        "new",
        "contacted",
        "contact",
    )


def test_skipping_a_stage_is_not_possible(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    with pytest.raises(Conflict):
        record_transition(deal, transition="send_quote", data=QUOTE, actor=people.alice)


def test_field_not_asked_by_the_transition_is_refused(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    with pytest.raises(InvalidInput) as error:
        record_transition(
            deal, transition="contact", data={**CONTACT, "competitor": "X"}, actor=people.alice
        )
    assert error.value.problems[0].code == "not_asked"


def test_unknown_transition_is_refused(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    with pytest.raises(InvalidInput):
        record_transition(deal, transition="teleport", data={}, actor=people.alice)


def test_rep_of_another_team_cannot_move_the_deal(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    with pytest.raises(NotFound):
        record_transition(deal, transition="contact", data=CONTACT, actor=people.wendy)


def test_confirming_requirements_needs_the_four_points_of_s13(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = move(deal, "contact", CONTACT, people.alice)
    with pytest.raises(InvalidInput) as error:
        record_transition(deal, transition="confirm_requirements", data={}, actor=people.alice)
    assert {p.field for p in error.value.problems} == set(CONFIRM)


def test_quote_requires_the_s10_fields(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = move(deal, "contact", CONTACT, people.alice)
    deal = move(deal, "confirm_requirements", CONFIRM, people.alice)
    with pytest.raises(InvalidInput) as error:
        record_transition(deal, transition="send_quote", data={}, actor=people.alice)
    # The lead-time requirement is already known from the confirmation step.
    assert {p.field for p in error.value.problems} == set(QUOTE)


def test_quote_valid_until_before_quote_date_breaks_the_rule(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = move(deal, "contact", CONTACT, people.alice)
    deal = move(deal, "confirm_requirements", CONFIRM, people.alice)
    with pytest.raises(InvalidInput) as error:
        record_transition(
            deal,
            transition="send_quote",
            data={**QUOTE, "quote_valid_until": "2025-11-01"},
            actor=people.alice,
        )
    assert error.value.problems[0].code == "rule"


def test_entering_quoted_starts_at_pending_1st_follow_up(people, frozen):
    deal = quoted_deal(people, frozen)
    assert (deal.stage, deal.substate) == ("quoted", "pending_1st")


def test_entering_quoted_creates_s20_tasks(people, frozen):
    deal = quoted_deal(people, frozen)
    tasks = open_tasks(deal)
    assert tasks["quote_confirmation"].due_at == at(2025, 11, 5, 10)
    assert tasks["opportunity_assessment"].due_at == at(2025, 11, 10, 10)
    assert tasks["quote_check_14"].due_at == at(2025, 11, 17, 10)


def test_first_chase_is_due_three_days_after_the_quote_date(people, frozen):
    deal = quoted_deal(people, frozen)
    # Quote date 3 Nov: due by the end of 6 Nov.
    assert open_tasks(deal)["chase_1"].due_at == at(2025, 11, 7, 0)


def test_chase_completion_requires_channel_and_feedback(people, frozen):
    deal = quoted_deal(people, frozen)
    with pytest.raises(InvalidInput) as error:
        activity_complete(open_tasks(deal)["chase_1"], actor=people.alice, data={"summary": "x"})
    assert {p.field for p in error.value.problems} == {
        "channel",
        "feedback_type",
        "new_information",
    }


def test_chase_cadence_is_quote_date_plus_3_then_completion_plus_5_then_plus_7(people, frozen):
    deal = quoted_deal(people, frozen)
    outcome = {
        "summary": "Sent CE report",
        "channel": "email",
        "feedback_type": "no_reply",
        "new_information": "new_material",
    }
    frozen(at(2025, 11, 6, 15))
    activity_complete(open_tasks(deal)["chase_1"], actor=people.alice, data=outcome)
    assert open_tasks(deal)["chase_2"].due_at == at(2025, 11, 11, 15)
    frozen(at(2025, 11, 12, 9))
    activity_complete(open_tasks(deal)["chase_2"], actor=people.alice, data=outcome)
    assert open_tasks(deal)["chase_3"].due_at == at(2025, 11, 19, 9)


def test_each_chase_completion_moves_the_follow_up_status(people, frozen):
    deal = quoted_deal(people, frozen)
    outcome = {
        "summary": "Called",
        "channel": "phone",
        "feedback_type": "comparing_suppliers",
        "new_information": "new_proposal",
    }
    steps = []
    for key in ("chase_1", "chase_2", "chase_3"):
        activity_complete(open_tasks(deal)[key], actor=people.alice, data=outcome)
        deal.refresh_from_db()
        steps.append(deal.substate)
    assert steps == ["pending_2nd", "pending_3rd", "chased_3_times"]


def test_chase_tasks_survive_the_move_to_following_up(people, frozen):
    deal = quoted_deal(people, frozen)
    deal = move(deal, "start_follow_up", {}, people.alice)
    tasks = open_tasks(deal)
    assert "chase_1" in tasks and "quote_confirmation" not in tasks


def test_lost_requires_the_s11_fields(people, frozen):
    deal = quoted_deal(people, frozen)
    with pytest.raises(InvalidInput) as error:
        record_transition(deal, transition="lose", data={}, actor=people.alice)
    assert {p.field for p in error.value.problems} == set(LOSE)


def test_losing_a_quoted_deal_cancels_its_open_tasks(people, frozen):
    deal = quoted_deal(people, frozen)
    deal = move(deal, "lose", {**LOSE, "competitor": "Istanbul Valve"}, people.alice)
    assert deal.stage == "lost" and deal.closed_at is not None
    assert not open_tasks(deal)
    assert Activity.objects.filter(deal=deal, status=ActivityStatus.CANCELLED).count() == 4


def test_lost_deal_is_final(people, frozen):
    deal = quoted_deal(people, frozen)
    deal = move(deal, "lose", LOSE, people.alice)
    with pytest.raises(Conflict):
        record_transition(deal, transition="lose", data=LOSE, actor=people.alice)


def test_won_creates_the_s22_tasks(people, frozen):
    deal = order_ready(quoted_deal(people, frozen), people.alice)
    frozen(at(2025, 11, 14, 11))
    deal = move(deal, "win", {"amount": "18000"}, people.alice)
    tasks = open_tasks(deal)
    assert set(tasks) == {
        "order_confirmation",
        "production_followup",
        "after_sales_followup",
        "review_request",
    }
    assert tasks["order_confirmation"].due_at == at(2025, 11, 17, 11)


def test_stale_transition_gets_a_conflict(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    stale = type(deal).objects.get(pk=deal.pk)
    move(deal, "contact", CONTACT, people.alice)
    with pytest.raises(Conflict) as error:
        record_transition(stale, transition="contact", data=CONTACT, actor=people.east_manager)
    assert error.value.code == "stale_stage"


def test_customer_reply_stops_the_chase(people, frozen):
    from sopcrm.crm.records.services.process_tasks import tasks_stop_on_reply

    deal = quoted_deal(people, frozen)
    assert tasks_stop_on_reply(deal, actor=None) == 1
    tasks = open_tasks(deal)
    assert "chase_1" not in tasks and "quote_confirmation" in tasks
    cancelled = Event.objects.get(record_id=deal.pk, kind=EventKind.ACTIVITY_CANCELLED)
    assert cancelled.data["reason"] == "customer_replied"
