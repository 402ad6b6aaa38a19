"""The inquiry checklist of the default playbook (S-27..S-32): the count of clear items sets the
priority, the follow-up track and, with the buyer strength, the grade, whenever the checklist
changes; the quote and the order are gated on it."""

import pytest
import time_machine

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import SlaClock
from sopcrm.crm.records.qualification_view import qualification_view
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create, lead_update
from sopcrm.crm.records.services.transitions import record_transition

from ..automation.conftest import at

CORE = [
    "specification",
    "quantity",
    "lead_time",
    "certification",
    "material",
    "application",
    "target_price",
    "payment_terms",
    "packaging",
    "incoterm_port",
]
OTHERS = [
    "sample_needed",
    "decision_maker",
    "purchase_timing",
    "target_market",
    "quality_inspection",
    "customisation",
    "company_verified",
    "current_supplier",
]
ITEMS = CORE + OTHERS
MONDAY = at(2025, 11, 3, 10)


def items(n):
    return ITEMS[:n]


def new_lead(people, checklist=(), **custom):
    return lead_create(
        actor=people.alice,
        data={"name": "Ana", "custom": {"checklist": list(checklist), **custom}},
    )


def qualification_events(record_type, record):
    return list(
        Event.objects.filter(
            record_type=record_type, record_id=record.pk, kind=EventKind.QUALIFICATION_CHANGED
        ).order_by("pk")
    )


@pytest.mark.parametrize(
    ("count", "priority", "track"),
    [
        (4, "low", "nurture"),
        (5, "medium", "guided"),
        (7, "medium", "guided"),
        (8, "high", "fast"),
        (18, "high", "fast"),
    ],
)
def test_the_count_of_clear_items_sets_priority_and_track(people, count, priority, track):
    lead = new_lead(people, items(count))
    assert lead.custom["checklist_confirmed"] == count
    assert (lead.custom["priority"], lead.custom["follow_up_track"]) == (priority, track)


@pytest.mark.parametrize(
    ("count", "strength", "grade"),
    [
        (12, "strong", "a"),
        (12, "medium", "b"),
        (12, "price_only", "b"),
        (12, None, "b"),
        (11, "strong", "b"),
        (11, "medium", "b"),
        (11, "price_only", "c"),
        (11, None, "b"),
        (8, "strong", "b"),
        (8, "medium", "b"),
        (8, "price_only", "c"),
        (8, None, "b"),
        (7, "strong", "b"),
        (7, "medium", "c"),
        (7, "price_only", "c"),
        (7, None, "c"),
    ],
)
def test_the_grade_is_defined_for_every_strength_and_count(people, count, strength, grade):
    lead = new_lead(people, items(count), buyer_strength=strength)
    assert lead.custom["grade"] == grade


def test_an_inquiry_nobody_has_screened_has_no_priority_or_grade_yet(people):
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    assert lead.custom == {}
    assert qualification_events("lead", lead) == []
    lead = lead_update(lead, actor=people.alice, data={"custom": {"buyer_strength": "medium"}})
    assert (lead.custom["checklist_confirmed"], lead.custom["priority"]) == (0, "low")
    assert lead.custom["grade"] == "c"


def test_core_items_are_counted_apart(people):
    lead = new_lead(people, CORE[:3] + OTHERS[:4])
    assert (lead.custom["checklist_confirmed"], lead.custom["checklist_core_confirmed"]) == (7, 3)


def test_a_new_lead_logs_its_qualification_once(people):
    lead = new_lead(people, items(8), buyer_strength="strong")
    [event] = qualification_events("lead", lead)
    assert event.data["count"] == 8
    assert event.data["custom"] == {
        "priority": "high",
        "follow_up_track": "fast",
        "grade": "b",
        "checklist_confirmed": 8,
        "checklist_core_confirmed": 8,
    }


def test_a_checklist_change_re_evaluates_with_one_event(people):
    lead = new_lead(people, items(4))
    lead = lead_update(lead, actor=people.alice, data={"custom": {"checklist": items(8)}})
    assert (lead.custom["priority"], lead.custom["grade"]) == ("high", "b")
    _created, changed = qualification_events("lead", lead)
    assert (changed.data["count"], changed.data["core_count"]) == (8, 8)
    assert changed.data["confirmed"] == items(8)
    assert changed.data["custom"]["priority"] == "high"
    # The values are field changes on the timeline too, set by the system for the rep.
    fields = Event.objects.filter(
        record_type="lead", record_id=lead.pk, kind=EventKind.FIELD_CHANGED
    ).values_list("data__field", flat=True)
    assert set(fields) >= {"custom.checklist", "custom.priority", "custom.grade"}


def test_nothing_is_re_evaluated_when_the_checklist_stays_the_same(people):
    lead = new_lead(people, items(6))
    lead_update(lead, actor=people.alice, data={"custom": {"checklist": items(6)}})
    lead_update(lead, actor=people.alice, data={"company": "Acme"})
    assert len(qualification_events("lead", lead)) == 1


def test_a_strength_change_alone_regrades(people):
    lead = new_lead(people, items(12))
    assert lead.custom["grade"] == "b"
    lead = lead_update(lead, actor=people.alice, data={"custom": {"buyer_strength": "strong"}})
    assert lead.custom["grade"] == "a"
    assert len(qualification_events("lead", lead)) == 2


def test_the_values_the_checklist_sets_cannot_be_edited_by_hand(people):
    lead = new_lead(people, items(2))
    with pytest.raises(InvalidInput) as error:
        lead_update(lead, actor=people.east_manager, data={"custom": {"priority": "high"}})
    assert [(p.field, p.code) for p in error.value.problems] == [
        ("custom.priority", "not_editable")
    ]


