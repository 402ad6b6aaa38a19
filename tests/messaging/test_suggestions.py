"""Template suggestions for a record: its stage and step, region, product line, the customer's
language and the template's condition (S-39, S-40), best match first."""

import pytest

from sopcrm.core.errors import NotFound
from sopcrm.crm.messaging.selectors import stage_fit, template_suggestions
from sopcrm.crm.messaging.services.compose import email_compose
from sopcrm.crm.messaging.services.templates import template_variant_create
from sopcrm.crm.records.models import Activity
from sopcrm.crm.records.services.contacts import contact_update
from sopcrm.crm.records.services.transitions import record_transition

from .conftest import FREE

CONTACT = {
    "first_contact_channel": "email",
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
    "quote_date": "2026-03-02",
    "quote_valid_until": "2026-04-01",
    "quote_channel": "email",
    "core_specifications": "DN50 stainless, PN16",
    "quote_type": "range_with_preconditions",  # S-30: no checklist needed
}


def _move(deal, key, data, actor):
    return record_transition(deal, transition=key, data=data, actor=actor).record


@pytest.fixture
def quoted(people, deal):
    deal = _move(deal, "contact", CONTACT, people.alice)
    deal = _move(deal, "confirm_requirements", CONFIRM, people.alice)
    return _move(deal, "send_quote", QUOTE, people.alice)


def _keys(user, record):
    return [t.key for t in template_suggestions(user, record)]


def test_new_deal_gets_the_first_reply(people, library, deal):
    assert _keys(people.alice, deal) == ["first_reply"]


def test_quoted_deal_gets_the_quote_cover_and_the_first_chase(people, library, quoted):
    assert quoted.substate == "pending_1st"
    assert _keys(people.alice, quoted) == ["chase_1", "quote_cover"]


def test_regional_variant_comes_first_and_other_regions_are_left_out(people, library, quoted):
    template_variant_create(
        library["chase_1"], actor=people.alice, data={"key": "chase_1_eu", "region": "eu_us"}
    )
    template_variant_create(
        library["chase_1"], actor=people.alice, data={"key": "chase_1_sea", "region": "sea"}
    )
    assert _keys(people.alice, quoted) == ["chase_1_eu", "chase_1", "quote_cover"]
    # Another rep does not get alice's personal variants.
    assert _keys(people.east_manager, quoted) == ["chase_1", "quote_cover"]


def test_customers_language_decides(people, library, quoted):
    template_variant_create(
        library["chase_1"], actor=people.alice, data={"key": "chase_1_es", "language": "es"}
    )
    assert "chase_1_es" not in _keys(people.alice, quoted)
    contact_update(quoted.contact, actor=people.alice, data={"custom": {"languages": ["es", "en"]}})
    assert _keys(people.alice, quoted) == ["chase_1_es", "chase_1", "quote_cover"]


def test_lost_deal_gets_the_retouch_template_for_its_likelihood(people, library, quoted):
    lost = _move(
        quoted,
        "lose",
        {
            "lost_reasons": ["price_too_high"],
            "lost_note": "Chose a cheaper supplier.",
            "reactivation_likelihood": "within_6_12_months",
        },
        people.alice,
    )
    assert _keys(people.alice, lost) == ["retouch_medium"]


def test_suggestions_only_for_records_the_user_may_see(people, library, deal):
    with pytest.raises(NotFound):
        template_suggestions(people.wendy, deal)


def test_lead_suggestions(people, library):
    from sopcrm.crm.records.services.leads import lead_create

    lead = lead_create(actor=people.alice, data={"name": "Maria Lopez"})
    assert _keys(people.alice, lead) == ["first_reply"]


@pytest.mark.parametrize(
    ("stages", "stage", "substate", "fit"),
    [
        ([], "quoted", "pending_1st", 0),
        (["quoted"], "quoted", "pending_1st", 1),
        (["quoted.pending_1st"], "quoted", "pending_1st", 2),
        (["quoted.pending_2nd"], "quoted", "pending_1st", None),
        (["quoted.pending_2nd"], "quoted", None, 1),
        (["won"], "quoted", None, None),
    ],
)
def test_stage_fit(stages, stage, substate, fit):
    assert stage_fit(stages, stage, substate) == fit


def test_sending_the_chase_email_completes_the_chase_step(people, library, signature, quoted):
    email_compose(quoted, template=library["chase_1"], free_sections=FREE, actor=people.alice)
    chase_1 = Activity.objects.get(deal=quoted, template_key="chase_1")
    quoted.refresh_from_db()
    assert (chase_1.status, chase_1.channel, chase_1.feedback_type) == ("done", "email", "no_reply")
    assert quoted.substate == "pending_2nd"
    assert Activity.objects.filter(deal=quoted, template_key="chase_2", status="open").exists()
