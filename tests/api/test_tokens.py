"""Personal API tokens: through the API for the signed-in user, and with `sopcrm token`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sopcrm.core.models import ApiToken
from sopcrm.core.tokens import token_authenticate, token_create

from .conftest import ApiClient, fields_of


def test_create_token_shows_the_secret_once(people, alice):
    created = alice.post("/tokens", {"name": "nightly import"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("sop_")
    listed = alice.get("/tokens").json()["items"]
    assert [t["name"] for t in listed] == ["nightly import"]
    assert "secret" not in listed[0]
    assert secret not in str(listed)


def test_created_token_works_as_bearer(people, alice):
    secret = alice.post("/tokens", {"name": "script"}).json()["secret"]
    client = ApiClient(Client(headers={"Authorization": f"Bearer {secret}"}))
    assert client.get("/me").json()["username"] == "alice"


def test_token_expiry_in_the_past_is_422(alice):
    response = alice.post("/tokens", {"name": "x", "expires_at": "2000-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert fields_of(response) == [("expires_at", "in_past")]


def test_a_token_cannot_create_tokens(people, token_as):
    response = token_as(people.alice).post("/tokens", {"name": "another"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "session_required"
    assert ApiToken.objects.count() == 1


def test_revoke_token_stops_it(people, alice):
    issued = token_create(user=people.alice, name="old")
    response = alice.delete(f"/tokens/{issued.token.pk}")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert token_authenticate(issued.secret) is None


def test_revoking_another_users_token_is_404(people, alice):
    issued = token_create(user=people.bob, name="bob's")
    assert alice.delete(f"/tokens/{issued.token.pk}").status_code == 404
    assert token_authenticate(issued.secret) == people.bob


def test_token_can_revoke_itself(people):
    issued = token_create(user=people.alice, name="leaked")
    client = ApiClient(Client(headers={"Authorization": f"Bearer {issued.secret}"}))
    assert client.delete(f"/tokens/{issued.token.pk}").status_code == 200
    assert client.get("/me").status_code == 401


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cli_create_prints_only_the_secret_on_stdout(people):
    out, err = run("create", "--user", "alice", "--name", "erp sync", "--expires-days", "30")
    secret = out.strip()
    assert token_authenticate(secret) == people.alice
    assert "not shown again" in err
    assert ApiToken.objects.get().expires_at is not None


def test_cli_list_and_revoke(people):
    issued = token_create(user=people.alice, name="erp sync")
    out, _err = run("list", "--user", "alice")
    assert "erp sync" in out
    assert issued.secret not in out
    run("revoke", "--user", "alice", str(issued.token.pk))
    assert token_authenticate(issued.secret) is None
    assert "revoked" in run("list", "--user", "alice")[0]


def test_cli_unknown_user_fails(db):
    with pytest.raises(CommandError):
        run("create", "--user", "nobody", "--name", "x")


def test_cli_cannot_revoke_another_users_token(people):
    issued = token_create(user=people.bob, name="bob's")
    with pytest.raises(CommandError):
        run("revoke", "--user", "alice", str(issued.token.pk))
