"""Helpers for the intake tests: the public form and the API batch over HTTP, a playbook variant
with other assignment rules, and a frozen clock."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.test import Client

from sopcrm.crm.records.models import Lead
from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.playbooks import playbook_activate

SH = ZoneInfo("Asia/Shanghai")
FORM = "/intake/website/"


def at(y, m, d, hh=0, mm=0):
    """A moment in the team's time zone (the playbook's calendar is Asia/Shanghai)."""
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def frozen():
    """`frozen(moment)` stops the clock at `moment` (again later to move it)."""
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


def post_form(client, data, *, address="203.0.113.7", form=FORM, **extra):
    """A browser posting the form from `address`."""
    return client.post(form, data, REMOTE_ADDR=address, **extra)


def post_json(client, data, *, address="203.0.113.7", form=FORM, **extra):
    """A script on another site posting the form with fetch()."""
    return client.post(
        form, json.dumps(data), content_type="application/json", REMOTE_ADDR=address, **extra
    )


def batch(client, leads):
    return client.post(
        "/api/leads/batch", json.dumps({"leads": leads}), content_type="application/json"
    )


@pytest.fixture
def admin_client(people):
    client = Client()
    client.force_login(people.admin)
    return client


def use_assignment(actor, assignment):
    """Make the export-trade playbook with this `assignment:` block the active version."""
    document = yaml.safe_load(bundled_playbook_path("export_trade").read_text())
    document["objects"]["lead"]["assignment"] = assignment
    source = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    return playbook_activate(source=source, source_name="assignment.yaml", actor=actor)


def pool_rule(*members, method="round_robin", **extra):
    """One rule whose pool is `members` (usernames, or (username, weight) pairs)."""
    pool = [
        {"user": m, "weight": 1} if isinstance(m, str) else {"user": m[0], "weight": m[1]}
        for m in members
    ]
    return {
        "rules": [{"key": "pool", "label": {"en": "Pool"}, "pool": pool, "method": method, **extra}]
    }


def owners(leads=None):
    """The usernames owning the leads, in the order they came in (None: unassigned)."""
    rows = Lead.objects.order_by("pk") if leads is None else leads
    return [lead.owner.username if lead.owner else None for lead in rows]
