"""The daily digest: at most one email per local day (Asia/Shanghai), once the local time has
reached the user's digest hour, listing every notification not yet emailed; nothing when there
is nothing new."""

from datetime import date

import pytest
from django.utils import translation

from sopcrm.core.models import RecordType
from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.mail.services.delivery import outbox_deliver_due
from sopcrm.crm.notifications.models import Notification, NotificationPreference
from sopcrm.crm.notifications.services import (
    digests_send_due,
    notification_preferences_set,
    notify,
)

from .conftest import local, parsed, text_of


@pytest.fixture
def daily(alice):
    """Alice wants a digest after 08:00."""
    notification_preferences_set(alice, {"email": "daily", "digest_hour": 8})
    return alice


def test_daily_preference_sends_nothing_at_once(smtp, daily, frozen):
    frozen(local(3, 7, 0))
    created = notify(user=daily, kind="rule", title="Stalled deal")
    assert outbox_deliver_due() == 0
    assert created.emailed_at is None


def test_no_digest_before_the_digest_hour(smtp, daily, frozen):
    frozen(local(3, 7, 0))
    notify(user=daily, kind="rule", title="Stalled deal")
    frozen(local(3, 7, 59))
    assert digests_send_due() == 0
    assert not OutboundEmail.objects.exists()


def test_one_digest_after_the_hour_lists_every_new_notification(smtp, daily, frozen):
    frozen(local(3, 7, 0))
    notify(user=daily, kind="rule", title="Stalled deal", record_type="deal", record_id=4)
    notify(user=daily, kind="task_due", title="Call ACME back")
    frozen(local(3, 8, 0))
    assert digests_send_due() == 1
    assert outbox_deliver_due() == 1
    [envelope] = smtp.received
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert parsed(envelope)["Subject"] == "[sopcrm] 2 new notifications"
    text = text_of(envelope)
    assert "Stalled deal" in text and "Call ACME back" in text
    assert "Deal: http://localhost:8000/deals/4/" in text
    assert set(Notification.objects.values_list("emailed_at", flat=True)) == {local(3, 8, 0)}
    queued = OutboundEmail.objects.get()
    assert (queued.idempotency_key, queued.sender) == (f"digest:{daily.pk}:2025-11-03", None)
    assert NotificationPreference.objects.get(user=daily).last_digest_on == date(2025, 11, 3)


def test_no_second_digest_the_same_day(smtp, daily, frozen):
    frozen(local(3, 7, 0))
    notify(user=daily, kind="rule", title="Stalled deal")
    frozen(local(3, 8, 5))
    digests_send_due()
    frozen(local(3, 9, 0))
    later = notify(user=daily, kind="rule", title="Quote expires soon")
    frozen(local(3, 23, 59))
    assert digests_send_due() == 0
    later.refresh_from_db()
    assert later.emailed_at is None
    assert OutboundEmail.objects.count() == 1


def test_the_next_days_digest_lists_only_what_is_new(smtp, daily, frozen):
    frozen(local(3, 7, 0))
    notify(user=daily, kind="rule", title="Stalled deal")
    frozen(local(3, 8, 5))
    digests_send_due()
    frozen(local(3, 15, 0))
    notify(user=daily, kind="rule", title="Quote expires soon")
    frozen(local(4, 8, 0))
    assert digests_send_due() == 1
    outbox_deliver_due()
    first, second = smtp.received
    assert "Stalled deal" in text_of(first)
    assert "Quote expires soon" in text_of(second)
    assert "Stalled deal" not in text_of(second)
    assert parsed(second)["Subject"] == "[sopcrm] 1 new notification"


def test_a_day_with_nothing_new_sends_nothing_and_keeps_the_day_open(smtp, daily, frozen):
    frozen(local(3, 8, 0))
    assert digests_send_due() == 0
    assert NotificationPreference.objects.get(user=daily).last_digest_on is None
    frozen(local(3, 15, 0))
    notify(user=daily, kind="rule", title="Stalled deal")
    frozen(local(3, 15, 1))
    assert digests_send_due() == 1


def test_the_digest_hour_is_local_time(smtp, daily, frozen):
    """08:30 in Shanghai is 00:30 UTC: the digest is due although the UTC hour is 0."""
    frozen(local(3, 7, 0))
    notify(user=daily, kind="rule", title="Stalled deal")
    frozen(local(3, 8, 30))
    assert digests_send_due() == 1
    assert OutboundEmail.objects.get().idempotency_key.endswith(":2025-11-03")


def test_a_later_digest_hour_waits_for_it(smtp, alice, frozen):
    notification_preferences_set(alice, {"email": "daily", "digest_hour": 18})
    frozen(local(3, 9, 0))
    notify(user=alice, kind="rule", title="Stalled deal")
    frozen(local(3, 17, 59))
    assert digests_send_due() == 0
    frozen(local(3, 18, 0))
    assert digests_send_due() == 1


def test_the_digest_is_in_the_recipients_language(smtp, bob, frozen):
    notification_preferences_set(bob, {"email": "daily"})
    frozen(local(3, 7, 0))
    notify(user=bob, kind="rule", title="商机停滞", record_type="deal", record_id=9)
    frozen(local(3, 8, 0))
    digests_send_due()
    outbox_deliver_due()
    [envelope] = smtp.received
    with translation.override("zh-hans"):
        deal = str(RecordType.DEAL.label)
    assert deal != "Deal"
    assert f"{deal}: http://localhost:8000/deals/9/" in text_of(envelope)


def test_digests_go_only_to_users_who_chose_them(smtp, daily, bob, frozen):
    notification_preferences_set(bob, {"email": "off"})
    frozen(local(3, 7, 0))
    notify(user=daily, kind="rule", title="For Alice")
    notify(user=bob, kind="rule", title="给 Bob")
    frozen(local(3, 8, 0))
    assert digests_send_due() == 1
    assert OutboundEmail.objects.get().to == ["alice@example.com"]
