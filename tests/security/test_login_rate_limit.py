"""Sign-in rate limiting (django-axes): after the failure limit for one username from one
address, that pair is refused with a clear message for the cool-off period, even with the right
password; another address or another username is not affected; a success clears the count."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail(client: Client, times: int, username: str = "alice", address: str = "203.0.113.7"):
    """`times` wrong passwords; the one that reaches the limit is already answered 429."""
    for attempt in range(1, times + 1):
        expected = 429 if attempt >= LIMIT else 200
        assert sign_in(client, username, "wrong", address).status_code == expected


def signed_in(response) -> bool:
    return response.status_code == 302 and response.url == reverse("home")


def test_failure_limit_is_five_by_default():
    assert LIMIT == 5


def test_username_is_locked_out_after_the_failure_limit(client, people):
    fail(client, LIMIT)
    response = sign_in(client, "alice", "pw-alice-1")
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_lockout_page_says_why_and_for_how_long(client, people):
    fail(client, LIMIT)
    response = sign_in(client, "alice", "wrong")
    assert "Too many failed sign-ins for this username. Try again in 15 minutes." in (
        response.content.decode()
    )


def test_lockout_page_is_in_the_language_asked_for(client, people):
    fail(client, LIMIT)
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "wrong"},
        REMOTE_ADDR="203.0.113.7",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 429
    assert response.wsgi_request.LANGUAGE_CODE == "zh-hans"


def test_one_failure_short_of_the_limit_still_signs_in(client, people):
    fail(client, LIMIT - 1)
    assert signed_in(sign_in(client, "alice", "pw-alice-1"))


def test_lockout_is_per_username_and_address_not_per_username(client, people):
    fail(client, LIMIT)
    assert signed_in(sign_in(Client(), "alice", "pw-alice-1", address="198.51.100.4"))


def test_lockout_is_per_username_and_address_not_per_address(client, people):
    fail(client, LIMIT)
    assert signed_in(sign_in(client, "bob", "pw-bob-1"))


def test_success_resets_the_failure_count(client, people):
    fail(client, LIMIT - 1)
    assert signed_in(sign_in(client, "alice", "pw-alice-1"))
    client.logout()
    fail(client, LIMIT - 1)
    assert signed_in(sign_in(client, "alice", "pw-alice-1"))


def test_lockout_ends_after_the_cool_off_time(client, people):
    fail(client, LIMIT)
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert signed_in(sign_in(client, "alice", "pw-alice-1"))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, people, settings):
    """Addresses the client itself put in X-Forwarded-For (left of the proxy's entry) do not
    make a new pair: the lockout holds."""
    settings.SOPCRM_TRUSTED_PROXIES = ["10.0.0.1"]
    for forged in range(LIMIT):
        client.post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            headers={"X-Forwarded-For": f"192.0.2.{forged}, 203.0.113.7"},
        )
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "pw-alice-1"},
        REMOTE_ADDR="10.0.0.1",
        headers={"X-Forwarded-For": "192.0.2.99, 203.0.113.7"},
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_another_client_is_not_locked_out(client, people, settings):
    settings.SOPCRM_TRUSTED_PROXIES = ["10.0.0.1"]
    for _ in range(LIMIT):
        client.post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    response = Client().post(
        reverse("login"),
        {"username": "alice", "password": "pw-alice-1"},
        REMOTE_ADDR="10.0.0.1",
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    assert signed_in(response)


@pytest.mark.parametrize("path", ["/admin/login/"])
def test_admin_sign_in_is_rate_limited_too(client, people, path):
    for _ in range(LIMIT):
        client.post(path, {"username": "admin", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")
    response = client.post(
        path, {"username": "admin", "password": "pw-admin-1"}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 429
