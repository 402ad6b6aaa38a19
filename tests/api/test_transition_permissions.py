"""Who may move a record (S-35): a record you may not see is a 404 for reading and moving alike;
a transition the playbook reserves for other roles is not offered to you and is a 403; field
permissions (S-34) hold on transition forms and approval requests."""

import pytest

from sopcrm.crm.records.models import Deal, Lead
from sopcrm.crm.records.services.playbook_apply import playbook_apply

from .conftest import unchanged
from .flow import CONTACT, new_deal, take

CREDIT_PLAYBOOK = """
key: credit_check
name: {en: Credit check, zh: 信用审核}
objects:
  deal:
    fields:
      - {key: credit_limit, label: {en: Credit limit, zh: 信用额度}, type: number}
      - key: floor_price
        label: {en: Floor price, zh: 底价}
        type: money
        visible_to: [manager, admin]
        editable_by: [manager, admin]
      - {key: note, label: {en: Note, zh: 备注}, type: text}
    pipelines:
      - key: credit
        label: {en: Credit, zh: 信用}
        stages:
          - {key: new, label: {en: New, zh: 新}, probability: 5}
          - {key: checked, label: {en: Credit checked, zh: 已审核信用}, probability: 20}
          - {key: priced, label: {en: Priced, zh: 已定价}, probability: 40}
          - {key: won, label: {en: Won, zh: 赢单}, kind: won, probability: 100}
          - {key: lost, label: {en: Lost, zh: 失单}, kind: lost, probability: 0}
        transitions:
          - key: check_credit
            label: {en: Check credit, zh: 审核信用}
            from: [new]
            to: checked
            allowed: [manager, admin]
            requires: [credit_limit]
          - key: set_floor
            label: {en: Set the floor price, zh: 设定底价}
            from: [checked]
            to: priced
            allowed: [manager, admin]
            requires: [floor_price]
            approval:
              when: credit_limit > 100000
              reason: {en: Large credit line, zh: 大额信用}
          - key: win
            label: {en: Won, zh: 赢单}
            from: [priced]
            to: won
            allowed: [rep]
          - key: lose
            label: {en: Lost, zh: 失单}
            from: ["*"]
            to: lost
            requires: [note]
"""
FLOOR = {"floor_price": {"amount": "80.00", "currency": "USD"}}


@pytest.fixture
def credit(people, clients):
    playbook_apply(source=CREDIT_PLAYBOOK, source_name="credit.yaml", actor=people.admin)
    return new_deal(clients.alice, "Credit line")


def offered(client, deal):
    response = client.get(f"/deals/{deal['id']}/transitions")
    assert response.status_code == 200
    return [t["key"] for t in response.json()["transitions"]]


# -- visibility -----------------------------------------------------------------------------------


@pytest.mark.parametrize("record_type", ["deal", "lead"])
def test_another_teams_rep_gets_404_reading_and_moving(clients, record_type):
    body = {"title": "Valves"} if record_type == "deal" else {"name": "Ana"}
    created = clients.alice.post(f"/{record_type}s", body).json()
    model = Deal if record_type == "deal" else Lead
    path = f"/{record_type}s/{created['id']}"
    with unchanged(model.objects.get(pk=created["id"])):
        listed = clients.wendy.get(f"{path}/transitions")
        moved = clients.wendy.post(
            f"{path}/transitions", {"transition": "contact", "data": CONTACT}
        )
        excepted = clients.wendy.post(f"{path}/exception", {"stage": "contacted", "reason": "x"})
        by_manager = clients.west_manager.post(
            f"{path}/transitions", {"transition": "contact", "data": CONTACT}
        )
        by_bob = clients.bob.post(f"{path}/transitions", {"transition": "contact", "data": CONTACT})
    for response in (listed, moved, excepted, by_manager, by_bob):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_missing_record_is_404_like_an_invisible_one(clients):
    assert clients.alice.get("/deals/999999/transitions").status_code == 404
    response = clients.alice.post(
        "/deals/999999/transitions", {"transition": "contact", "data": CONTACT}
    )
    assert response.status_code == 404


def test_the_owners_manager_may_take_the_owners_transitions(clients):
    deal = new_deal(clients.alice)
    assert offered(clients.east_manager, deal) == ["contact", "lose"]
    assert (
        take(clients.east_manager, "deal", deal["id"], "contact", CONTACT)["stage"] == "contacted"
    )


def test_a_rep_of_the_team_who_does_not_own_it_cannot_see_it(clients):
    deal = new_deal(clients.alice)
    assert clients.bob.get(f"/deals/{deal['id']}/transitions").status_code == 404


def test_an_unauthenticated_call_is_401(db, clients):
    from django.test import Client

    deal = new_deal(clients.alice)
    response = Client().post(
        f"/api/deals/{deal['id']}/transitions",
        '{"transition": "contact", "data": {}}',
        content_type="application/json",
    )
    assert response.status_code == 401


# -- roles in the playbook ------------------------------------------------------------------------


def test_a_transition_for_managers_is_not_offered_to_the_rep_and_is_403(clients, credit):
    assert offered(clients.alice, credit) == ["lose"]
    with unchanged(Deal.objects.get(pk=credit["id"])):
        body = take(
            clients.alice, "deal", credit["id"], "check_credit", {"credit_limit": 5000}, expect=403
        )
    assert body["error"]["code"] == "permission_denied"
    assert offered(clients.east_manager, credit) == ["check_credit", "lose"]
    moved = take(clients.east_manager, "deal", credit["id"], "check_credit", {"credit_limit": 5000})
    assert (moved["stage"], moved["custom"]["credit_limit"]) == ("checked", 5000)


def test_a_transition_for_reps_is_403_for_the_manager(clients, credit):
    take(clients.east_manager, "deal", credit["id"], "check_credit", {"credit_limit": 5000})
    take(clients.east_manager, "deal", credit["id"], "set_floor", FLOOR)
    assert offered(clients.east_manager, credit) == ["lose"]
    with unchanged(Deal.objects.get(pk=credit["id"])):
        take(clients.east_manager, "deal", credit["id"], "win", {}, expect=403)
    assert offered(clients.alice, credit) == ["win", "lose"]
    assert take(clients.alice, "deal", credit["id"], "win", {})["stage"] == "won"


def test_the_permission_is_judged_before_the_fields(clients, credit):
    # A rep learns nothing about a form they may not submit.
    with unchanged(Deal.objects.get(pk=credit["id"])):
        take(clients.alice, "deal", credit["id"], "check_credit", {}, expect=403)


def test_a_manager_only_field_is_hidden_from_the_rep_in_the_approval_request(clients, credit):
    take(clients.east_manager, "deal", credit["id"], "check_credit", {"credit_limit": 250000})
    held = take(clients.east_manager, "deal", credit["id"], "set_floor", FLOOR, expect=202)
    assert held["data"] == FLOOR
    # Alice owns the deal, so she sees the request, but not the floor price in it.
    mine = clients.alice.get(f"/approvals/{held['id']}").json()
    assert (mine["data"], mine["transition_label"], mine["can_decide"]) == (
        {},
        "Set the floor price",
        False,
    )
    assert "floor_price" not in clients.alice.get(f"/deals/{credit['id']}").json()["custom"]
    assert (
        clients.admin.post(f"/approvals/{held['id']}/decide", {"approve": True}).status_code == 200
    )
    deal = clients.east_manager.get(f"/deals/{credit['id']}").json()
    assert (deal["stage"], deal["custom"]["floor_price"]) == ("priced", FLOOR["floor_price"])
