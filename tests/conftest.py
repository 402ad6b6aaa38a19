"""Shared fixtures: the default playbook, and personas set up the same way in every test.

Personas (after healthchecks' test personas): team East has manager `east_manager` and reps
`alice` and `bob`; team West has rep `wendy` and manager `west_manager`; `admin` sees all.
"""

import os
from dataclasses import dataclass

import pytest
from hypothesis import settings as hypothesis_settings

from sopcrm.core.models import Role, Team, User
from sopcrm.core.users import team_create, user_create
from sopcrm.crm.messaging.services.seeding import templates_seed_from_playbook
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import playbook_ensure_default

# The property, fuzz and schema tests try the same examples on every run, so a run (CI's
# included) is reproducible and a bug they have not met yet cannot turn it red by chance.
# `HYPOTHESIS_PROFILE=explore` draws new examples each run to hunt for such bugs (docs/api.md,
# "Schema tests"); whatever it finds becomes a test of its own.
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _default_playbook(request: pytest.FixtureRequest) -> None:
    """Every test that touches the database starts with the export-trade playbook active."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    templates_seed_from_playbook(playbook_ensure_default("export_trade"))


@dataclass
class Personas:
    east: Team
    west: Team
    admin: User
    east_manager: User
    alice: User
    bob: User
    west_manager: User
    wendy: User


@pytest.fixture
def people(db: None) -> Personas:
    east = team_create(name="East")
    west = team_create(name="West")
    return Personas(
        east=east,
        west=west,
        admin=user_create(username="admin", password="pw-admin-1", role=Role.ADMIN),
        east_manager=user_create(
            username="east_manager", password="pw-manager-1", role=Role.MANAGER, team=east
        ),
        alice=user_create(username="alice", password="pw-alice-1", team=east),
        bob=user_create(username="bob", password="pw-bob-1", team=east),
        west_manager=user_create(
            username="west_manager", password="pw-manager-2", role=Role.MANAGER, team=west
        ),
        wendy=user_create(username="wendy", password="pw-wendy-1", team=west),
    )


@pytest.fixture
def playbook_version(db: None) -> PlaybookVersion:
    return playbook_ensure_default("export_trade")
