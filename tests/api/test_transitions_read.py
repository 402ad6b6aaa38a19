"""GET /api/{deals,leads}/{id}/transitions: what the caller may do now, with exactly the fields
each transition's form asks for, in the caller's language."""

from .conftest import at
from .flow import CONFIRM, CONTACT, deal_at, new_deal, take


def test_a_new_deal_offers_contact_and_lose_with_their_forms(clients, people):
    deal = new_deal(clients.alice)
    listed = clients.alice.get(f"/deals/{deal['id']}/transitions").json()
    assert {k: listed[k] for k in listed if k != "transitions"} == {
        "record_type": "deal",
        "record_id": deal["id"],
        "pipeline": "export",
        "stage": "new",
        "stage_label": "New",
        "substate": None,
        "substate_label": None,
        "pending_approval": None,
        "exception_stages": [],
    }
    contact, lose = listed["transitions"]
    assert {k: contact[k] for k in contact if k != "fields"} == {
        "key": "contact",
        "label": "First contact made",
        "to_stage": "contacted",
        "to_stage_label": "Contacted",
        "to_substate": None,
        "to_substate_label": None,
        "approval": None,
    }
    assert contact["fields"] == [
        {
            "key": "first_contact_channel",
            "label": "First contact channel",
            "type": "choice",
            "required": True,
            "options": [
                {"key": "email", "label": "Email"},
                {"key": "phone", "label": "Phone"},
                {"key": "whatsapp", "label": "WhatsApp"},
            ],
            "value": None,
            "help": "",
        },
        {
            "key": "requirements_clear",
            "label": "Requirements clear",
            "type": "bool",
            "required": True,
            "options": [],
            "value": None,
            "help": "",
        },
        {
            "key": "expected_purchase_time",
            "label": "Expected purchase time",
            "type": "choice",
            "required": True,
            "options": [
                {"key": "next_month", "label": "Next month"},
                {"key": "within_3_months", "label": "Within 3 months"},
                {"key": "over_6_months", "label": "6 months or more"},
                {"key": "unsure", "label": "Unsure"},
            ],
            "value": None,
            "help": "",
        },
    ]
    assert (lose["key"], lose["to_stage"]) == ("lose", "lost")
    assert [(f["key"], f["type"], f["required"]) for f in lose["fields"]] == [
        ("lost_reasons", "multi_choice", True),
        ("lost_note", "text", True),
        ("reactivation_likelihood", "choice", True),
        ("competitor", "text", False),
    ]


def test_labels_are_in_the_requested_language(clients):
    deal = new_deal(clients.alice)
    listed = clients.alice.get(f"/deals/{deal['id']}/transitions", language="zh-hans").json()
    contact = listed["transitions"][0]
    assert (listed["stage_label"], contact["label"], contact["to_stage_label"]) == (
        "新线索",
        "已首次联系",
        "已联系",
    )
    assert [f["label"] for f in contact["fields"]] == [
        "首次联系方式",
        "需求是否明确",
        "预计采购时间",
    ]
    assert contact["fields"][2]["options"][1] == {"key": "within_3_months", "label": "3个月内"}
    # Back to English without the header.
    assert clients.alice.get(f"/deals/{deal['id']}/transitions").json()["stage_label"] == "New"


def test_fields_carry_the_current_values(clients):
    deal = deal_at(clients.alice, "contacted")
    clients.alice.patch(
        f"/deals/{deal['id']}", {"custom": {"target_price": {"amount": "9.90", "currency": "EUR"}}}
    )
    confirm = clients.alice.get(f"/deals/{deal['id']}/transitions").json()["transitions"][0]
    assert confirm["key"] == "confirm_requirements"
    assert {f["key"]: f["value"] for f in confirm["fields"]} == {
        "target_price": {"amount": "9.90", "currency": "EUR"},
        "lead_time_requirement": None,
        "certifications": None,
        "competitor": None,
    }


def test_the_quote_form_shows_its_approval_condition_and_the_lead_time_already_known(clients):
    deal = deal_at(clients.alice, "requirements_confirmed")
    send_quote = clients.alice.get(f"/deals/{deal['id']}/transitions").json()["transitions"][0]
    assert (send_quote["key"], send_quote["to_stage"], send_quote["to_substate"]) == (
        "send_quote",
        "quoted",
        "pending_1st",
    )
    assert send_quote["to_substate_label"] == "Pending 1st follow-up"
    assert send_quote["approval"] == {
        "when": "discount_percent > 20",
        "reason": "Discount above 20%",
    }
    values = {f["key"]: (f["type"], f["value"]) for f in send_quote["fields"]}
    assert values["lead_time_requirement"] == ("text", CONFIRM["lead_time_requirement"])
    assert values["quote_date"] == ("date", None)


def test_a_core_field_in_a_form_has_its_type_and_value(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    deal = deal_at(clients.alice, "quoted", amount="1250.50")
    win = next(
        t
        for t in clients.alice.get(f"/deals/{deal['id']}/transitions").json()["transitions"]
        if t["key"] == "win"
    )
    assert [f["key"] for f in win["fields"]] == ["amount", "change_clause"]
    assert win["fields"][0] == {
        "key": "amount",
        "label": "Amount",
        "type": "number",
        "required": True,
        "options": [],
        "value": "1250.50",
        "help": "",
    }


def test_a_lead_lists_its_own_pipeline(clients):
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    listed = clients.alice.get(f"/leads/{lead['id']}/transitions").json()
    assert (listed["record_type"], listed["pipeline"], listed["stage_label"]) == (
        "lead",
        "inquiry",
        "New",
    )
    assert [t["key"] for t in listed["transitions"]] == ["contact", "disqualify"]
    take(clients.alice, "lead", lead["id"], "contact", CONTACT)
    listed = clients.alice.get(f"/leads/{lead['id']}/transitions").json()
    assert [t["key"] for t in listed["transitions"]] == ["qualify", "disqualify"]


def test_exception_stages_are_offered_to_the_owners_manager_and_admin_only(clients):
    deal = new_deal(clients.alice)
    every_other = ["contacted", "requirements_confirmed", "quoted", "following_up", "won", "lost"]
    for client in (clients.east_manager, clients.admin):
        stages = client.get(f"/deals/{deal['id']}/transitions").json()["exception_stages"]
        assert [s["key"] for s in stages] == every_other
        assert stages[2] == {"key": "quoted", "label": "Quoted"}
    assert clients.alice.get(f"/deals/{deal['id']}/transitions").json()["exception_stages"] == []


def test_records_show_their_substate_and_pending_approval_in_lists_too(clients, frozen):
    frozen(at(2025, 11, 3, 10))
    quoted = deal_at(clients.alice, "quoted")
    fresh = new_deal(clients.alice, "Pumps")
    items = {d["id"]: d for d in clients.alice.get("/deals").json()["items"]}
    assert (items[quoted["id"]]["substate"], items[quoted["id"]]["substate_label"]) == (
        "pending_1st",
        "Pending 1st follow-up",
    )
    assert (items[fresh["id"]]["substate"], items[fresh["id"]]["pending_approval"]) == (None, None)
    lead = clients.alice.post("/leads", {"name": "Ana"}).json()
    assert (lead["stage_label"], lead["substate"], lead["pending_approval"]) == ("New", None, None)
