"""The email preference: immediate at 08:00 until changed; strict validation naming each bad
field."""

import pytest

from sopcrm.core.errors import InvalidInput
from sopcrm.crm.notifications.models import NotificationPreference
from sopcrm.crm.notifications.selectors import notification_preferences
from sopcrm.crm.notifications.services import notification_preferences_set


def test_defaults_are_immediate_and_8_and_reading_writes_nothing(alice):
    found = notification_preferences(alice)
    assert (found.email, found.digest_hour, found.last_digest_on) == ("immediate", 8, None)
    assert not NotificationPreference.objects.exists()


def test_setting_stores_the_values(alice):
    notification_preferences_set(alice, {"email": "daily", "digest_hour": 18})
    found = notification_preferences(alice)
    assert (found.email, found.digest_hour) == ("daily", 18)


def test_fields_left_out_keep_their_value(alice):
    notification_preferences_set(alice, {"email": "daily", "digest_hour": 18})
    notification_preferences_set(alice, {"email": "off"})
    found = notification_preferences(alice)
    assert (found.email, found.digest_hour) == ("off", 18)


def test_bad_values_are_refused_with_each_field_and_change_nothing(alice):
    notification_preferences_set(alice, {"email": "daily", "digest_hour": 9})
    with pytest.raises(InvalidInput) as refused:
        notification_preferences_set(alice, {"email": "hourly", "digest_hour": 24, "sms": True})
    assert {(p.field, p.code) for p in refused.value.problems} == {
        ("email", "choice"),
        ("digest_hour", "range"),
        ("sms", "unknown_field"),
    }
    found = notification_preferences(alice)
    assert (found.email, found.digest_hour) == ("daily", 9)


@pytest.mark.parametrize("hour", ["8", 8.0, True, None])
def test_the_digest_hour_must_be_a_whole_number(alice, hour):
    with pytest.raises(InvalidInput) as refused:
        notification_preferences_set(alice, {"digest_hour": hour})
    assert [(p.field, p.code) for p in refused.value.problems] == [("digest_hour", "type")]


def test_each_user_has_their_own_preference(alice, bob):
    notification_preferences_set(alice, {"email": "off"})
    assert notification_preferences(bob).email == "immediate"
