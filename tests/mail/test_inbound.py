"""Inbound mail through the webhook: the shared secret, matching by reply token, thread and sender,
the review queue for what matches nothing, and receiving one message twice."""

from datetime import UTC, datetime, timedelta

import pytest

from sopcrm.crm.mail.models import InboundEmail, InboundStatus
from sopcrm.crm.mail.services.inbound import inbound_receive
from sopcrm.crm.mail.services.outbox import email_queue
from sopcrm.crm.records.models import Activity, ActivityKind, Deal
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_transition
from tests.process.test_export_deal_flow import CONTACT

from .conftest import mime, reply_to_address


@pytest.fixture
def deal(people):
    return deal_create(actor=people.alice, data={"title": "Valves"})


def email_activities(record):
    link = "deal" if record.__class__.__name__ == "Deal" else "lead"
    return list(Activity.objects.filter(**{link: record}, kind=ActivityKind.EMAIL))


# -- the shared secret ----------------------------------------------------------------------------


def test_missing_secret_is_401(webhook):
    response = webhook.post(mime(), secret=None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert not InboundEmail.objects.exists()


def test_wrong_secret_is_401(webhook):
    response = webhook.post(mime(), secret="guess")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_secret"
    assert not InboundEmail.objects.exists()


def test_webhook_is_off_without_a_configured_secret(webhook, settings):
    settings.SOPCRM_INBOUND_SECRET = ""
    response = webhook.post(mime(), secret="")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"


def test_a_user_session_is_not_a_secret(webhook, people):
    webhook.client.force_login(people.admin)
    assert webhook.post(mime(), secret=None).status_code == 401


def test_other_content_types_are_refused(webhook):
    response = webhook.post(b'{"x": 1}', content_type="application/json")
    assert response.status_code == 415


def test_empty_body_is_422(webhook):
    assert webhook.post(b"  ").status_code == 422


def test_oversized_message_is_413(webhook, settings):
    settings.SOPCRM_INBOUND_MAX_BYTES = "100"
    response = webhook.post(mime(text="x" * 500))
    assert response.status_code == 413
    assert not InboundEmail.objects.exists()


def test_message_above_djangos_body_limit_is_received(webhook, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert webhook.post(mime(text="Big attachment. " * 200)).status_code == 201


# -- matching ------------------------------------------------------------------------------------


def test_reply_token_in_a_recipient_matches_the_deal(webhook, deal):
    response = webhook.post(mime(to=f"Sales <{reply_to_address(deal)}>"))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["match_method"], body["deal"], body["duplicate"]) == (
        "matched",
        "token",
        deal.pk,
        False,
    )
    [activity] = email_activities(deal)
    assert body["activity"] == activity.pk


def test_reply_is_logged_as_an_inbound_email_owned_by_the_deal_owner(webhook, deal, people):
    sent = datetime.now(UTC) - timedelta(hours=2)
    webhook.post(mime(to=reply_to_address(deal), subject="Re: Quote", text="We accept.", date=sent))
    [activity] = email_activities(deal)
    assert (activity.channel, activity.direction, activity.status) == ("email", "inbound", "done")
    assert (activity.subject, activity.summary, activity.body) == (
        "Re: Quote",
        "We accept.",
        "We accept.",
    )
    assert activity.owner == people.alice
    assert abs(activity.occurred_at - sent) < timedelta(seconds=1)


def test_date_in_the_future_is_not_believed(webhook, deal):
    webhook.post(mime(to=reply_to_address(deal), date=datetime.now(UTC) + timedelta(days=2)))
    [activity] = email_activities(deal)
    assert activity.occurred_at <= datetime.now(UTC)


def test_token_in_cc_or_delivered_to_matches_too(webhook, deal):
    raw = mime(headers={"Delivered-To": reply_to_address(deal)})
    assert webhook.post(raw).json()["match_method"] == "token"


def test_forged_token_matches_nothing(webhook, deal):
    forged = f"crm+d{deal.pk}x0123456789abcdef@replies.example.com"
    assert webhook.post(mime(to=forged)).json()["status"] == "unmatched"


def test_reply_to_a_converted_lead_goes_to_its_open_deal(webhook, people):
    lead = lead_create(actor=people.alice, data={"name": "Buyer"})
    for key, data in (
        ("contact", CONTACT),
        ("qualify", {"product_interest": "DN50 valves", "quantity": 500}),
        ("convert", {}),
    ):
        lead = record_transition(lead, transition=key, data=data, actor=people.alice).record
    deal = Deal.objects.get(lead=lead)  # created by the conversion
    body = webhook.post(mime(to=reply_to_address(lead))).json()
    assert (body["match_method"], body["deal"], body["lead"]) == ("token", deal.pk, None)


def test_reply_to_a_message_we_sent_matches_by_thread(webhook, deal, people):
    sent = email_queue(
        to=["buyer@example.com"],
        subject="Quote",
        text="Our quote",
        sender=people.alice,
        idempotency_key="q1",
        deal=deal,
    )
    body = webhook.post(mime(in_reply_to=sent.message_id)).json()
    assert (body["status"], body["match_method"], body["deal"]) == ("matched", "thread", deal.pk)


def test_references_to_a_matched_reply_match_by_thread(webhook, deal):
    first = mime(to=reply_to_address(deal), message_id="<first@customer.example>")
    webhook.post(first)
    later = mime(references="<unknown@x> <first@customer.example>")
    body = webhook.post(later).json()
    assert (body["match_method"], body["deal"]) == ("thread", deal.pk)


def test_sender_of_exactly_one_open_lead_matches_it(webhook, people):
    lead = lead_create(actor=people.bob, data={"name": "Buyer", "email": "Buyer@Example.com"})
    body = webhook.post(mime(sender="BUYER@example.com")).json()
    assert (body["status"], body["match_method"], body["lead"]) == ("matched", "sender", lead.pk)
    [activity] = email_activities(lead)
    assert activity.owner == people.bob


def test_sender_matches_the_open_deal_of_a_contact(webhook, people):
    contact = contact_create(actor=people.alice, data={"name": "Li", "email": "li@buyer.cn"})
    deal = deal_create(actor=people.alice, data={"title": "Pumps", "contact": contact.pk})
    body = webhook.post(mime(sender="Li <li@buyer.cn>")).json()
    assert (body["match_method"], body["deal"], body["contact"]) == ("sender", deal.pk, contact.pk)


def test_sender_with_two_open_records_is_not_guessed(webhook, people):
    lead_create(actor=people.alice, data={"name": "Buyer", "email": "buyer@example.com"})
    lead_create(actor=people.bob, data={"name": "Buyer", "email": "buyer@example.com"})
    body = webhook.post(mime(sender="buyer@example.com")).json()
    assert (body["status"], body["lead"], body["deal"], body["activity"]) == (
        "unmatched",
        None,
        None,
        None,
    )


def test_unknown_sender_is_kept_unmatched_never_dropped(webhook):
    raw = mime(sender="stranger@nowhere.example", text="Do you sell pumps?")
    response = webhook.post(raw)
    assert response.status_code == 201
    inbound = InboundEmail.objects.get(pk=response.json()["id"])
    assert (inbound.status, inbound.text) == (InboundStatus.UNMATCHED, "Do you sell pumps?")
    assert bytes(inbound.raw) == raw


def test_auto_reply_is_kept_as_ignored_and_logs_nothing(webhook, deal):
    raw = mime(to=reply_to_address(deal), headers={"Auto-Submitted": "auto-replied"})
    body = webhook.post(raw).json()
    assert (body["status"], body["deal"], body["activity"]) == ("ignored", deal.pk, None)
    assert email_activities(deal) == []


# -- the same message twice ----------------------------------------------------------------------


def test_same_message_id_twice_is_recorded_once(webhook, deal):
    raw = mime(to=reply_to_address(deal), message_id="<once@customer.example>")
    first = webhook.post(raw)
    second = webhook.post(raw)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["duplicate"] is True
    assert InboundEmail.objects.count() == 1
    assert len(email_activities(deal)) == 1


def test_same_message_by_imap_and_webhook_is_one_record(webhook, deal):
    raw = mime(to=reply_to_address(deal), message_id="<both@customer.example>")
    stored = inbound_receive(raw, source="imap")
    assert webhook.post(raw).json()["id"] == stored.pk
    assert InboundEmail.objects.count() == 1


# -- quoted history ------------------------------------------------------------------------------


def test_english_quoted_history_is_not_logged(webhook, deal):
    text = (
        "Yes, 500 pcs.\n\nBest regards,\nJohn\n\n"
        "On Mon, 3 Nov 2025 at 10:00, Alice <alice@example.com> wrote:\n> Our quote: 12.50 USD\n"
    )
    webhook.post(mime(to=reply_to_address(deal), text=text))
    [activity] = email_activities(deal)
    assert activity.body == "Yes, 500 pcs."


def test_chinese_quoted_history_is_not_logged(webhook, deal):
    text = (
        "好的，数量500个。\n\n-----原始邮件-----\n发件人：Alice <alice@example.com>\n"
        "发送时间：2025年11月3日 10:00\n收件人：王先生\n主题：报价\n\n您好，报价12.50美元。\n"
    )
    webhook.post(mime(to=reply_to_address(deal), text=text))
    [activity] = email_activities(deal)
    assert activity.body == "好的，数量500个。"
    assert activity.summary == "好的，数量500个。"
