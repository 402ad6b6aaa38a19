"""/api/notifications and /api/me/notification-preferences: sign-in required, each user sees
and marks only their own notifications, and bad input is a 422 naming the field."""

import pytest
import time_machine

from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.notifications.selectors import notification_preferences, unread_count
from sopcrm.crm.notifications.services import notify

from .conftest import T0, JsonClient, fields_of


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/notifications", None),
        ("get", "/notifications/unread-count", None),
        ("post", "/notifications/read", {"all": True}),
        ("get", "/me/notification-preferences", None),
        ("put", "/me/notification-preferences", {"email": "off", "digest_hour": 8}),
    ],
)
def test_every_endpoint_requires_sign_in(db, method, path, body):
    anonymous = JsonClient()
    response = getattr(anonymous, method)(path, *([body] if body is not None else []))
    assert response.status_code == 401


@time_machine.travel(T0, tick=False)
def test_list_shows_the_callers_notifications_newest_first(api_as, alice, bob):
    older = notify(user=alice, kind="rule", title="Older", record_type="deal", record_id=4)
    newer = notify(user=alice, kind="task_due", title="Newer")
    notify(user=bob, kind="rule", title="Bob's")
    body = api_as(alice).get("/notifications").json()
    assert [n["id"] for n in body["items"]] == [newer.pk, older.pk]
    assert body["next_before"] is None
    item = body["items"][1]
    assert (item["title"], item["record_type"], item["record_id"], item["record_url"]) == (
        "Older",
        "deal",
        4,
        "/deals/4/",
    )
    assert (item["created_at"], item["read_at"]) == ("2025-11-03T02:00:00Z", None)
    assert body["items"][0]["record_type"] is None


def test_list_pages_back_with_before(api_as, alice):
    items = [notify(user=alice, kind="rule", title=f"Item {i}") for i in range(3)]
    client = api_as(alice)
    first = client.get("/notifications", {"limit": 2}).json()
    assert [n["id"] for n in first["items"]] == [items[2].pk, items[1].pk]
    assert first["next_before"] == items[1].pk
    second = client.get("/notifications", {"limit": 2, "before": first["next_before"]}).json()
    assert [n["id"] for n in second["items"]] == [items[0].pk]
    assert second["next_before"] is None


def test_list_of_unread_only(api_as, alice):
    unread = notify(user=alice, kind="rule", title="Unread")
    read = notify(user=alice, kind="rule", title="Read")
    client = api_as(alice)
    client.post("/notifications/read", {"ids": [read.pk]})
    body = client.get("/notifications", {"unread": "true"}).json()
    assert [n["id"] for n in body["items"]] == [unread.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 201}, "limit"), ({"limit": 0}, "limit"), ({"before": "x"}, "before")],
)
def test_list_refuses_bad_paging(api_as, alice, params, field):
    response = api_as(alice).get("/notifications", params)
    assert response.status_code == 422
    assert [f for f, _code in fields_of(response)] == [field]


def test_unread_count_is_the_callers(api_as, alice, bob):
    notify(user=alice, kind="rule", title="One")
    notify(user=bob, kind="rule", title="Two")
    notify(user=bob, kind="rule", title="Three")
    assert api_as(alice).get("/notifications/unread-count").json() == {"unread": 1}


def test_mark_read_by_ids_ignores_another_users_ids(api_as, alice, bob):
    mine = notify(user=alice, kind="rule", title="Mine")
    theirs = notify(user=bob, kind="rule", title="Theirs")
    response = api_as(alice).post("/notifications/read", {"ids": [mine.pk, theirs.pk]})
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read(api_as, alice, bob):
    notify(user=alice, kind="rule", title="One")
    notify(user=alice, kind="rule", title="Two")
    notify(user=bob, kind="rule", title="Bob's")
    response = api_as(alice).post("/notifications/read", {"all": True})
    assert response.json() == {"marked": 2, "unread": 0}
    assert unread_count(bob) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": [1], "all": True}, {"ids": ["1"]}, {"all": "yes"}, {"ids": [1], "x": 1}],
)
def test_mark_read_refuses_bad_bodies(api_as, alice, body):
    response = api_as(alice).post("/notifications/read", body)
    assert response.status_code == 422
    assert fields_of(response)


def test_preferences_read_the_defaults(api_as, alice):
    response = api_as(alice).get("/me/notification-preferences")
    assert response.json() == {"email": "immediate", "digest_hour": 8}


def test_preferences_put_stores_them(api_as, alice):
    response = api_as(alice).put(
        "/me/notification-preferences", {"email": "daily", "digest_hour": 18}
    )
    assert response.status_code == 200
    assert response.json() == {"email": "daily", "digest_hour": 18}
    assert notification_preferences(alice).email == "daily"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"email": "hourly", "digest_hour": 8}, [("email", "choice")]),
        ({"email": "daily", "digest_hour": 24}, [("digest_hour", "range")]),
        ({"email": "daily", "digest_hour": "8"}, [("digest_hour", "type")]),
        ({"email": "daily"}, [("digest_hour", "required")]),
        ({"email": "daily", "digest_hour": 8, "sms": True}, [("sms", "unknown_field")]),
    ],
)
def test_preferences_put_refuses_bad_values(api_as, alice, body, expected):
    response = api_as(alice).put("/me/notification-preferences", body)
    assert response.status_code == 422
    assert fields_of(response) == expected
    assert notification_preferences(alice).pk is None
