"""The inbox page, the unread badge in the top bar, and the email preference on the settings
page."""

import pytest
from django.test import Client
from django.urls import reverse

from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.notifications.selectors import notification_preferences, unread_count
from sopcrm.crm.notifications.services import notifications_mark_read, notify


def signed_in(user, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_inbox_requires_sign_in(db):
    response = Client().get(reverse("notifications"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_inbox_lists_own_notifications_newest_first_with_links(alice, bob):
    read = notify(user=alice, kind="rule", title="Older, read", record_type="lead", record_id=3)
    notifications_mark_read(alice, [read.pk])
    notify(user=alice, kind="task_due", title="Newer, unread", record_type="deal", record_id=8)
    notify(user=bob, kind="rule", title="For Bob only")
    html = signed_in(alice).get(reverse("notifications")).content.decode()
    assert html.index("Newer, unread") < html.index("Older, read")
    assert "For Bob only" not in html
    assert f'href="{reverse("deal_detail", args=[8])}"' in html
    assert f'href="{reverse("lead_detail", args=[3])}"' in html
    assert html.count('class="unread"') == 1


def test_marking_one_read_through_the_page_needs_the_csrf_token(alice):
    item = notify(user=alice, kind="rule", title="Stalled deal")
    client = signed_in(alice, csrf=True)
    client.get(reverse("notifications"))
    refused = client.post(reverse("notifications_read"), {"id": item.pk})
    assert refused.status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("notifications_read"), {"id": item.pk, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications")
    item.refresh_from_db()
    assert item.read_at is not None


def test_mark_all_read_through_the_page(alice, bob):
    notify(user=alice, kind="rule", title="One")
    notify(user=alice, kind="rule", title="Two")
    notify(user=bob, kind="rule", title="Bob's")
    response = signed_in(alice).post(reverse("notifications_read"), {"all": "1"}, follow=True)
    assert "All notifications are marked read." in response.content.decode()
    assert (unread_count(alice), unread_count(bob)) == (0, 1)


def test_another_users_notification_cannot_be_marked_through_the_page(alice, bob):
    theirs = notify(user=bob, kind="rule", title="Bob's")
    signed_in(alice).post(reverse("notifications_read"), {"id": theirs.pk})
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_top_bar_shows_the_unread_count(alice):
    for title in ("One", "Two"):
        notify(user=alice, kind="rule", title=title)
    html = signed_in(alice).get(reverse("home")).content.decode()
    link = html[html.index(f'href="{reverse("notifications")}"') :]
    assert link.split("</a>")[0].count('badge-count">2<') == 1


def test_no_badge_without_unread_notifications(alice):
    html = signed_in(alice).get(reverse("home")).content.decode()
    link = html[html.index(f'href="{reverse("notifications")}"') :]
    assert "badge-count" not in link.split("</a>")[0]


def test_inbox_queries_do_not_grow_with_the_notifications(alice, django_assert_max_num_queries):
    client = signed_in(alice)
    counts = []
    for _round in range(2):
        for i in range(10):
            notify(user=alice, kind="rule", title=f"Item {i}", record_type="deal", record_id=i + 1)
        with django_assert_max_num_queries(20) as captured:
            client.get(reverse("notifications"))
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_settings_page_shows_the_email_preference(alice):
    response = signed_in(alice).get(reverse("settings"))
    form = response.context["notification_form"]
    assert form.initial == {"email": "immediate", "digest_hour": 8}
    assert 'name="digest_hour"' in response.content.decode()


def test_settings_page_saves_the_email_preference(alice):
    response = signed_in(alice).post(reverse("settings"), {"email": "daily", "digest_hour": "18"})
    assert response.status_code == 302
    found = notification_preferences(alice)
    assert (found.email, found.digest_hour) == ("daily", 18)


@pytest.mark.parametrize(
    ("data", "field"),
    [({"email": "hourly", "digest_hour": "8"}, "email"), ({"email": "daily"}, "digest_hour")],
)
def test_settings_page_refuses_a_bad_preference(alice, data, field):
    response = signed_in(alice).post(reverse("settings"), data)
    assert response.status_code == 200
    assert field in response.context["notification_form"].errors
    assert notification_preferences(alice).pk is None
