"""S-05/S-12 through the API, under the generic B2B playbook applied in the test: each stage is
gated on what must be known, and no stage can be skipped (S-07)."""

import pytest

from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.playbook.loader import bundled_playbook_path

from .conftest import unchanged
from .flow import problems, take

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
PROPOSE = {
    "quote_sent": True,
    "key_decision_maker_confirmed": True,
    "technical_issues_resolved": False,
}


@pytest.fixture
def b2b(people, clients):
    source = bundled_playbook_path("generic_b2b").read_text(encoding="utf-8")
    playbook_apply(source=source, source_name="generic_b2b.yaml", actor=people.admin)
    response = clients.alice.post("/deals", {"title": "Fleet software"})
    assert response.status_code == 201
    return response.json()


def refused(client, deal, key, data, expect):
    with unchanged(Deal.objects.get(pk=deal["id"])):
        return take(client, "deal", deal["id"], key, data, expect=expect)


def test_a_new_deal_starts_in_lead_captured_under_the_new_version(clients, b2b):
    assert (b2b["pipeline"], b2b["stage"], b2b["stage_label"]) == (
        "b2b",
        "lead_captured",
        "Lead captured",
    )
    playbook = clients.alice.get("/playbook").json()
    assert (playbook["key"], playbook["version"]["number"]) == ("generic_b2b", 1)
    assert b2b["playbook_version"] == 1
    offered = clients.alice.get(f"/deals/{b2b['id']}/transitions").json()["transitions"]
    assert [t["key"] for t in offered] == ["qualify", "lose"]
    assert [f["key"] for f in offered[0]["fields"]] == list(QUALIFY)


def test_qualified_needs_industry_size_title_and_budget(clients, b2b):
    body = refused(clients.alice, b2b, "qualify", {}, 422)
    assert problems(body) == [(key, "required") for key in QUALIFY]
    assert take(clients.alice, "deal", b2b["id"], "qualify", QUALIFY)["stage"] == "qualified"


def test_discovery_needs_pains_use_case_competitors_and_cycle(clients, b2b):
    take(clients.alice, "deal", b2b["id"], "qualify", QUALIFY)
    body = refused(clients.alice, b2b, "start_discovery", {}, 422)
    assert problems(body) == [(key, "required") for key in DISCOVER]
    assert (
        take(clients.alice, "deal", b2b["id"], "start_discovery", DISCOVER)["stage"] == "discovery"
    )


def test_proposal_needs_the_three_answers(clients, b2b):
    take(clients.alice, "deal", b2b["id"], "qualify", QUALIFY)
    take(clients.alice, "deal", b2b["id"], "start_discovery", DISCOVER)
    body = refused(clients.alice, b2b, "propose", {"quote_sent": True}, 422)
    assert problems(body) == [
        ("key_decision_maker_confirmed", "required"),
        ("technical_issues_resolved", "required"),
    ]
    # A "no" is an answer: false counts as a value.
    moved = take(clients.alice, "deal", b2b["id"], "propose", PROPOSE)
    assert (moved["stage"], moved["custom"]["technical_issues_resolved"]) == ("proposal", False)


@pytest.mark.parametrize(
    ("walk", "jump"),
    [
        ([], "start_discovery"),
        ([], "propose"),
        ([("qualify", QUALIFY)], "propose"),
        ([("qualify", QUALIFY)], "negotiate"),
        ([("qualify", QUALIFY), ("start_discovery", DISCOVER)], "win"),
    ],
    ids=[
        "captured-to-discovery",
        "captured-to-proposal",
        "qualified-to-proposal",
        "qualified-to-negotiation",
        "discovery-to-won",
    ],
)
def test_no_skipping(clients, b2b, walk, jump):
    for key, data in walk:
        take(clients.alice, "deal", b2b["id"], key, data)
    body = refused(clients.alice, b2b, jump, {}, 409)
    assert body["error"]["code"] == "stale_stage"


def test_negotiation_needs_the_quote_sent(clients, b2b):
    take(clients.alice, "deal", b2b["id"], "qualify", QUALIFY)
    take(clients.alice, "deal", b2b["id"], "start_discovery", DISCOVER)
    take(clients.alice, "deal", b2b["id"], "propose", {**PROPOSE, "quote_sent": False})
    body = refused(clients.alice, b2b, "negotiate", {}, 422)
    assert body["error"]["fields"] == [
        {"field": "transition", "code": "rule", "message": "Send the quote before negotiating."}
    ]


def test_proposal_with_a_discount_above_20_percent_waits_for_the_manager(clients, b2b):
    clients.alice.patch(f"/deals/{b2b['id']}", {"custom": {"discount_percent": 30}})
    take(clients.alice, "deal", b2b["id"], "qualify", QUALIFY)
    take(clients.alice, "deal", b2b["id"], "start_discovery", DISCOVER)
    held = take(clients.alice, "deal", b2b["id"], "propose", PROPOSE, expect=202)
    assert (held["transition"], held["reason"], held["status"]) == (
        "propose",
        "Discount above 20%",
        "pending",
    )
    assert clients.alice.get(f"/deals/{b2b['id']}").json()["stage"] == "discovery"
    decided = clients.east_manager.post(f"/approvals/{held['id']}/decide", {"approve": True})
    assert decided.status_code == 200
    assert clients.alice.get(f"/deals/{b2b['id']}").json()["stage"] == "proposal"
