"""HTTP helpers for the API tests: a signed-in browser session per persona, or a script holding
a personal token."""

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from sopcrm.core.models import Event
from sopcrm.core.tokens import token_create
from sopcrm.crm.records.models import Activity, ApprovalRequest, Lead


def _language(language):
    return {"Accept-Language": language} if language else None


class ApiClient:
    """Django's test client speaking JSON to /api/, as one user."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, path, params=None, *, language=None):
        return self.client.get(f"/api{path}", params or {}, headers=_language(language))

    def post(self, path, body=None, *, raw=None, language=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            f"/api{path}", data, content_type="application/json", headers=_language(language)
        )

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


# -- walking records through the playbook --------------------------------------------------------

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    """A moment in the team's time zone (the playbook's calendar is Asia/Shanghai)."""
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def utc(moment):
    """How the API writes a moment: ISO 8601 in UTC with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def frozen():
    """`frozen(moment)` stops the clock at `moment` (again later to move it) for the test."""
    travellers = []

    def freeze(moment):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield freeze
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def clients(people, session_as):
    """A signed-in API client per persona: `clients.alice.get(...)`."""
    return SimpleNamespace(
        **{
            name: session_as(getattr(people, name))
            for name in ("alice", "bob", "wendy", "east_manager", "west_manager", "admin")
        }
    )


def tasks_of(client, record_type, record_id, *, status="open"):
    """The record's tasks (through the API) by template key."""
    items = client.get(
        "/activities",
        {"filter": [f"{record_type}:eq:{record_id}", "kind:eq:task", f"status:eq:{status}"]},
    ).json()["items"]
    return {item["template_key"]: item for item in items}


def state_of(record):
    """Everything a refused call must leave as it was: the record's stage, sub-state and values,
    its tasks and approval requests, and the whole event log."""
    record = type(record).objects.get(pk=record.pk)
    link = {"lead": record} if isinstance(record, Lead) else {"deal": record}
    return {
        "stage": (record.stage, record.substate, record.stage_entered_at),
        "values": (record.custom, getattr(record, "amount", None), record.updated_at),
        "tasks": sorted(Activity.objects.filter(**link).values_list("pk", "status", "due_at")),
        "approvals": sorted(
            ApprovalRequest.objects.filter(**link).values_list("pk", "status", "comment")
        ),
        "events": Event.objects.count(),
    }


@contextmanager
def unchanged(record):
    """Asserts that the block changes nothing about `record` (see `state_of`)."""
    before = state_of(record)
    yield
    assert state_of(record) == before
