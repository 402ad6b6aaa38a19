"""The timeline shows a record's events, without values of fields the reader may not see."""

from sopcrm.core.models import EventKind, RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.services.deals import deal_create, deal_update

FLOOR = {"amount": "900", "currency": "USD"}


def test_rep_timeline_hides_manager_only_field_change(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal_update(deal, actor=people.east_manager, data={"custom": {"floor_price": FLOOR}})
    events = selectors.record_timeline(people.alice, RecordType.DEAL, deal.pk)
    change = next(e for e in events if e.kind == EventKind.FIELD_CHANGED)
    assert change.data == {"field": "custom.floor_price", "hidden": True}


def test_manager_timeline_shows_manager_only_field_change(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal_update(deal, actor=people.east_manager, data={"custom": {"floor_price": FLOOR}})
    events = selectors.record_timeline(people.east_manager, RecordType.DEAL, deal.pk)
    change = next(e for e in events if e.kind == EventKind.FIELD_CHANGED)
    assert change.data["new"] == {"amount": "900.00", "currency": "USD"}


def test_rep_timeline_hides_manager_only_field_in_creation_snapshot(people):
    deal = deal_create(
        actor=people.east_manager,
        data={"title": "Valves", "owner": people.alice.pk, "custom": {"floor_price": FLOOR}},
    )
    events = selectors.record_timeline(people.alice, RecordType.DEAL, deal.pk)
    created = next(e for e in events if e.kind == EventKind.CREATED)
    assert "floor_price" not in created.data.get("custom", {})
