"""S-05/S-12: the generic B2B playbook gates each stage on what must be known."""

import pytest

from sopcrm.core.errors import Conflict, InvalidInput
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.playbook.loader import bundled_playbook_path

QUALIFY = {
    "industry": "Logistics",
    "company_size": "medium",
    "decision_maker_title": "COO",
    "budget_range": "from_10k_to_50k",
}
DISCOVER = {
    "pain_points": "Manual dispatch",
    "use_case": "Fleet planning",
    "competitors": "None yet",
    "decision_cycle": "months_1_to_3",
}


@pytest.fixture
def b2b(people):
    source = bundled_playbook_path("generic_b2b").read_text()
    playbook_apply(source=source, source_name="generic_b2b.yaml", actor=None)
    return deal_create(actor=people.alice, data={"title": "Fleet software"})


def go(deal, key, data, people):
    return record_transition(deal, transition=key, data=data, actor=people.alice).record


def test_new_deal_starts_in_lead_captured(b2b):
    assert (b2b.pipeline, b2b.stage) == ("b2b", "lead_captured")


def test_qualified_needs_industry_size_title_and_budget(b2b, people):
    with pytest.raises(InvalidInput) as error:
        go(b2b, "qualify", {}, people)
    assert {p.field for p in error.value.problems} == set(QUALIFY)


def test_discovery_needs_pains_use_case_competitors_and_cycle(b2b, people):
    deal = go(b2b, "qualify", QUALIFY, people)
    with pytest.raises(InvalidInput) as error:
        go(deal, "start_discovery", {}, people)
    assert {p.field for p in error.value.problems} == set(DISCOVER)


def test_proposal_needs_the_three_answers(b2b, people):
    deal = go(go(b2b, "qualify", QUALIFY, people), "start_discovery", DISCOVER, people)
    with pytest.raises(InvalidInput) as error:
        go(deal, "propose", {}, people)
    assert {p.field for p in error.value.problems} == {
        "quote_sent",
        "key_decision_maker_confirmed",
        "technical_issues_resolved",
    }


def test_qualified_cannot_jump_to_proposal(b2b, people):
    deal = go(b2b, "qualify", QUALIFY, people)
    with pytest.raises(Conflict):
        go(deal, "propose", {}, people)


def test_negotiation_needs_the_quote_sent(b2b, people):
    deal = go(go(b2b, "qualify", QUALIFY, people), "start_discovery", DISCOVER, people)
    deal = go(
        deal,
        "propose",
        {
            "quote_sent": False,
            "key_decision_maker_confirmed": True,
            "technical_issues_resolved": True,
        },
        people,
    )
    with pytest.raises(InvalidInput) as error:
        go(deal, "negotiate", {}, people)
    assert error.value.problems[0].code == "rule"
