"""The rule engine with rules added to the export-trade playbook: each trigger kind and action
kind, the timeline entry of each firing, failures rolled back, and no loops."""

import pytest

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.messaging.services.signatures import signature_create
from sopcrm.crm.records.models import ListMembership
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.webhooks.models import WebhookDelivery
from sopcrm.crm.webhooks.services import webhook_create
from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.playbooks import playbook_activate

from ..process.test_export_deal_flow import CONTACT, move, order_ready, quoted_deal
from .conftest import at, fire, fired_rules, notified, pending

EXTRA_RULES = """
      - key: big_deal_created
        label: {en: Big deal created, zh: 大单创建}
        trigger: {event: created}
        when: amount >= 100000
        actions:
          - add_to_list: big_deals
          - webhook: crm_events
      - key: amount_changed
        label: {en: Amount changed, zh: 金额变化}
        trigger: {event: field_changed, fields: [amount]}
        actions:
          - set: {customer_tier: a}
      - key: tier_changed
        label: {en: Tier changed, zh: 等级变化}
        trigger: {event: field_changed, fields: [customer_tier]}
        actions:
          - notify: {to: [owner], title: {en: "Tier of {record} changed", zh: "{record} 等级变化"}}
      - key: contacted_send_reply
        label: {en: Reply on contact, zh: 联系后发邮件}
        trigger: {event: stage_entered, stages: [contacted]}
        actions:
          - send_email: {template: first_reply}
      - key: broken
        label: {en: Broken, zh: 坏规则}
        trigger: {event: stage_left, stages: [contacted]}
        actions:
          - add_to_list: big_deals
          - assign: {user: nobody_here}
"""


@pytest.fixture
def extra_rules(people):
    source = bundled_playbook_path("export_trade").read_text()
    source = source.replace(
        "    rules:\n      # S-21: three", "    rules:" + EXTRA_RULES + "      # S-21: three", 1
    )
    source = source.replace(
        "lists:\n", "lists:\n  - {key: big_deals, label: {en: Big deals, zh: 大单}}\n", 1
    )
    playbook_activate(source=source, source_name="extra.yaml", actor=people.admin)
    webhook_create(key="crm_events", url="http://127.0.0.1:9/hook")


def test_a_created_trigger_with_a_condition_adds_to_a_list_and_queues_a_webhook(
    people, extra_rules
):
    small = deal_create(actor=people.alice, data={"title": "Small", "amount": "500"})
    big = deal_create(actor=people.alice, data={"title": "Big", "amount": "250000"})
    fire()
    assert fired_rules("deal", small.pk) == []
    assert fired_rules("deal", big.pk) == ["big_deal_created"]
    assert ListMembership.objects.filter(list_key="big_deals", record_id=big.pk).exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.payload["record"]["id"]) == ("rule.big_deal_created", big.pk)


def test_each_firing_is_on_the_timeline_with_the_rule_and_what_it_did(people, extra_rules):
    big = deal_create(actor=people.alice, data={"title": "Big", "amount": "250000"})
    fire()
    event = Event.objects.get(record_id=big.pk, kind=EventKind.RULE_FIRED)
    assert event.actor.username == "sopcrm-automation"
    assert event.data["rule"] == "big_deal_created"
    assert [a["action"] for a in event.data["actions"]] == ["add_to_list", "webhook"]


def test_changes_made_by_a_rule_do_not_trigger_other_rules(people, extra_rules):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    fire()
    deal_update(deal, actor=people.alice, data={"amount": "900"})
    fire()
    deal.refresh_from_db()
    assert deal.custom["customer_tier"] == "a"
    assert fired_rules("deal", deal.pk) == ["amount_changed"]
    assert notified(people.alice) == []


def test_a_field_changed_by_a_person_fires_its_rule(people, extra_rules):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal_update(deal, actor=people.alice, data={"custom": {"customer_tier": "b"}})
    fire()
    assert fired_rules("deal", deal.pk) == ["tier_changed"]
    assert notified(people.alice) == ["Valves 等级变化"]


