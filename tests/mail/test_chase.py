"""A customer's reply stops the chase (S-21): the open follow-up tasks whose template stops on a
reply are cancelled with the reason `customer_replied`; the other tasks stay open. An
auto-reply stops nothing."""

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_update
from tests.process.conftest import at
from tests.process.test_export_deal_flow import quoted_deal

from .conftest import mime, reply_to_address


def tasks(deal, status):
    return set(
        Activity.objects.filter(deal=deal, status=status)
        .exclude(template_key="")
        .values_list("template_key", flat=True)
    )


def test_reply_cancels_the_open_chase_and_keeps_the_quote_confirmation(webhook, people, frozen):
    deal = quoted_deal(people, frozen)
    assert {"chase_1", "quote_confirmation"} <= tasks(deal, ActivityStatus.OPEN)
    frozen(at(2025, 11, 5, 9))
    response = webhook.post(mime(to=reply_to_address(deal), text="Received, thanks. Any MOQ?"))
    assert response.json()["status"] == "matched"
    assert "chase_1" in tasks(deal, ActivityStatus.CANCELLED)
    assert "chase_1" not in tasks(deal, ActivityStatus.OPEN)
    assert "quote_confirmation" in tasks(deal, ActivityStatus.OPEN)


def test_the_cancellation_says_the_customer_replied(webhook, people, frozen):
    deal = quoted_deal(people, frozen)
    webhook.post(mime(to=reply_to_address(deal)))
    cancelled = Event.objects.get(record_id=deal.pk, kind=EventKind.ACTIVITY_CANCELLED)
    assert cancelled.data["template"] == "chase_1"
    assert cancelled.data["reason"] == "customer_replied"
    assert cancelled.actor is None


def test_reply_matched_by_sender_stops_the_chase_too(webhook, people, frozen):
    deal = quoted_deal(people, frozen)
    contact = contact_create(actor=people.alice, data={"name": "Li", "email": "li@buyer.cn"})
    deal_update(deal, actor=people.alice, data={"contact": contact.pk})
    assert webhook.post(mime(sender="li@buyer.cn")).json()["match_method"] == "sender"
    assert "chase_1" in tasks(deal, ActivityStatus.CANCELLED)


def test_auto_reply_does_not_stop_the_chase(webhook, people, frozen):
    deal = quoted_deal(people, frozen)
    raw = mime(to=reply_to_address(deal), headers={"Auto-Submitted": "auto-replied"})
    webhook.post(raw)
    assert "chase_1" in tasks(deal, ActivityStatus.OPEN)
