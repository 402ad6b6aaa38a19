"""Automation's read endpoints: today's work (S-45), lost deals to win back (S-40), lists."""

from sopcrm.automation.firing import timers_fire_due

from .conftest import at
from .flow import LOSE, QUOTE, deal_at, take


def test_my_day_lists_tasks_due_today_overdue_and_clocks_at_risk(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    deal = clients.alice.post("/deals", {"title": "Valves"}).json()
    clients.alice.post(
        "/activities",
        {
            "kind": "task",
            "subject": "Call back",
            "due_at": "2025-11-04T16:00:00+08:00",
            "deal": deal["id"],
        },
    )
    frozen(at(2025, 11, 4, 11))
    timers_fire_due()
    day = clients.alice.get("/me/day").json()
    assert [t["subject"] for t in day["due_today"]] == ["Call back"]
    assert {t["template_key"] for t in day["overdue"]} == {"first_contact"}
    assert [(c["record_id"], c["sla"], c["breached"]) for c in day["sla_at_risk"]] == [
        (lead["id"], "first_response", True)
    ]
    assert clients.bob.get("/me/day").json()["due_today"] == []


def test_my_day_shows_a_manager_the_approvals_to_decide(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_at(clients.alice, "requirements_confirmed")
    clients.alice.patch(f"/deals/{deal['id']}", {"custom": {"discount_percent": 30}})
    take(clients.alice, "deal", deal["id"], "send_quote", QUOTE, expect=202)
    manager = clients.east_manager.get("/me/day").json()
    assert [a["record_id"] for a in manager["awaiting_approval"]] == [deal["id"]]
    mine = clients.alice.get("/me/day").json()
    assert [a["transition"] for a in mine["awaiting_approval"]] == ["send_quote"]
    assert clients.wendy.get("/me/day").json()["awaiting_approval"] == []


def test_my_day_lists_leads_awaiting_first_contact_with_their_clock(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    lead = clients.alice.post("/leads", {"name": "Ana", "company": "Pumps SA"}).json()
    frozen(at(2025, 11, 4, 7))  # past the at-risk point, before the target
    [item] = clients.alice.get("/me/day").json()["awaiting_first_contact"]
    assert (item["lead_id"], item["company"], item["sla"]) == (
        lead["id"],
        "Pumps SA",
        "first_response",
    )
    assert (item["due_at"], item["at_risk"], item["late"]) == ("2025-11-04T02:00:00Z", True, False)
    assert clients.bob.get("/me/day").json()["awaiting_first_contact"] == []


def test_my_day_lists_the_playbooks_steps_to_take_and_counts_each_part(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_at(clients.alice, "requirements_confirmed")
    deal_at(clients.bob, "requirements_confirmed", title="Bob's")
    day = clients.alice.get("/me/day").json()
    [step] = day["steps"]
    assert (step["record_type"], step["transition"], step["label"], step["count"]) == (
        "deal",
        "send_quote",
        "Quotes to send",
        1,
    )
    assert [r["id"] for r in step["records"]] == [deal["id"]]
    assert day["counts"]["awaiting_first_contact"] == 0
    assert day["counts"]["overdue"] == len(day["overdue"])
    chinese = clients.alice.get("/me/day", language="zh-hans").json()
    assert chinese["steps"][0]["label"] == "待发报价"


def test_remarketing_groups_lost_deals_by_reason_and_likelihood(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_at(clients.alice, "quoted")
    take(clients.alice, "deal", deal["id"], "lose", LOSE)
    items = clients.alice.get("/deals-remarketing").json()["items"]
    assert {(i["reason"], i["likelihood"], i["count"]) for i in items} == {
        (reason, LOSE["reactivation_likelihood"], 1) for reason in LOSE["lost_reasons"]
    }
    assert clients.wendy.get("/deals-remarketing").json()["items"] == []


def test_a_list_shows_only_the_records_the_reader_may_see(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_at(clients.alice, "quoted")
    take(clients.alice, "deal", deal["id"], "lose", LOSE)
    timers_fire_due()
    ids = [i["id"] for i in clients.alice.get("/lists/remarketing_medium").json()["items"]]
    assert ids == [deal["id"]]
    assert clients.wendy.get("/lists/remarketing_medium").json()["items"] == []
