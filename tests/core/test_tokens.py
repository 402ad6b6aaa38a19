"""API tokens: shown once, stored hashed, revocable, expiring."""

from datetime import UTC, datetime, timedelta

import time_machine

from sopcrm.core.models import ApiToken
from sopcrm.core.tokens import token_authenticate, token_create, token_revoke


def test_token_is_stored_only_as_digest(people):
    issued = token_create(user=people.alice, name="script")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret not in (stored.digest, stored.prefix)
    assert len(stored.digest) == 64


def test_token_authenticates_its_user(people):
    issued = token_create(user=people.alice, name="script")
    assert token_authenticate(issued.secret) == people.alice


def test_revoked_token_is_refused(people):
    issued = token_create(user=people.alice, name="script")
    token_revoke(user=people.alice, token_id=issued.token.pk)
    assert token_authenticate(issued.secret) is None


def test_expired_token_is_refused(people):
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        issued = token_create(user=people.alice, name="s", expires_at=start + timedelta(days=1))
    with time_machine.travel(start + timedelta(days=1, seconds=1), tick=False):
        assert token_authenticate(issued.secret) is None


def test_token_of_deactivated_user_is_refused(people):
    issued = token_create(user=people.alice, name="script")
    people.alice.is_active = False
    people.alice.save()
    assert token_authenticate(issued.secret) is None
