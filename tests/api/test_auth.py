"""Session and token authentication, CSRF, and the 401 answers."""

import json
from datetime import timedelta

import time_machine
from django.test import Client
from django.utils.crypto import get_random_string

from sopcrm.core.clock import now
from sopcrm.core.tokens import token_create, token_revoke
from sopcrm.crm.records.models import Lead

from .conftest import ApiClient


def bearer(secret):
    return ApiClient(Client(headers={"Authorization": f"Bearer {secret}"}))


def test_token_script_creates_a_lead_and_reads_it_back(people):
    script = bearer(token_create(user=people.alice, name="importer").secret)
    created = script.post(
        "/leads", {"name": "Ana Souza", "company": "Rio Pumps", "custom": {"quantity": 500}}
    )
    assert created.status_code == 201
    read = script.get(f"/leads/{created.json()['id']}")
    assert read.status_code == 200
    assert read.json()["company"] == "Rio Pumps"
    assert read.json()["custom"] == {"quantity": 500}
    assert read.json()["owner"] == people.alice.pk


def test_no_credentials_is_401_json(db):
    response = ApiClient(Client()).get("/leads")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(db):
    response = bearer("sop_not-a-real-token").get("/leads")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_expired_token_is_401(people):
    with time_machine.travel("2025-03-01T09:00:00+08:00", tick=False):
        secret = token_create(
            user=people.alice, name="short", expires_at=now() + timedelta(days=1)
        ).secret
    with time_machine.travel("2025-03-02T09:00:01+08:00", tick=False):
        response = bearer(secret).get("/leads")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_revoked_token_is_401(people):
    issued = token_create(user=people.alice, name="old")
    token_revoke(user=people.alice, token_id=issued.token.pk)
    response = bearer(issued.secret).get("/leads")
    assert response.status_code == 401


def test_expired_token_writes_nothing(people):
    with time_machine.travel("2025-03-01T09:00:00+08:00", tick=False):
        secret = token_create(
            user=people.alice, name="short", expires_at=now() + timedelta(hours=1)
        ).secret
    with time_machine.travel("2025-03-01T11:00:00+08:00", tick=False):
        response = bearer(secret).post("/leads", {"name": "Late"})
    assert response.status_code == 401
    assert Lead.objects.count() == 0


def test_bad_token_is_refused_even_with_a_signed_in_session(people):
    client = Client(headers={"Authorization": "Bearer sop_wrong"})
    client.force_login(people.alice)
    assert client.get("/api/leads").status_code == 401


def test_session_post_without_csrf_token_is_403_and_writes_nothing(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    response = client.post("/api/leads", json.dumps({"name": "X"}), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert Lead.objects.count() == 0


def test_session_post_with_csrf_token_is_accepted(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    csrf = get_random_string(32)  # what the web UI's csrftoken cookie holds
    client.cookies["csrftoken"] = csrf
    response = client.post(
        "/api/leads",
        json.dumps({"name": "X"}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201


def test_session_get_needs_no_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    assert client.get("/api/leads").status_code == 200


def test_token_post_needs_no_csrf_token(people):
    secret = token_create(user=people.alice, name="script").secret
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})
    response = client.post("/api/leads", json.dumps({"name": "X"}), content_type="application/json")
    assert response.status_code == 201


def test_me_says_who_and_how(people, session_as, token_as):
    assert session_as(people.east_manager).get("/me").json() | {"id": 0} == {
        "id": 0,
        "username": "east_manager",
        "display_name": "east_manager",
        "role": "manager",
        "team": people.east.pk,
        "team_name": "East",
        "language": "",
        "auth": "session",
    }
    assert token_as(people.admin).get("/me").json()["auth"] == "token"
