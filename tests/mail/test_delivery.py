"""The outbox delivers through a real SMTP server (aiosmtpd): the message arrives as queued, with
our Message-ID and the record's reply address; a failed attempt is retried with backoff, and a
message is given up (and the failure logged on its records) after the last attempt."""

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.mail.models import OutboundEmail, OutboundStatus
from sopcrm.crm.mail.services.delivery import BACKOFF, MAX_ATTEMPTS, outbox_deliver_due
from sopcrm.crm.mail.services.outbox import email_queue, reply_token_for
from sopcrm.crm.records.services.deals import deal_create

from .conftest import Collector, SmtpServer, free_port, smtp_mailer

T0 = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def deal(people):
    return deal_create(actor=people.alice, data={"title": "Valves"})


def queue(deal, sender, key="quote-1", **extra):
    return email_queue(
        to=["buyer@example.com"],
        subject="Quote for DN50 valves",
        text="Dear buyer,\nplease find our quote.",
        html="<p>Dear buyer,</p><p>please find our <b>quote</b>.</p>",
        sender=sender,
        idempotency_key=key,
        deal=deal,
        **extra,
    )


def parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_message_arrives_with_headers_reply_address_and_both_parts(smtp, deal, people):
    row = queue(deal, people.alice)
    assert outbox_deliver_due() == 1
    [envelope] = smtp.received
    message = parsed(envelope)
    assert envelope.rcpt_tos == ["buyer@example.com"]
    assert message["To"] == "buyer@example.com"
    assert message["Subject"] == "Quote for DN50 valves"
    # Folded onto its own line (it is longer than 78 characters); the value is the same.
    assert message["Message-ID"].strip() == row.message_id
    assert message["Reply-To"] == f"crm+{reply_token_for(deal)}@replies.example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert "please find our quote" in message.get_body(("plain",)).get_content()
    assert "<b>quote</b>" in message.get_body(("html",)).get_content()


def test_sent_row_records_when_and_is_not_sent_again(smtp, deal, people, frozen):
    frozen(T0)
    row = queue(deal, people.alice)
    outbox_deliver_due()
    frozen(T0 + timedelta(days=1))
    assert outbox_deliver_due() == 0
    row.refresh_from_db()
    assert (row.status, row.sent_at, row.attempts, row.last_error) == (
        OutboundStatus.SENT,
        T0,
        1,
        "",
    )
    assert len(smtp.received) == 1


def test_message_without_a_record_has_no_reply_address(smtp, people):
    email_queue(
        to=["buyer@example.com"],
        subject="Hello",
        text="Hi",
        sender=people.alice,
        idempotency_key="plain-1",
    )
    outbox_deliver_due()
    message = parsed(smtp.received[0])
    assert message["Reply-To"] is None
    assert message.get_content_type() == "text/plain"


def test_message_not_yet_due_waits(smtp, deal, people, frozen):
    frozen(T0)
    row = queue(deal, people.alice)
    OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=T0 + timedelta(minutes=5))
    assert outbox_deliver_due() == 0
    assert smtp.received == []


def test_limit_caps_one_run(smtp, deal, people):
    for n in range(3):
        queue(deal, people.alice, key=f"k{n}")
    assert outbox_deliver_due(limit=2) == 2
    assert outbox_deliver_due(limit=2) == 1
    assert len(smtp.received) == 3


@pytest.fixture
def closed_port(settings):
    """The `smtp` mailer pointing at a port nothing listens on."""
    port = free_port()
    settings.MAILERS = {**settings.MAILERS, "smtp": smtp_mailer(port)}
    settings.SOPCRM_MAILER = "smtp"
    return port


def test_failed_attempt_stays_queued_and_waits_for_the_first_backoff(
    closed_port, deal, people, frozen
):
    frozen(T0)
    row = queue(deal, people.alice)
    assert outbox_deliver_due() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (
        OutboundStatus.QUEUED,
        1,
        T0 + timedelta(minutes=1),
    )
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()


def test_backoff_grows_1_5_30_minutes_2_and_6_hours(closed_port, deal, people, frozen):
    at = T0
    frozen(at)
    row = queue(deal, people.alice)
    waits = []
    for _attempt in range(len(BACKOFF)):
        outbox_deliver_due()
        row.refresh_from_db()
        waits.append(row.next_attempt_at - at)
        at = row.next_attempt_at
        frozen(at)
    assert waits == list(BACKOFF)
    assert row.status == OutboundStatus.QUEUED


def test_retry_is_not_attempted_before_its_time(closed_port, deal, people, frozen):
    frozen(T0)
    row = queue(deal, people.alice)
    outbox_deliver_due()
    frozen(T0 + timedelta(seconds=59))
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.attempts == 1


def fail_until_given_up(deal, people, frozen):
    at = T0
    frozen(at)
    row = queue(deal, people.alice)
    for _attempt in range(MAX_ATTEMPTS):
        outbox_deliver_due()
        row.refresh_from_db()
        at = row.next_attempt_at
        frozen(at)
    return row


def test_after_the_last_attempt_the_message_failed(closed_port, deal, people, frozen):
    row = fail_until_given_up(deal, people, frozen)
    assert (row.status, row.attempts) == (OutboundStatus.FAILED, MAX_ATTEMPTS)
    frozen(T0 + timedelta(days=30))
    assert outbox_deliver_due() == 0
    row.refresh_from_db()
    assert row.attempts == MAX_ATTEMPTS


def test_giving_up_is_logged_on_the_record(closed_port, deal, people, frozen):
    row = fail_until_given_up(deal, people, frozen)
    [event] = Event.objects.filter(record_id=deal.pk, kind=EventKind.EMAIL_FAILED)
    assert event.record_type == "deal"
    assert event.actor is None
    assert event.data["email"] == row.pk
    assert event.data["subject"] == "Quote for DN50 valves"
    assert event.data["attempts"] == MAX_ATTEMPTS
    assert event.data["reason"] == row.last_error


def test_sent_exactly_once_when_the_server_comes_back(closed_port, deal, people, frozen, settings):
    frozen(T0)
    row = queue(deal, people.alice)
    outbox_deliver_due()
    frozen(T0 + timedelta(minutes=1))
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.attempts == 2

    # The server is back, on the port the mailer points at.
    server = SmtpServer(closed_port, Collector())
    server.start()
    try:
        frozen(T0 + timedelta(minutes=6))
        assert outbox_deliver_due() == 1
        frozen(T0 + timedelta(days=1))
        assert outbox_deliver_due() == 0
    finally:
        server.stop()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboundStatus.SENT, 3, "")
    assert [parsed(e)["Message-ID"].strip() for e in server.received] == [row.message_id]