def test_eight_clear_items_make_a_high_priority_inquiry_due_in_12_hours(people):
    with time_machine.travel(MONDAY, tick=False):
        lead = new_lead(people, items(8))
    clock = SlaClock.objects.get(record_type="lead", record_id=lead.pk, sla="first_response")
    assert (clock.target, clock.due_at) == ("12 hours", at(2025, 11, 3, 22))


def test_ticking_the_eighth_item_later_moves_the_response_target(people):
    with time_machine.travel(MONDAY, tick=False):
        lead = new_lead(people, items(7))
    clock = SlaClock.objects.get(record_type="lead", record_id=lead.pk, sla="first_response")
    assert clock.due_at == at(2025, 11, 4, 10)
    with time_machine.travel(at(2025, 11, 3, 11), tick=False):
        lead_update(lead, actor=people.alice, data={"custom": {"checklist": items(8)}})
    clock.refresh_from_db()
    assert clock.due_at == at(2025, 11, 3, 22)


def test_open_items_put_the_core_first(people):
    lead = new_lead(people, ["specification", "quantity", "sample_needed", "target_market"])
    view = qualification_view(lead, language="en")
    assert [i.key for i in view.open_items] == [
        *CORE[2:],
        "decision_maker",
        "purchase_timing",
        "quality_inspection",
        "customisation",
        "company_verified",
        "current_supplier",
    ]
    assert (view.count, view.total, view.core_count, view.core_total) == (4, 18, 2, 10)
    assert view.open_items[0] == ("lead_time", "Lead time", False, True, True)
    assert [(v.field, v.value) for v in view.values] == [
        ("priority", "low"),
        ("follow_up_track", "nurture"),
        ("grade", "c"),
    ]
    [event] = qualification_events("lead", lead)
    assert event.data["open_items"] == [i.key for i in view.open_items]


def test_the_view_is_labelled_in_the_reader_s_language(people):
    view = qualification_view(new_lead(people, items(1)), language="zh-hans")
    assert (view.label, view.items[0].label) == ("询盘需求清单", "产品规格/参数")


def test_the_lead_page_shows_the_checklist_and_the_goal_of_the_next_follow_up(people, client):
    lead = new_lead(people, items(9))
    client.force_login(people.alice)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "9/18" in page and "Goal of the next follow-up" in page
    assert "Customisation / OEM / logo" in page


# -- the deal: quote and order gates (S-30, S-32) ------------------------------------------------

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
}


def move(deal, key, data, actor):
    return record_transition(deal, transition=key, data=data, actor=actor).record


def deal_with(people, checklist):
    deal = deal_create(
        actor=people.alice, data={"title": "Valves", "custom": {"checklist": checklist}}
    )
    deal = move(deal, "contact", CONTACT, people.alice)
    return move(deal, "confirm_requirements", CONFIRM, people.alice)


def rule_messages(error):
    return [p.message for p in error.value.problems if p.code == "rule"]


def test_a_deal_is_graded_by_the_same_checklist(people):
    deal = deal_create(
        actor=people.alice,
        data={"title": "Valves", "custom": {"checklist": items(12), "buyer_strength": "strong"}},
    )
    assert (deal.custom["grade"], deal.custom["follow_up_track"]) == ("a", "fast")
    deal = deal_update(deal, actor=people.alice, data={"custom": {"checklist": items(5)}})
    assert (deal.custom["grade"], deal.custom["follow_up_track"]) == ("b", "guided")
    assert len(qualification_events("deal", deal)) == 2


def test_a_precise_quote_with_five_clear_items_is_refused(people):
    deal = deal_with(people, items(5))
    with pytest.raises(InvalidInput) as error:
        move(deal, "send_quote", {**QUOTE, "quote_type": "precise"}, people.alice)
    assert rule_messages(error) == [
        "A precise quote needs at least 6 checklist items clear: confirm more, or send a range "
        "quote with its preconditions."
    ]


def test_a_range_quote_with_five_clear_items_is_accepted(people):
    deal = deal_with(people, items(5))
    deal = move(
        deal, "send_quote", {**QUOTE, "quote_type": "range_with_preconditions"}, people.alice
    )
    assert deal.stage == "quoted"


def test_a_precise_quote_with_six_clear_items_is_accepted(people):
    deal = deal_with(people, items(6))
    assert move(deal, "send_quote", {**QUOTE, "quote_type": "precise"}, people.alice).stage == (
        "quoted"
    )


def quoted(people, checklist):
    deal = deal_with(people, checklist)
    return move(
        deal, "send_quote", {**QUOTE, "quote_type": "range_with_preconditions"}, people.alice
    )


def test_an_order_with_nine_core_items_clear_is_refused(people):
    deal = quoted(people, CORE[:9] + OTHERS)
    with pytest.raises(InvalidInput) as error:
        move(deal, "win", {"amount": "18000", "change_clause": True}, people.alice)
    assert rule_messages(error) == [
        "Before the order, all 10 core checklist items must be clear; write them into the "
        "contract appendix."
    ]


def test_three_unclear_items_need_a_change_clause(people):
    deal = quoted(people, items(15))
    with pytest.raises(InvalidInput) as error:
        move(deal, "win", {"amount": "18000"}, people.alice)
    assert rule_messages(error) == [
        "3 or more checklist items are still unclear: add a change clause to the contract."
    ]
    won = move(deal, "win", {"amount": "18000", "change_clause": True}, people.alice)
    assert won.stage == "won"


def test_an_order_with_sixteen_clear_items_needs_no_change_clause(people):
    deal = quoted(people, items(16))
    assert move(deal, "win", {"amount": "18000"}, people.alice).stage == "won"
