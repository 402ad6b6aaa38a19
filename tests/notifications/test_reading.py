"""Each user reads and marks only their own notifications: another user's ids change nothing."""

import time_machine

from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.notifications.selectors import notification_list, unread_count
from sopcrm.crm.notifications.services import notifications_mark_read, notify

from .conftest import T0


def _several(user, count, prefix="Item"):
    return [notify(user=user, kind="rule", title=f"{prefix} {i}") for i in range(count)]


@time_machine.travel(T0, tick=False)
def test_mark_read_sets_read_at_on_the_given_ids(alice):
    first, second = _several(alice, 2)
    assert notifications_mark_read(alice, [first.pk]) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.read_at, second.read_at) == (T0, None)


def test_another_users_ids_are_ignored(alice, bob):
    [theirs] = _several(bob, 1)
    assert notifications_mark_read(alice, [theirs.pk, 10**30, -1]) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_only_the_users_own(alice, bob):
    _several(alice, 3)
    _several(bob, 2)
    assert notifications_mark_read(alice, None) == 3
    assert (unread_count(alice), unread_count(bob)) == (0, 2)


def test_marking_read_twice_counts_once(alice):
    [item] = _several(alice, 1)
    notifications_mark_read(alice, [item.pk])
    assert notifications_mark_read(alice, [item.pk]) == 0


def test_unread_count_counts_the_users_unread_only(alice, bob):
    first, _second, _third = _several(alice, 3)
    _several(bob, 1)
    notifications_mark_read(alice, [first.pk])
    assert unread_count(alice) == 2


def test_list_is_newest_first_and_pages_back_with_before_id(alice, bob):
    items = _several(alice, 5)
    _several(bob, 2)
    page = notification_list(alice, limit=3)
    assert [n.pk for n in page] == [n.pk for n in reversed(items)][:3]
    older = notification_list(alice, limit=3, before_id=page[-1].pk)
    assert [n.pk for n in older] == [items[1].pk, items[0].pk]


def test_list_of_unread_only_leaves_out_read_ones(alice):
    first, second = _several(alice, 2)
    notifications_mark_read(alice, [second.pk])
    assert notification_list(alice, unread_only=True) == [first]
    assert Notification.objects.count() == 2
