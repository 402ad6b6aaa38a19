"""Manager-only custom fields (cost_price, floor_price) never reach a rep: not in lists, single
records or timelines, and not through filters or sorting."""

import json

import pytest

from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.services.deals import deal_create, deal_update

from .conftest import fields_of

COST = {"amount": "73519.41", "currency": "USD"}
FLOOR = {"amount": "98262.17", "currency": "USD"}


@pytest.fixture
def priced_deal(people):
    deal = deal_create(
        actor=people.east_manager,
        data={
            "title": "Valves",
            "owner": people.alice.pk,
            "custom": {"cost_price": COST, "region": "sea"},
        },
    )
    deal_update(deal, actor=people.east_manager, data={"custom": {"floor_price": FLOOR}})
    return deal


def test_rep_list_hides_manager_only_fields(priced_deal, alice):
    item = alice.get("/deals").json()["items"][0]
    assert item["custom"] == {"region": "sea"}


def test_rep_get_hides_manager_only_fields(priced_deal, alice):
    assert alice.get(f"/deals/{priced_deal.pk}").json()["custom"] == {"region": "sea"}


def test_rep_timeline_hides_manager_only_values(priced_deal, alice):
    text = json.dumps(alice.get(f"/deals/{priced_deal.pk}/timeline").json())
    assert "73519.41" not in text
    assert "98262.17" not in text
    assert "cost_price" not in text


def test_manager_sees_manager_only_fields(priced_deal, people, session_as):
    custom = session_as(people.east_manager).get(f"/deals/{priced_deal.pk}").json()["custom"]
    assert custom == {"region": "sea", "cost_price": {"amount": "73519.41", "currency": "USD"}} | {
        "floor_price": {"amount": "98262.17", "currency": "USD"}
    }


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "custom.floor_price:gt:1"},
        {"filter": "custom.cost_price:empty"},
        {"sort": "-custom.cost_price"},
    ],
)
def test_rep_filter_or_sort_on_manager_only_field_is_422(priced_deal, alice, params):
    response = alice.get("/deals", params)
    assert response.status_code == 422
    assert fields_of(response)[0][1] == "not_visible"


def test_manager_filters_on_manager_only_field(priced_deal, people, session_as):
    body = session_as(people.east_manager).get("/deals", {"filter": "custom.floor_price:gt:800"})
    assert [item["id"] for item in body.json()["items"]] == [priced_deal.pk]


def test_rep_cannot_set_manager_only_field(people, alice):
    response = alice.post("/deals", {"title": "Valves", "custom": {"floor_price": FLOOR}})
    assert response.status_code == 422
    assert fields_of(response) == [("custom.floor_price", "not_editable")]
    assert Deal.objects.count() == 0


def test_fields_endpoint_lists_only_visible_fields(people, alice, session_as):
    rep_keys = {f["key"] for f in alice.get("/fields/deal").json()["items"]}
    manager = session_as(people.east_manager).get("/fields/deal").json()["items"]
    assert "floor_price" not in rep_keys
    assert "region" in rep_keys
    floor = next(f for f in manager if f["key"] == "floor_price")
    assert floor["type"] == "money"
    assert floor["editable"] is True
    assert floor["label"] == {"en": "Floor price", "zh": "底价"}


def test_fields_endpoint_shows_options(alice):
    region = next(f for f in alice.get("/fields/lead").json()["items"] if f["key"] == "region")
    assert [o["key"] for o in region["options"]][:2] == ["eu_us", "sea"]


def test_fields_of_an_unknown_object_is_422(alice):
    assert alice.get("/fields/invoice").status_code == 422