def test_send_email_queues_the_template_to_the_contact_as_the_owner(people, extra_rules):
    signature_create(actor=people.alice, data={"name": "Alice", "body": "Alice, Sales"})
    account = account_create(actor=people.alice, data={"name": "Buyer GmbH"})
    contact = contact_create(
        actor=people.alice, data={"name": "Ana Silva", "email": "ana@buyer.example"}
    )
    deal = deal_create(
        actor=people.alice,
        data={"title": "Valves", "contact": contact.pk, "account": account.pk},
    )
    move(deal, "contact", CONTACT, people.alice)
    fire()
    queued = OutboundEmail.objects.get(deal=deal)
    assert (queued.to, queued.sender) == (["ana@buyer.example"], people.alice)
    assert "contacted_send_reply" in fired_rules("deal", deal.pk)


def test_a_failing_action_rolls_the_rule_back_and_logs_why(people, extra_rules):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal = move(deal, "contact", CONTACT, people.alice)
    deal = move(
        deal,
        "confirm_requirements",
        {
            "target_price": {"amount": "12.50", "currency": "USD"},
            "lead_time_requirement": "30 days",
            "certifications": "CE",
            "competitor": "None",
        },
        people.alice,
    )
    fire()
    failed = Event.objects.get(record_id=deal.pk, kind=EventKind.RULE_FAILED, data__rule="broken")
    assert failed.data["rule"] == "broken"
    assert failed.data["error"][0]["field"] == "assign"
    assert not ListMembership.objects.filter(record_id=deal.pk).exists()


def test_a_quote_about_to_expire_reminds_the_owner_two_days_before(people, frozen):
    deal = quoted_deal(people, frozen)
    assert pending("deal", deal.pk, "date") == {"quote_expiring": at(2025, 12, 1, 9)}
    frozen(at(2025, 12, 1, 9, 1))
    fire()
    assert "Valves 的报价2天后过期" in notified(people.alice)


def test_changing_the_date_moves_the_date_timer(people, frozen):
    deal = quoted_deal(people, frozen)
    deal_update(deal, actor=people.alice, data={"custom": {"quote_valid_until": "2025-12-20"}})
    assert pending("deal", deal.pk, "date") == {"quote_expiring": at(2025, 12, 18, 9)}


def test_a_date_rule_does_not_fire_when_its_condition_no_longer_holds(people, frozen):
    deal = order_ready(quoted_deal(people, frozen), people.alice)
    move(deal, "win", {"amount": "1000"}, people.alice)
    frozen(at(2025, 12, 1, 9, 1))
    fire()
    assert "quote_expiring" not in fired_rules("deal", deal.pk)


LOOPING_RULE = """
      - key: answer_every_email
        label: {en: Answer every email, zh: 回复每封邮件}
        trigger: {event: activity_completed, kinds: [email], direction: outbound}
        actions:
          - send_email: {template: first_reply}
"""


def test_an_email_sent_by_a_rule_does_not_trigger_rules_again(people):
    source = bundled_playbook_path("export_trade").read_text()
    source = source.replace(
        "    rules:\n      # S-21: three", "    rules:" + LOOPING_RULE + "      # S-21: three", 1
    )
    playbook_activate(source=source, source_name="loop.yaml", actor=people.admin)
    signature_create(actor=people.alice, data={"name": "Alice", "body": "Alice, Sales"})
    account = account_create(actor=people.alice, data={"name": "Buyer GmbH"})
    contact = contact_create(actor=people.alice, data={"name": "Ana", "email": "ana@b.example"})
    deal = deal_create(
        actor=people.alice, data={"title": "Valves", "contact": contact.pk, "account": account.pk}
    )
    from sopcrm.crm.records.services.activities import activity_create

    activity_create(
        actor=people.alice,
        data={"kind": "email", "summary": "Sent the catalogue", "deal": deal.pk},
    )
    for _tick in range(3):
        fire()
    assert OutboundEmail.objects.filter(deal=deal).count() == 1
    assert fired_rules("deal", deal.pk) == ["answer_every_email"]
