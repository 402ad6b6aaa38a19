"""API tokens are stored hashed: after tokens are made through the web page and the API (and
used), no table of the database holds a secret, or its part after the short prefix kept to
tell tokens apart."""

import hashlib
import json

from django.apps import apps
from django.test import Client
from django.urls import reverse

from sopcrm.core.tokens import TOKEN_PREFIX

# The stored prefix: "sop_" and 6 characters of the secret (core/tokens.py), shown in the UI.
SHOWN_PREFIX = len(TOKEN_PREFIX) + 6


def _everything_stored() -> str:
    """Every row of every table, as text."""
    return "\n".join(
        repr(list(model._default_manager.values_list()))
        for model in apps.get_models(include_auto_created=True)
    )


def _issue_tokens(alice) -> list[str]:
    client = Client()
    client.force_login(alice)
    page = client.post(reverse("token_create"), {"name": "from the page"})
    from_page = page.context["secret"]
    api = client.post(
        "/api/tokens", json.dumps({"name": "from the API"}), content_type="application/json"
    )
    from_api = api.json()["secret"]
    for secret in (from_page, from_api):  # used once each, so last_used_at is written too
        used = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/me")
        assert used.status_code == 200
    return [from_page, from_api]


def test_database_holds_no_token_secret(people):
    secrets = _issue_tokens(people.alice)
    stored = _everything_stored()
    assert [s for s in secrets if s in stored] == []
    assert [s for s in secrets if s[SHOWN_PREFIX:] in stored] == []


def test_database_holds_the_digest_of_each_token(people):
    """The control: the tokens are there, as SHA-256 digests."""
    secrets = _issue_tokens(people.alice)
    stored = _everything_stored()
    assert all(hashlib.sha256(s.encode()).hexdigest() in stored for s in secrets)
