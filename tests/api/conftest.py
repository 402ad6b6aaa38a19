"""HTTP helpers for the API tests: a signed-in browser session per persona, or a script holding
a personal token."""

import json

import pytest
from django.test import Client

from sopcrm.core.tokens import token_create


class ApiClient:
    """Django's test client speaking JSON to /api/, as one user."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, path, params=None):
        return self.client.get(f"/api{path}", params or {})

    def post(self, path, body=None, *, raw=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(f"/api{path}", data, content_type="application/json")

    def patch(self, path, body):
        return self.client.patch(f"/api{path}", json.dumps(body), content_type="application/json")

    def delete(self, path):
        return self.client.delete(f"/api{path}")


@pytest.fixture
def session_as(db):
    """A browser session signed in as `user` (CSRF not enforced, as in Django's test client)."""

    def make(user):
        client = Client()
        client.force_login(user)
        return ApiClient(client)

    return make


@pytest.fixture
def token_as(db):
    """A script holding a fresh personal token of `user`."""

    def make(user):
        secret = token_create(user=user, name="script").secret
        return ApiClient(Client(headers={"Authorization": f"Bearer {secret}"}))

    return make


@pytest.fixture
def alice(people, session_as):
    return session_as(people.alice)


def fields_of(response):
    """The (field, code) pairs of an error response."""
    return [(f["field"], f["code"]) for f in response.json()["error"]["fields"]]
