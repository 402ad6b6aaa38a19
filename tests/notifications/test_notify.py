"""`notify` writes one inbox item for one user; a dedupe key makes firing again harmless."""

import pytest
import time_machine

from sopcrm.core.errors import InvalidInput
from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.notifications.selectors import unread_count
from sopcrm.crm.notifications.services import notify

from .conftest import T0


@time_machine.travel(T0, tick=False)
def test_notify_creates_an_unread_notification_for_the_user(alice, people):
    created = notify(
        user=alice,
        kind="task_due",
        title="Call ACME back",
        body="The quote follow-up is due today.",
        record_type="deal",
        record_id=12,
        rule_key="quote_chase",
    )
    found = Notification.objects.get(pk=created.pk)
    assert (found.user, found.kind, found.title, found.body) == (
        alice,
        "task_due",
        "Call ACME back",
        "The quote follow-up is due today.",
    )
    assert (found.record_type, found.record_id, found.rule_key) == ("deal", 12, "quote_chase")
    assert (found.created_at, found.read_at) == (T0, None)
    assert unread_count(alice) == 1
    assert unread_count(people.bob) == 0


def test_same_dedupe_key_returns_the_first_notification_and_adds_nothing(alice):
    first = notify(user=alice, kind="rule", title="Stalled deal", dedupe_key="stalled:deal:7")
    again = notify(user=alice, kind="rule", title="Stalled deal!", dedupe_key="stalled:deal:7")
    assert again.pk == first.pk
    assert again.title == "Stalled deal"
    assert Notification.objects.filter(user=alice).count() == 1


def test_same_dedupe_key_for_another_user_notifies_them_as_well(alice, bob):
    notify(user=alice, kind="rule", title="Stalled deal", dedupe_key="stalled:deal:7")
    notify(user=bob, kind="rule", title="商机停滞", dedupe_key="stalled:deal:7")
    assert Notification.objects.filter(dedupe_key="stalled:deal:7").count() == 2


def test_without_a_dedupe_key_every_call_notifies(alice):
    notify(user=alice, kind="rule", title="Reminder")
    notify(user=alice, kind="rule", title="Reminder")
    assert Notification.objects.filter(user=alice).count() == 2


def test_a_long_title_is_shortened_to_fit(alice):
    created = notify(user=alice, kind="rule", title="Valves " * 100)
    assert len(created.title) == 300
    assert created.title.endswith("…")


def test_bad_input_is_refused_with_every_field_and_writes_nothing(alice):
    with pytest.raises(InvalidInput) as refused:
        notify(user=alice, kind="", title=" ", record_type="invoice", record_id=3)
    assert {(p.field, p.code) for p in refused.value.problems} == {
        ("kind", "required"),
        ("title", "required"),
        ("record_type", "choice"),
    }
    assert not Notification.objects.exists()


def test_a_record_type_needs_a_record_id(alice):
    with pytest.raises(InvalidInput) as refused:
        notify(user=alice, kind="rule", title="About a deal", record_type="deal")
    assert [(p.field, p.code) for p in refused.value.problems] == [("record_id", "required")]
