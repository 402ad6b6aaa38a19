"""List parameters over HTTP: cursor pages, sorting and filtering (also on custom fields),
search, and a fixed number of queries however long the page."""

import time_machine

from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create

from .conftest import fields_of

FROZEN = "2025-03-03T09:00:00+08:00"


def walk(client, path, params):
    """Every item of a list, following next_cursor."""
    items, cursor = [], None
    while True:
        response = client.get(path, {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json()
        items.extend(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def test_cursor_walk_over_more_than_a_page_returns_every_record_once(people, alice):
    with time_machine.travel(FROZEN, tick=False):  # equal created_at: the id breaks the ties
        ids = [lead_create(actor=people.alice, data={"name": f"L{n}"}).pk for n in range(12)]
    items = walk(alice, "/leads", {"limit": 5})
    assert [item["id"] for item in items] == sorted(ids, reverse=True)


def test_first_page_has_limit_items_and_a_cursor(people, alice):
    for n in range(3):
        lead_create(actor=people.alice, data={"name": f"L{n}"})
    body = alice.get("/leads", {"limit": 2}).json()
    assert len(body["items"]) == 2
    assert body["next_cursor"]


def test_limit_above_200_is_422(alice):
    response = alice.get("/leads", {"limit": 201})
    assert response.status_code == 422
    assert fields_of(response) == [("limit", "range")]


def test_sort_and_filter_by_custom_number(people, alice):
    for name, quantity in [("small", 10), ("big", 5000), ("medium", 300), ("unknown", None)]:
        custom = {"quantity": quantity} if quantity else {}
        lead_create(actor=people.alice, data={"name": name, "custom": custom})
    body = alice.get(
        "/leads", {"sort": "-custom.quantity", "filter": ["custom.quantity:gte:300"]}
    ).json()
    assert [item["name"] for item in body["items"]] == ["big", "medium"]


def test_sort_by_custom_date_then_walk_keeps_undated_last(people, alice):
    for title, quoted in [
        ("b", "2025-02-01"),
        ("none", None),
        ("a", "2025-01-15"),
        ("c", "2025-03-09"),
    ]:
        custom = {"quote_date": quoted} if quoted else {}
        deal_create(actor=people.alice, data={"title": title, "custom": custom})
    items = walk(alice, "/deals", {"sort": "custom.quote_date", "limit": 1})
    assert [item["title"] for item in items] == ["a", "b", "c", "none"]


def test_filter_by_custom_date_range(people, alice):
    for title, quoted in [("jan", "2025-01-15"), ("feb", "2025-02-01"), ("mar", "2025-03-09")]:
        deal_create(actor=people.alice, data={"title": title, "custom": {"quote_date": quoted}})
    body = alice.get(
        "/deals",
        {"filter": ["custom.quote_date:gte:2025-02-01", "custom.quote_date:lt:2025-03-01"]},
    ).json()
    assert [item["title"] for item in body["items"]] == ["feb"]


def test_sort_and_filter_by_custom_money(people, alice):
    for name, price in [("cheap", "9.90"), ("dear", "120"), ("mid", "45.5")]:
        lead_create(
            actor=people.alice,
            data={"name": name, "custom": {"target_price": {"amount": price, "currency": "USD"}}},
        )
    body = alice.get(
        "/leads", {"sort": "custom.target_price", "filter": "custom.target_price:gt:10"}
    ).json()
    assert [item["name"] for item in body["items"]] == ["mid", "dear"]


def test_filter_by_stage_and_owner(people, session_as):
    deal_create(actor=people.alice, data={"title": "alice's"})
    deal_create(actor=people.bob, data={"title": "bob's"})
    body = (
        session_as(people.east_manager)
        .get("/deals", {"filter": ["stage:eq:new", f"owner:eq:{people.bob.pk}"]})
        .json()
    )
    assert [item["title"] for item in body["items"]] == ["bob's"]


def test_search_q(people, alice):
    contact_create(actor=people.alice, data={"name": "Ana Souza", "email": "ana@rio.example"})
    contact_create(actor=people.alice, data={"name": "Bo Chen", "email": "bo@sz.example"})
    body = alice.get("/contacts", {"q": "RIO"}).json()
    assert [item["name"] for item in body["items"]] == ["Ana Souza"]


def test_bad_filter_is_422_on_filter(alice):
    response = alice.get("/deals", {"filter": "amount:between:1"})
    assert response.status_code == 422
    assert fields_of(response) == [("filter", "unknown_op")]


def test_unknown_sort_is_422_on_sort(alice):
    response = alice.get("/deals", {"sort": "-colour"})
    assert response.status_code == 422
    assert fields_of(response) == [("sort", "unknown_field")]


def test_list_queries_do_not_grow_with_the_page(people, token_as, django_assert_max_num_queries):
    script = token_as(people.alice)
    lead = lead_create(actor=people.alice, data={"name": "L"})
    for n in range(30):
        deal_create(
            actor=people.alice,
            data={"title": f"D{n}", "lead": lead.pk, "custom": {"region": "sea"}},
        )
        activity_create(
            actor=people.alice, data={"kind": "note", "summary": "Called", "lead": lead.pk}
        )
    for path in ("/deals", "/leads", "/activities", "/accounts", "/contacts"):
        with django_assert_max_num_queries(6):
            response = script.get(path, {"limit": 50})
        assert response.status_code == 200
