"""With the default preference (`immediate`) each notification is emailed once, through the
outbox, to the real SMTP server, in the recipient's language; with `off` nothing is sent."""

import time_machine
from django.utils import translation

from sopcrm.core.models import RecordType
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.mail.services.delivery import outbox_deliver_due
from sopcrm.crm.notifications.services import notification_preferences_set, notify

from .conftest import T0, parsed, text_of


def test_immediate_preference_emails_the_notification_once(smtp, alice, settings):
    settings.SOPCRM_BASE_URL = "https://crm.example.com"
    with time_machine.travel(T0, tick=False):
        created = notify(
            user=alice,
            kind="task_due",
            title="Call ACME back",
            body="The quote follow-up is due today.",
            record_type="deal",
            record_id=12,
        )
        assert outbox_deliver_due() == 1
    [envelope] = smtp.received
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert parsed(envelope)["Subject"] == "[sopcrm] Call ACME back"
    text = text_of(envelope)
    assert "The quote follow-up is due today." in text
    assert "Deal: https://crm.example.com/deals/12/" in text
    assert "https://crm.example.com/notifications/" in text
    created.refresh_from_db()
    assert created.emailed_at == T0
    queued = OutboundEmail.objects.get()
    assert (queued.idempotency_key, queued.sender) == (f"notification:{created.pk}", None)


def test_a_deduplicated_notification_is_not_emailed_again(smtp, alice):
    notify(user=alice, kind="rule", title="Stalled deal", dedupe_key="stalled:deal:7")
    notify(user=alice, kind="rule", title="Stalled deal", dedupe_key="stalled:deal:7")
    outbox_deliver_due()
    assert len(smtp.received) == 1


def test_immediate_email_is_in_the_recipients_language(smtp, bob):
    notify(user=bob, kind="rule", title="商机停滞", record_type="deal", record_id=5)
    outbox_deliver_due()
    [envelope] = smtp.received
    with translation.override("zh-hans"):
        deal = str(RecordType.DEAL.label)
    assert deal != "Deal"  # the catalogue has it: the check below proves the language
    text = text_of(envelope)
    assert f"{deal}: http://localhost:8000/deals/5/" in text
    assert "商机停滞" in parsed(envelope)["Subject"]


def test_off_preference_sends_nothing(smtp, alice):
    notification_preferences_set(alice, {"email": "off"})
    created = notify(user=alice, kind="rule", title="Stalled deal")
    assert outbox_deliver_due() == 0
    assert smtp.received == []
    created.refresh_from_db()
    assert created.emailed_at is None


def test_a_user_without_an_email_address_gets_no_email(smtp, people):
    created = notify(user=people.wendy, kind="rule", title="Stalled deal")
    assert not OutboundEmail.objects.exists()
    assert created.emailed_at is None
