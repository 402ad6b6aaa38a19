"""Notification tests: the shared personas with e-mail addresses (the shared ones have none),
the real SMTP server and frozen clock of the mail tests, and JSON helpers for the API."""

import email
import email.policy
import json
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from sopcrm.core.models import User
from tests.mail.conftest import frozen, smtp  # noqa: F401  (fixtures shared with the mail tests)

SH = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE: where the digest's "day" and "hour" are
# Monday 3 November 2025, 10:00 in Shanghai.
T0 = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2025, Shanghai time."""
    return datetime(2025, 11, day, hour, minute, tzinfo=SH)


def with_email(user: User, address: str, language: str = "") -> User:
    user.email = address
    user.language = language
    user.save(update_fields=["email", "language"])
    return user


@pytest.fixture
def alice(people) -> User:
    return with_email(people.alice, "alice@example.com")


@pytest.fixture
def bob(people) -> User:
    """Bob reads Chinese."""
    return with_email(people.bob, "bob@example.com", "zh-hans")


def parsed(envelope) -> EmailMessage:
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def text_of(envelope) -> str:
    return parsed(envelope).get_body(("plain",)).get_content()


class JsonClient:
    """Django's test client speaking JSON to /api/ as one signed-in user (or no one)."""

    def __init__(self, user: User | None = None) -> None:
        self.client = Client()
        if user is not None:
            self.client.force_login(user)

    def get(self, path, params=None):
        return self.client.get(f"/api{path}", params or {})

    def post(self, path, body):
        return self.client.post(f"/api{path}", json.dumps(body), content_type="application/json")

    def put(self, path, body):
        return self.client.put(f"/api{path}", json.dumps(body), content_type="application/json")


@pytest.fixture
def api_as(db):
    return JsonClient


def fields_of(response) -> list[tuple[str, str]]:
    return [(f["field"], f["code"]) for f in response.json()["error"]["fields"]]
