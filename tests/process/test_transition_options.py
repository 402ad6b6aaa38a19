"""What the record page and the API offer: the transitions open to the user now, with exactly
the fields each asks for."""

from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.crm.records.transition_options import exception_stages, transition_options

from .test_export_deal_flow import CONTACT


def test_new_deal_offers_contact_and_lose(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    assert [o.key for o in transition_options(people.alice, deal)] == ["contact", "lose"]


def test_contact_form_asks_exactly_the_three_s09_fields_all_required(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    contact = transition_options(people.alice, deal)[0]
    assert [(f.key, f.required) for f in contact.fields] == [
        ("first_contact_channel", True),
        ("requirements_clear", True),
        ("expected_purchase_time", True),
    ]


def test_form_fields_carry_options_and_current_values(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    deal = deal_update(
        deal, actor=people.alice, data={"custom": {"first_contact_channel": "phone"}}
    )
    field = transition_options(people.alice, deal)[0].fields[0]
    assert field.value == "phone" and ("whatsapp", "WhatsApp") in field.options


def test_lose_form_has_competitor_as_optional(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    lose = transition_options(people.alice, deal)[1]
    assert ("competitor", False) in [(f.key, f.required) for f in lose.fields]


def test_options_follow_the_stage(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    deal = record_transition(deal, transition="contact", data=CONTACT, actor=people.alice).record
    assert [o.key for o in transition_options(people.alice, deal)] == [
        "confirm_requirements",
        "lose",
    ]


def test_manager_is_offered_exception_stages_and_rep_is_not(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    assert "quoted" in [key for key, _label in exception_stages(people.east_manager, deal)]
    assert exception_stages(people.alice, deal) == []
